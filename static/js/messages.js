/* The unread count of direct messages in the navigation (discussions/_nav.html), on every
 * signed-in page: it follows `dm.created` and `dm.read` on the user's topic, and reads the
 * count again after a gap in the live stream. window.LMSMessages.setUnreadCount(n) lets
 * the conversation page (conversation.js) show a count it was just given.
 */
(function () {
  "use strict";

  const ui = window.LMSUi;
  const me = Number(document.body.dataset.userId);
  const badge = document.getElementById("dm-unread-count");

  function setUnreadCount(count) {
    if (!badge || typeof count !== "number") return;
    badge.dataset.count = String(Math.max(0, count));
    badge.textContent = count > 0 ? String(count) : "";
  }

  window.LMSMessages = { setUnreadCount: setUnreadCount };
  if (!me) return;

  const refreshCount = ui.debounce(function () {
    ui.api("GET", "/api/messages/unread-count/").then(function (result) {
      if (result.status === 200) setUnreadCount(result.body.count);
    });
  }, 150);

  // The user's topic is joined without a starting id, so what happened between the page
  // render and the join (or while the socket was down) is read again.
  window.LMSRealtime.subscribe("user:" + me, {
    event: function (frame) {
      if (!frame.data) return;
      if (frame.event === "dm.read") setUnreadCount(frame.data.unread_count);
      else if (frame.event === "dm.created" && frame.data.recipient === me) refreshCount();
    },
    reset: refreshCount,
  });
  ui.whenLive(refreshCount);
})();
