/* Live discussions.
 *
 * Thread page (#thread): subscribes to `thread:{id}`; new messages appear without a
 * reload, deleted ones go away, who is online is listed (presence) and "Bob is typing…"
 * shows for about 4 s after Bob's last keystroke (presence.js), with "N online". The post
 * form: LMSUi.postForm (ui.js); @mentions in messages and their suggestions in the form:
 * mentions.js.
 * Course discussion list (#course-discussions): subscribes to `course:{id}` and shows
 * new threads live.
 * Everything users wrote is inserted with textContent, never as HTML.
 */
(function () {
  "use strict";

  var ui = window.LMSUi;
  var el = ui.el;
  var api = ui.api;
  var avatarNode = ui.avatarNode;

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
    var messagesUrl = "/api/threads/" + threadId + "/messages/";
    var onlineCount = document.getElementById("online-count");
    var roster = window.LMSPresence.roster();
    var typing = window.LMSPresence.typing(typingLine, me);
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
      var time = el("time", "muted small", ui.formatTime(message.created_at));
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
        token.value = ui.csrfToken();
        var button = el("button", "btn btn-link small", "Delete");
        button.type = "submit";
        deleteForm.appendChild(token);
        deleteForm.appendChild(button);
        meta.appendChild(deleteForm);
      }
      body.appendChild(meta);
      var content = el("div", "chat-content");
      if (window.LMSMentions) content.appendChild(window.LMSMentions.render(message.content, message.mentions, me));
      else content.textContent = message.content;
      body.appendChild(content);
      item.appendChild(body);
      if (window.LMSMessageActions) window.LMSMessageActions.decorate(item, message);
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
      var people = roster.people();
      if (onlineCount) {
        onlineCount.textContent = roster.count() + " online";
        onlineCount.hidden = roster.count() === 0;
      }
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
      roster.apply(frame);
      renderOnline();
    }

    /* Thread changes */

    function applyThread(thread) {
      if (!thread) return;
      document.getElementById("thread-title").textContent = thread.title;
      document.getElementById("thread-closed").hidden = !!thread.is_active;
      if (window.LMSModeration) window.LMSModeration.applyThread(thread);
      if (!thread.is_active && !moderatesMessages) {
        if (form) form.hidden = true;
        document.getElementById("closed-live-note").hidden = false;
      }
    }

    function onEvent(frame) {
      var data = frame.data || {};
      if (frame.event === "thread.message") {
        typing.stop(data.sender && data.sender.id);
        appendMessage(data);
      } else if (frame.event === "thread.updated") {
        applyThread(data);
      } else if (frame.event === "thread.message_deleted" || frame.event === "thread.message.hidden") {
        var node = document.getElementById("message-" + Number(data.id));
        if (node && frame.event === "thread.message.hidden" && moderatesMessages) {
          // Moderators keep a placeholder (the text stays in the moderation queue).
          node.classList.add("is-hidden");
          var hiddenContent = node.querySelector(".chat-content");
          if (hiddenContent) hiddenContent.textContent = "Hidden by a moderator";
          return;
        }
        if (node) node.remove();
        if (empty && !list.children.length) empty.hidden = false;
      } else if (frame.event === "thread.message.unhidden") {
        var shown = document.getElementById("message-" + Number(data.id));
        if (shown) {
          shown.replaceWith(messageNode(data));
        } else if (isLatest) {
          var next = Array.prototype.find.call(list.children, function (item) {
            return Number(item.dataset.messageId) > Number(data.id);
          });
          list.insertBefore(messageNode(data), next || null);
          if (empty) empty.hidden = true;
        }
      }
    }

    /* Posting */

    var chat = { showError: function () {} };
    if (form && form.querySelector("textarea")) {
      var typingSender = null;
      chat = window.LMSUi.postForm(form, {
        send: function (content) {
          return api("POST", messagesUrl, { content: content });
        },
        posted: function (message) {
          if (typingSender) typingSender.reset();
          if (!isLatest) {
            window.location.href = "/threads/" + threadId + "/#message-" + message.id;
            return;
          }
          appendMessage(message);
        },
      });
      if (window.LMSMentions) window.LMSMentions.autocomplete(chat.textarea, root.dataset.membersUrl);
      typingSender = window.LMSPresence.typingSender(chat.textarea, function () { return sub; });
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
          chat.showError(ui.errorText(result));
        }
      });
    });

    function onRevoked() {
      // The thread was closed to students, or this user left the course.
      if (form) form.hidden = true;
      document.getElementById("closed-live-note").hidden = false;
      roster.clear();
      typing.clear();
      renderOnline();
    }

    // A link to a message older than this page (a notification's) opens the page that ends with it.
    var wanted = /^#message-(\d+)$/.exec(window.location.hash);
    var oldest = list.querySelector("[data-message-id]");
    if (wanted && !document.getElementById("message-" + wanted[1]) && oldest &&
        Number(wanted[1]) < Number(oldest.dataset.messageId)) {
      window.location.replace("?before=" + (Number(wanted[1]) + 1) + "#message-" + wanted[1]);
      return;
    }

    ui.localizeTimes(list);
    renderOnline();
    sub = window.LMSRealtime.subscribe(
      "thread:" + threadId,
      {
        joined: function (data) {
          if (data && data.thread) applyThread(data.thread);
        },
        event: onEvent,
        presence: onPresence,
        typing: typing.heard,
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
      ui.flash(node);
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

    window.LMSRealtime.subscribe(
      "course:" + courseId,
      { event: onEvent, reset: function () { window.location.reload(); } },
      { since: Number(root.dataset.since) }
    );
  }

  var thread = document.getElementById("thread");
  if (thread) initThread(thread);
  var courseList = document.getElementById("course-discussions");
  if (courseList) initCourseList(courseList);
})();
