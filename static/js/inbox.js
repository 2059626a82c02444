/* The inbox (#inbox): on its first page the list of conversations is read again whenever
 * a direct message comes, goes read or is deleted, and after a gap in the live stream.
 * Everything users wrote is inserted with textContent, never as HTML.
 */
(function () {
  "use strict";

  const ui = window.LMSUi;
  const el = ui.el;
  const me = Number(document.body.dataset.userId);
  const inbox = document.getElementById("inbox");
  if (!inbox || !me) return;
  ui.localizeTimes(inbox);
  if (inbox.dataset.firstPage !== "true") return;

  const conversationList = document.getElementById("conversation-list");
  const noConversations = document.getElementById("no-conversations");

  function conversationNode(row) {
    const item = el("li", "conversation-item" + (row.unread_count ? " has-unread" : ""));
    item.dataset.partnerId = String(row.user.id);
    item.appendChild(ui.avatarNode(row.user));
    const body = el("div", "conversation-body");
    const link = el("a", "conversation-name", row.user.name);
    link.href = "/messages/" + Number(row.user.id) + "/";
    body.appendChild(link);
    body.appendChild(document.createTextNode(" "));
    const unread = el("span", "count-badge conversation-unread", row.unread_count ? row.unread_count : "");
    unread.dataset.count = String(row.unread_count);
    body.appendChild(unread);
    const last = row.last_message;
    let preview = (last.sender === me ? "You: " : "") + last.content;
    if (preview.length > 120) preview = preview.slice(0, 119) + "…";
    body.appendChild(el("div", "conversation-last muted small", preview));
    item.appendChild(body);
    const time = el("time", "muted small", ui.formatTime(last.created_at));
    time.setAttribute("datetime", last.created_at);
    item.appendChild(time);
    return item;
  }

  const refreshInbox = ui.debounce(function () {
    ui.api("GET", "/api/conversations/").then(function (result) {
      if (result.status !== 200) return;
      conversationList.replaceChildren.apply(conversationList, result.body.results.map(conversationNode));
      conversationList.hidden = result.body.results.length === 0;
      noConversations.hidden = result.body.results.length > 0;
    });
  }, 150);

  window.LMSRealtime.subscribe("user:" + me, {
    event: function (frame) {
      if (frame.data && /^dm\.(created|read|deleted)$/.test(frame.event)) refreshInbox();
    },
    reset: refreshInbox,
  });
  ui.whenLive(refreshInbox);
})();
