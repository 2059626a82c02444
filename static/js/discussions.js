/* Live discussions.
 *
 * Thread page (#thread): subscribes to `thread:{id}`; new messages appear without a
 * reload, deleted ones go away, who is online is listed (presence) and "Bob is typing…"
 * shows for about 4 s after Bob's last keystroke. The post form sends through the API
 * and falls back to a plain form post when that fails.
 * Course discussion list (#course-discussions): subscribes to `course:{id}` and shows
 * new threads live.
 * Everything users wrote is inserted with textContent, never as HTML.
 */
(function () {
  "use strict";

  var TYPING_SHOWN_MS = 4000; // how long "… is typing" stays after the last typing frame
  var TYPING_SEND_EVERY_MS = 2000; // at most one typing frame per this interval

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
      if (response.status === 204) return { status: 204, body: null };
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

  function flash(node) {
    node.classList.remove("is-new");
    void node.offsetWidth; // restart the animation
    node.classList.add("is-new");
  }

  /* ---------------------------------------------------------------- thread page */

  function initThread(root) {
    var threadId = Number(root.dataset.threadId);
    var me = Number(document.body.dataset.userId);
    var isLatest = root.dataset.isLatest === "true";
    var moderatesMessages = root.dataset.moderatesMessages === "true";
    var deleteWindowMs = Number(root.dataset.deleteWindowMinutes || 0) * 60000;
    var list = document.getElementById("chat-messages");
    var empty = document.getElementById("no-messages");
    var typingLine = document.getElementById("typing-line");
    var onlineList = document.getElementById("online-list");
    var form = document.getElementById("post-form");
    var postError = document.getElementById("post-error");
    var textarea = form ? form.querySelector("textarea") : null;
    var messagesUrl = "/api/threads/" + threadId + "/messages/";
    var online = {}; // user id (string) -> {id, name, avatar}
    var typers = {}; // user id (string) -> {name, until}
    var typingTimer = null;
    var sub = null;

    function nearBottom() {
      return window.innerHeight + window.scrollY >= document.body.scrollHeight - 150;
    }

    function messageNode(message) {
      var item = el("li", "chat-message" + (message.sender.id === me ? " is-mine" : ""));
      item.id = "message-" + message.id;
      item.dataset.messageId = String(message.id);
      item.dataset.senderId = String(message.sender.id);
      item.appendChild(avatarNode(message.sender));
      var body = el("div", "chat-body");
      var meta = el("div", "chat-meta");
      var author;
      if (message.sender.id !== me) {
        author = el("a", "chat-author", message.sender.name);
        author.href = "/messages/" + Number(message.sender.id) + "/";
        author.title = "Send a direct message";
      } else {
        author = el("span", "chat-author", message.sender.name);
      }
      meta.appendChild(author);
      var time = el("time", "muted small", formatTime(message.created_at));
      time.setAttribute("datetime", message.created_at);
      meta.appendChild(time);
      var fresh = Date.now() - new Date(message.created_at).getTime() < deleteWindowMs;
      if (moderatesMessages || (message.sender.id === me && fresh)) {
        var deleteForm = el("form", "inline-form chat-delete");
        deleteForm.method = "post";
        deleteForm.action = "/threads/" + threadId + "/messages/" + Number(message.id) + "/delete/";
        var token = el("input");
        token.type = "hidden";
        token.name = "csrfmiddlewaretoken";
        token.value = csrfToken();
        var button = el("button", "btn btn-link small", "Delete");
        button.type = "submit";
        deleteForm.appendChild(token);
        deleteForm.appendChild(button);
        meta.appendChild(deleteForm);
      }
      body.appendChild(meta);
      body.appendChild(el("div", "chat-content", message.content));
      item.appendChild(body);
      return item;
    }

    function appendMessage(message) {
      if (!isLatest || document.getElementById("message-" + message.id)) return;
      var follow = nearBottom() || message.sender.id === me;
      list.appendChild(messageNode(message));
      if (empty) empty.hidden = true;
      if (follow) list.lastElementChild.scrollIntoView({ block: "nearest" });
    }

    function resync() {
      if (!isLatest) return;
      api("GET", messagesUrl).then(function (result) {
        if (result.status !== 200) return;
        result.body.results.forEach(appendMessage);
      });
    }

    /* Who is online */

    function renderOnline() {
      var people = Object.keys(online).map(function (key) { return online[key]; });
      people.sort(function (a, b) { return String(a.name).localeCompare(String(b.name)); });
      onlineList.replaceChildren();
      people.forEach(function (person) {
        var item = el("li", "online-user");
        item.dataset.userId = String(person.id);
        item.appendChild(avatarNode(person));
        item.appendChild(el("span", "online-name", person.name + (Number(person.id) === me ? " (you)" : "")));
        onlineList.appendChild(item);
      });
      if (!people.length) onlineList.appendChild(el("li", "muted small", "Nobody else right now."));
    }

    function onPresence(frame) {
      if (frame.state) {
        online = {};
        Object.keys(frame.state).forEach(function (key) { online[key] = frame.state[key]; });
      } else {
        Object.keys(frame.leaves || {}).forEach(function (key) { delete online[key]; });
        Object.keys(frame.joins || {}).forEach(function (key) { online[key] = frame.joins[key]; });
      }
      renderOnline();
    }

    /* Who is typing */

    function renderTyping() {
      var now = Date.now();
      var names = [];
      var next = Infinity;
      Object.keys(typers).forEach(function (key) {
        if (typers[key].until <= now) {
          delete typers[key];
        } else {
          names.push(typers[key].name);
          next = Math.min(next, typers[key].until);
        }
      });
      names.sort();
      var text = "";
      if (names.length === 1) text = names[0] + " is typing…";
      else if (names.length === 2) text = names[0] + " and " + names[1] + " are typing…";
      else if (names.length > 2) text = "Several people are typing…";
      typingLine.textContent = text;
      clearTimeout(typingTimer);
      if (next !== Infinity) typingTimer = setTimeout(renderTyping, next - now + 20);
    }

    function onTyping(frame) {
      if (!frame.user || Number(frame.user.id) === me) return;
      typers[String(frame.user.id)] = { name: frame.user.name, until: Date.now() + TYPING_SHOWN_MS };
      renderTyping();
    }

    /* Thread changes */

    function applyThread(thread) {
      if (!thread) return;
      document.getElementById("thread-title").textContent = thread.title;
      document.getElementById("thread-closed").hidden = !!thread.is_active;
      if (!thread.is_active && !moderatesMessages) {
        if (form) form.hidden = true;
        document.getElementById("closed-live-note").hidden = false;
      }
    }

    function onEvent(frame) {
      var data = frame.data || {};
      if (frame.event === "thread.message") {
        delete typers[String(data.sender && data.sender.id)];
        renderTyping();
        appendMessage(data);
      } else if (frame.event === "thread.updated") {
        applyThread(data);
      } else if (frame.event === "thread.message_deleted") {
        var node = document.getElementById("message-" + Number(data.id));
        if (node) node.remove();
        if (empty && !list.children.length) empty.hidden = false;
      }
    }

    /* Posting */

    function showError(text) {
      if (!postError) return;
      postError.textContent = text || "";
      postError.hidden = !text;
    }

    if (form && textarea) {
      var lastTypingSent = 0;
      textarea.addEventListener("input", function () {
        var now = Date.now();
        if (sub && textarea.value.trim() && now - lastTypingSent >= TYPING_SEND_EVERY_MS) {
          lastTypingSent = now;
          sub.typing();
        }
      });
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
        api("POST", messagesUrl, { content: content })
          .then(function (result) {
            if (result.status === 201) {
              textarea.value = "";
              showError("");
              lastTypingSent = 0;
              if (!isLatest) {
                window.location.href = "/threads/" + threadId + "/#message-" + result.body.id;
                return;
              }
              appendMessage(result.body);
            } else {
              showError(errorText(result));
            }
          })
          .catch(function () { form.submit(); })
          .finally(function () { button.disabled = false; });
      });
    }

    list.addEventListener("submit", function (event) {
      var deleteForm = event.target.closest(".chat-delete");
      if (!deleteForm) return;
      event.preventDefault();
      var item = deleteForm.closest("[data-message-id]");
      api("DELETE", messagesUrl + Number(item.dataset.messageId) + "/").then(function (result) {
        if (result.status === 204 || result.status === 404) {
          item.remove();
          if (empty && !list.children.length) empty.hidden = false;
        } else {
          showError(errorText(result));
        }
      });
    });

    function onRevoked() {
      // The thread was closed to students, or this user left the course.
      if (form) form.hidden = true;
      document.getElementById("closed-live-note").hidden = false;
      online = {};
      typers = {};
      renderOnline();
      renderTyping();
    }

    localizeTimes(list);
    renderOnline();
    if (!window.LMSRealtime || !window.LMSRealtime.subscribe) return;
    sub = window.LMSRealtime.subscribe(
      "thread:" + threadId,
      {
        joined: function (data) {
          if (data && data.thread) applyThread(data.thread);
        },
        event: onEvent,
        presence: onPresence,
        typing: onTyping,
        reset: resync,
        revoked: onRevoked,
      },
      { since: Number(root.dataset.since) }
    );
    // Tracked from now on, and again after every reconnection.
    sub.track({ status: "active" });
  }

  /* ------------------------------------------------------- course discussion list */

  function initCourseList(root) {
    var courseId = Number(root.dataset.courseId);
    var firstPage = root.dataset.firstPage === "true";
    var seesClosed = root.dataset.seesClosed === "true";
    var list = document.getElementById("thread-list");
    var empty = document.getElementById("no-threads");

    function threadNode(thread) {
      var item = el("li", "thread-item" + (thread.is_active ? "" : " is-closed"));
      item.dataset.threadId = String(thread.id);
      var link = el("a", "thread-title", thread.title);
      link.href = "/threads/" + Number(thread.id) + "/";
      item.appendChild(link);
      var badge = el("span", "badge badge-muted thread-closed-badge", "Closed");
      badge.hidden = !!thread.is_active;
      item.appendChild(badge);
      var meta = el("div", "thread-meta muted small");
      meta.appendChild(document.createTextNode("started by "));
      meta.appendChild(el("span", "thread-creator", thread.creator ? thread.creator.name : ""));
      meta.appendChild(document.createTextNode(" · active now"));
      item.appendChild(meta);
      return item;
    }

    function existing(id) {
      return list.querySelector('[data-thread-id="' + Number(id) + '"]');
    }

    function addOnTop(thread) {
      if (!firstPage || existing(thread.id)) return;
      var node = threadNode(thread);
      list.insertBefore(node, list.firstChild);
      list.hidden = false;
      if (empty) empty.hidden = true;
      flash(node);
    }

    function onEvent(frame) {
      var thread = frame.data || {};
      if (frame.event === "thread.created") {
        addOnTop(thread);
      } else if (frame.event === "thread.updated" || frame.event === "thread.deleted") {
        var node = existing(thread.id);
        if (frame.event === "thread.deleted" || (!thread.is_active && !seesClosed)) {
          if (node) node.remove();
          if (!list.children.length) {
            list.hidden = true;
            if (empty) empty.hidden = false;
          }
          return;
        }
        if (!node) {
          addOnTop(thread);
          return;
        }
        node.querySelector(".thread-title").textContent = thread.title;
        node.classList.toggle("is-closed", !thread.is_active);
        var badge = node.querySelector(".thread-closed-badge");
        if (!badge) {
          badge = el("span", "badge badge-muted thread-closed-badge", "Closed");
          node.insertBefore(badge, node.querySelector(".thread-meta"));
        }
        badge.hidden = !!thread.is_active;
      }
    }

    if (!window.LMSRealtime || !window.LMSRealtime.subscribe) return;
    window.LMSRealtime.subscribe(
      "course:" + courseId,
      { event: onEvent, reset: function () { window.location.reload(); } },
      { since: Number(root.dataset.since) }
    );
  }

  function init() {
    var thread = document.getElementById("thread");
    if (thread) initThread(thread);
    var courseList = document.getElementById("course-discussions");
    if (courseList) initCourseList(courseList);
  }

  // Deferred like realtime.js, which comes later in the page: start once every deferred
  // script has run, so window.LMSRealtime exists.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
