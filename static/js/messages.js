/* Live direct messages, loaded on every page through the navigation.
 *
 * - The unread count in the navigation follows `dm.created` and `dm.read`.
 * - The inbox (#inbox) refreshes its conversation list when a message comes or goes read.
 * - A conversation (#conversation) shows new messages without a reload, marks what the
 *   other person sent read while the page is visible, and shows "Seen" under my last
 *   message once they read it.
 *
 * Frames of the user's topic arrive as `lms:user-event` DOM events from the page's one
 * subscription to `user:{id}` (notifications.js); without it, this script subscribes
 * itself. Everything users wrote is inserted with textContent, never as HTML.
 */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function api(method, url, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response
        .json()
        .catch(function () { return {}; })
        .then(function (json) { return { status: response.status, body: json }; });
    });
  }

  function errorText(result) {
    var body = result.body || {};
    if (typeof body.detail === "string") return body.detail;
    for (var key in body) {
      if (Array.isArray(body[key]) && body[key].length) return String(body[key][0]);
    }
    return "Something went wrong (" + result.status + ").";
  }

  function formatTime(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    return date.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  // Times rendered by the server (UTC) are shown in the reader's own time zone, like live ones.
  function localizeTimes(root) {
    if (!root) return;
    root.querySelectorAll("time[datetime]").forEach(function (node) {
      var text = formatTime(node.getAttribute("datetime"));
      if (text) node.textContent = text;
    });
  }

  function avatarNode(person) {
    if (person && person.avatar && /^https?:\/\//i.test(person.avatar)) {
      var img = el("img", "avatar");
      img.src = person.avatar;
      img.alt = "";
      img.width = 32;
      img.height = 32;
      return img;
    }
    var initial = el("span", "avatar avatar-initial", ((person && person.name) || "?").charAt(0).toUpperCase());
    initial.setAttribute("aria-hidden", "true");
    return initial;
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function init() {
    var me = Number(document.body.dataset.userId);
    if (!me) return;
    var handlers = [];
    var resyncs = []; // reload what the page shows, after a gap in the live stream

    /* Navigation count */

    var badge = document.getElementById("dm-unread-count");

    function setCount(count) {
      if (!badge || typeof count !== "number") return;
      badge.dataset.count = String(Math.max(0, count));
      badge.textContent = count > 0 ? String(count) : "";
    }

    var refreshCount = debounce(function () {
      api("GET", "/api/messages/unread-count/").then(function (result) {
        if (result.status === 200) setCount(result.body.count);
      });
    }, 150);

    resyncs.push(refreshCount);
    handlers.push(function (frame) {
      if (frame.event === "dm.read") setCount(frame.data.unread_count);
      else if (frame.event === "dm.created" && frame.data.recipient === me) refreshCount();
    });

    /* Inbox */

    var inbox = document.getElementById("inbox");
    if (inbox) localizeTimes(inbox);
    if (inbox && inbox.dataset.firstPage === "true") {
      var conversationList = document.getElementById("conversation-list");
      var noConversations = document.getElementById("no-conversations");

      var conversationNode = function (row) {
        var item = el("li", "conversation-item" + (row.unread_count ? " has-unread" : ""));
        item.dataset.partnerId = String(row.user.id);
        item.appendChild(avatarNode(row.user));
        var body = el("div", "conversation-body");
        var link = el("a", "conversation-name", row.user.name);
        link.href = "/messages/" + Number(row.user.id) + "/";
        body.appendChild(link);
        body.appendChild(document.createTextNode(" "));
        var unread = el("span", "count-badge conversation-unread", row.unread_count ? row.unread_count : "");
        unread.dataset.count = String(row.unread_count);
        body.appendChild(unread);
        var last = row.last_message;
        var preview = (last.sender === me ? "You: " : "") + last.content;
        if (preview.length > 120) preview = preview.slice(0, 119) + "…";
        body.appendChild(el("div", "conversation-last muted small", preview));
        item.appendChild(body);
        var time = el("time", "muted small", formatTime(last.created_at));
        time.setAttribute("datetime", last.created_at);
        item.appendChild(time);
        return item;
      };

      var refreshInbox = debounce(function () {
        api("GET", "/api/conversations/").then(function (result) {
          if (result.status !== 200) return;
          conversationList.replaceChildren.apply(
            conversationList,
            result.body.results.map(conversationNode)
          );
          conversationList.hidden = result.body.results.length === 0;
          noConversations.hidden = result.body.results.length > 0;
        });
      }, 150);

      handlers.push(function (frame) {
        if (/^dm\.(created|read|deleted)$/.test(frame.event)) refreshInbox();
      });
      resyncs.push(refreshInbox);
    }

    /* Conversation */

    var conversation = document.getElementById("conversation");
    if (conversation) {
      var partnerId = Number(conversation.dataset.partnerId);
      var partnerName = conversation.dataset.partnerName;
      var isLatest = conversation.dataset.isLatest === "true";
      var list = document.getElementById("chat-messages");
      var empty = document.getElementById("no-messages");
      var form = document.getElementById("post-form");
      var postError = document.getElementById("post-error");
      var textarea = form ? form.querySelector("textarea") : null;

      var dmNode = function (dm) {
        var mine = dm.sender === me;
        var item = el("li", "chat-message" + (mine ? " is-mine" : ""));
        item.id = "dm-" + dm.id;
        item.dataset.messageId = String(dm.id);
        item.dataset.senderId = String(dm.sender);
        item.dataset.read = dm.is_read ? "true" : "false";
        var body = el("div", "chat-body");
        var meta = el("div", "chat-meta");
        meta.appendChild(el("span", "chat-author", mine ? "You" : partnerName));
        var time = el("time", "muted small", formatTime(dm.created_at));
        time.setAttribute("datetime", dm.created_at);
        meta.appendChild(time);
        body.appendChild(meta);
        body.appendChild(el("div", "chat-content", dm.content));
        var receipt = el("div", "chat-receipt small muted", "Seen");
        receipt.hidden = true;
        body.appendChild(receipt);
        item.appendChild(body);
        return item;
      };

      // "Seen" goes under my last message, once the other person has read it.
      var updateSeen = function () {
        var mine = list.querySelectorAll('[data-sender-id="' + me + '"]');
        list.querySelectorAll(".chat-receipt").forEach(function (node) { node.hidden = true; });
        var last = mine[mine.length - 1];
        if (last && last.dataset.read === "true") last.querySelector(".chat-receipt").hidden = false;
      };

      var hasUnreadFromPartner = function () {
        return !!list.querySelector('[data-sender-id="' + partnerId + '"][data-read="false"]');
      };

      var markRead = function () {
        if (!isLatest || document.visibilityState !== "visible" || !hasUnreadFromPartner()) return;
        api("POST", "/api/messages/read/", { with: partnerId }).then(function (result) {
          if (result.status !== 200) return;
          applyRead(result.body.ids);
          setCount(result.body.unread_count);
        });
      };

      var applyRead = function (ids) {
        (ids || []).forEach(function (id) {
          var node = document.getElementById("dm-" + Number(id));
          if (node) node.dataset.read = "true";
        });
        updateSeen();
      };

      var appendDm = function (dm) {
        if (!isLatest || document.getElementById("dm-" + dm.id)) return;
        list.appendChild(dmNode(dm));
        if (empty) empty.hidden = true;
        list.lastElementChild.scrollIntoView({ block: "nearest" });
        updateSeen();
      };

      var resync = function () {
        if (!isLatest) return;
        api("GET", "/api/messages/?with=" + partnerId).then(function (result) {
          if (result.status !== 200) return;
          result.body.results.forEach(function (dm) {
            appendDm(dm);
            var node = document.getElementById("dm-" + dm.id);
            if (node) node.dataset.read = dm.is_read ? "true" : "false";
          });
          updateSeen();
          markRead();
        });
      };

      handlers.push(function (frame) {
        var dm = frame.data || {};
        if (frame.event === "dm.created") {
          var ours =
            (dm.sender === partnerId && dm.recipient === me) ||
            (dm.sender === me && dm.recipient === partnerId);
          if (!ours) return;
          appendDm(dm);
          markRead();
        } else if (frame.event === "dm.read" && dm.with === partnerId) {
          applyRead(dm.ids);
        } else if (frame.event === "dm.deleted") {
          var gone = document.getElementById("dm-" + Number(dm.id));
          if (gone) gone.remove();
        }
      });
      resyncs.push(resync);
      document.addEventListener("visibilitychange", markRead);

      if (form && textarea) {
        var showError = function (text) {
          postError.textContent = text || "";
          postError.hidden = !text;
        };
        textarea.addEventListener("keydown", function (event) {
          if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
        });
        form.addEventListener("submit", function (event) {
          event.preventDefault();
          var content = textarea.value;
          if (!content.trim()) {
            showError("The message may not be empty.");
            return;
          }
          var button = form.querySelector("button[type=submit]");
          button.disabled = true;
          api("POST", "/api/messages/", { recipient: partnerId, content: content })
            .then(function (result) {
              if (result.status === 201) {
                textarea.value = "";
                showError("");
                if (!isLatest) {
                  window.location.href = "/messages/" + partnerId + "/#dm-" + result.body.id;
                  return;
                }
                appendDm(result.body);
              } else {
                showError(errorText(result));
              }
            })
            .catch(function () { form.submit(); })
            .finally(function () { button.disabled = false; });
        });
      }
      localizeTimes(list);
      updateSeen();
      markRead();
    }

    /* Frames of user:{me} */

    function dispatch(frame) {
      if (!frame || frame.op !== "event" || !frame.data) return;
      handlers.forEach(function (handler) { handler(frame); });
    }

    document.addEventListener("lms:user-event", function (event) {
      dispatch(event.detail && event.detail.frame);
    });
    function resyncAll() {
      resyncs.forEach(function (fn) { fn(); });
    }

    // The user's topic is joined without a starting id, so what happened between the page
    // render and the join (or while the socket was down) is fetched again.
    document.addEventListener("lms:user-reset", resyncAll);
    document.addEventListener("lms:realtime-state", function (event) {
      if (event.detail && event.detail.state === "live") resyncAll();
    });

    // Without the shared subscription (no notification bell on the page), hold our own.
    if (!document.querySelector("[data-notification-bell]") && window.LMSRealtime && window.LMSRealtime.subscribe) {
      window.LMSRealtime.subscribe("user:" + me, { event: dispatch, reset: resyncAll });
    }
  }

  // Deferred like realtime.js, which comes later in the page: start once every deferred
  // script has run, so window.LMSRealtime exists.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
