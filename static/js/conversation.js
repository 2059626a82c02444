/* A conversation of direct messages (#conversation): new messages show without a reload,
 * what the other person sent is marked read while the page is visible, and "Seen" shows
 * under my last message once they read it. The other person's online dot and "… is
 * typing" come from the topic `conversation:{low id}-{high id}` (presence.js). The post
 * form: LMSUi.postForm (ui.js).
 * Everything users wrote is inserted with textContent, never as HTML.
 */
(function () {
  "use strict";

  const ui = window.LMSUi;
  const el = ui.el;
  const me = Number(document.body.dataset.userId);
  const conversation = document.getElementById("conversation");
  if (!conversation || !me) return;

  const partnerId = Number(conversation.dataset.partnerId);
  const partnerName = conversation.dataset.partnerName;
  const isLatest = conversation.dataset.isLatest === "true";
  const list = document.getElementById("chat-messages");
  const empty = document.getElementById("no-messages");
  const form = document.getElementById("post-form");

  function dmNode(dm) {
    const mine = dm.sender === me;
    const item = el("li", "chat-message" + (mine ? " is-mine" : ""));
    item.id = "dm-" + dm.id;
    item.dataset.messageId = String(dm.id);
    item.dataset.senderId = String(dm.sender);
    item.dataset.read = dm.is_read ? "true" : "false";
    const body = el("div", "chat-body");
    const meta = el("div", "chat-meta");
    meta.appendChild(el("span", "chat-author", mine ? "You" : partnerName));
    const time = el("time", "muted small", ui.formatTime(dm.created_at));
    time.setAttribute("datetime", dm.created_at);
    meta.appendChild(time);
    body.appendChild(meta);
    body.appendChild(el("div", "chat-content", dm.content));
    const receipt = el("div", "chat-receipt small muted", "Seen");
    receipt.hidden = true;
    body.appendChild(receipt);
    item.appendChild(body);
    if (window.LMSMessageActions) window.LMSMessageActions.decorateDm(item, dm);
    return item;
  }

  // "Seen" goes under my last message, once the other person has read it.
  function updateSeen() {
    const mine = list.querySelectorAll('[data-sender-id="' + me + '"]');
    list.querySelectorAll(".chat-receipt").forEach(function (node) { node.hidden = true; });
    const last = mine[mine.length - 1];
    if (last && last.dataset.read === "true") last.querySelector(".chat-receipt").hidden = false;
  }

  function hasUnreadFromPartner() {
    return !!list.querySelector('[data-sender-id="' + partnerId + '"][data-read="false"]');
  }

  function markRead() {
    if (!isLatest || document.visibilityState !== "visible" || !hasUnreadFromPartner()) return;
    ui.api("POST", "/api/messages/read/", { with: partnerId }).then(function (result) {
      if (result.status !== 200) return;
      applyRead(result.body.ids);
      window.LMSMessages.setUnreadCount(result.body.unread_count);
    });
  }

  function applyRead(ids) {
    (ids || []).forEach(function (id) {
      const node = document.getElementById("dm-" + Number(id));
      if (node) node.dataset.read = "true";
    });
    updateSeen();
  }

  function appendDm(dm) {
    if (!isLatest || document.getElementById("dm-" + dm.id)) return;
    list.appendChild(dmNode(dm));
    if (empty) empty.hidden = true;
    list.lastElementChild.scrollIntoView({ block: "nearest" });
    updateSeen();
  }

  // After a gap in the live stream: the latest messages again, with their read state.
  function resync() {
    if (!isLatest) return;
    ui.api("GET", "/api/messages/?with=" + partnerId).then(function (result) {
      if (result.status !== 200) return;
      result.body.results.forEach(function (dm) {
        appendDm(dm);
        const node = document.getElementById("dm-" + dm.id);
        if (node) node.dataset.read = dm.is_read ? "true" : "false";
      });
      updateSeen();
      markRead();
    });
  }

  function onEvent(frame) {
    const dm = frame.data;
    if (!dm) return;
    if (frame.event === "dm.created") {
      const ours = (dm.sender === partnerId && dm.recipient === me) || (dm.sender === me && dm.recipient === partnerId);
      if (!ours) return;
      typing.stop(dm.sender);
      appendDm(dm);
      markRead();
    } else if (frame.event === "dm.read" && dm.with === partnerId) {
      applyRead(dm.ids);
    } else if (frame.event === "dm.deleted") {
      const gone = document.getElementById("dm-" + Number(dm.id));
      if (gone) gone.remove();
    }
  }

  /* Online and typing */

  const PRESENCE_RECHECK_MS = 30000; // "online elsewhere on the site" is read again this often
  const dot = document.getElementById("partner-online");
  const roster = window.LMSPresence.roster();
  const typing = window.LMSPresence.typing(document.getElementById("typing-line"), me);
  let onlineElsewhere = false;
  let presenceSub = null;

  function renderDot() {
    if (!dot) return;
    const online = onlineElsewhere || roster.has(partnerId);
    const label = online ? partnerName + " is online" : partnerName + " is offline";
    dot.dataset.online = online ? "true" : "false";
    dot.title = online ? "Online" : "Offline";
    dot.replaceChildren(el("span", "visually-hidden", label));
  }

  function recheckOnline() {
    if (document.visibilityState !== "visible") return;
    ui.api("GET", "/api/messages/presence/?with=" + partnerId).then(function (result) {
      if (result.status !== 200) return;
      onlineElsewhere = !!result.body.online;
      renderDot();
    });
  }

  function onPresence(frame) {
    roster.apply(frame);
    if (Object.prototype.hasOwnProperty.call(frame.leaves || {}, String(partnerId))) {
      typing.stop(partnerId);
      recheckOnline(); // left this page: maybe still on the site
    }
    renderDot();
  }

  const topic = "conversation:" + Math.min(me, partnerId) + "-" + Math.max(me, partnerId);
  presenceSub = window.LMSRealtime.subscribe(topic, {
    joined: function (data) {
      onlineElsewhere = !!(data && data.partner_online);
      renderDot();
    },
    presence: onPresence,
    typing: typing.heard,
    revoked: function () {
      roster.clear();
      typing.clear();
      onlineElsewhere = false;
      renderDot();
    },
  });
  presenceSub.track({ status: "active" });
  setInterval(recheckOnline, PRESENCE_RECHECK_MS);
  document.addEventListener("visibilitychange", recheckOnline);

  if (form && form.querySelector("textarea")) {
    let typingSender = null;
    const chat = window.LMSUi.postForm(form, {
      send: function (content) {
        return ui.api("POST", "/api/messages/", { recipient: partnerId, content: content });
      },
      posted: function (dm) {
        if (typingSender) typingSender.reset();
        if (!isLatest) {
          window.location.href = "/messages/" + partnerId + "/#dm-" + dm.id;
          return;
        }
        appendDm(dm);
      },
    });
    typingSender = window.LMSPresence.typingSender(chat.textarea, function () { return presenceSub; });
  }
  document.addEventListener("visibilitychange", markRead);
  ui.localizeTimes(list);
  updateSeen();
  markRead();

  window.LMSRealtime.subscribe("user:" + me, { event: onEvent, reset: resync });
  ui.whenLive(resync);
})();
