/* Moderation, live (docs/discussions.md, "Moderation").
 *
 * Moderation queue (#moderation-queue): subscribes to `moderation:{course}`; a new report
 * adds or updates its message's item, a resolved one (hidden or dismissed by any moderator)
 * leaves the queue. Items are built from the page's <template>, text with textContent.
 * Thread page (#thread) and course list (#course-discussions): `discussion.muted` /
 * `discussion.unmuted` on `user:{me}` turn the post form off and on; the "Pinned" and
 * "Answered" marks follow `thread.updated` (discussions.js calls LMSModeration.applyThread
 * on the thread page; the list listens to `course:{id}` here).
 */
(function () {
  "use strict";

  var ui = window.LMSUi;
  var el = ui.el;
  var me = Number(document.body.dataset.userId);

  /* ------------------------------------------------------------ the queue */

  function initQueue(root) {
    var list = document.getElementById("report-list");
    var empty = document.getElementById("no-reports");
    var template = document.getElementById("report-group-template");

    function refreshCounts() {
      var groups = list.querySelectorAll(".report-group");
      var reports = list.querySelectorAll(".report-reasons li");
      document.getElementById("open-reports-count").textContent = String(reports.length);
      document.getElementById("reported-messages-count").textContent = String(groups.length);
      empty.hidden = groups.length > 0;
    }

    function fill(node, item) {
      var message = item.message;
      node.dataset.messageId = String(message.id);
      node.querySelector(".report-author").textContent = message.sender.name;
      var link = node.querySelector(".report-thread");
      link.textContent = message.thread_title;
      link.href = message.url;
      node.querySelector(".report-count").textContent = String(item.reporters_count);
      node.querySelector(".report-content").textContent = message.content;
      node.querySelectorAll(".report-message-id").forEach(function (input) {
        input.value = String(message.id);
      });
      node.querySelectorAll(".report-sender-id").forEach(function (input) {
        input.value = String(message.sender.id);
      });
      var reasons = node.querySelector(".report-reasons");
      reasons.replaceChildren();
      item.reports.forEach(function (report) {
        var line = el("li");
        line.appendChild(el("span", "report-reporter", report.reporter.name));
        line.appendChild(document.createTextNode(": "));
        line.appendChild(el("span", "report-reason", report.reason));
        reasons.appendChild(line);
      });
    }

    function onEvent(frame) {
      var data = frame.data || {};
      if (frame.event === "moderation.report") {
        var node = list.querySelector('[data-message-id="' + Number(data.message.id) + '"]');
        if (!node) {
          node = template.content.firstElementChild.cloneNode(true);
          list.insertBefore(node, list.firstChild);
        }
        fill(node, data);
        ui.flash(node);
      } else if (frame.event === "moderation.resolved") {
        var gone = list.querySelector('[data-message-id="' + Number(data.message) + '"]');
        if (gone) gone.remove();
      }
      refreshCounts();
    }

    window.LMSRealtime.subscribe(root.dataset.topic, {
      event: onEvent,
      reset: function () { window.location.reload(); },
    });
  }

  /* ------------------------------------------------------------ muted */

  function initMute(courseId) {
    var note = document.getElementById("muted-note");
    var form = document.getElementById("post-form");
    var timer = null;

    function unmuted() {
      if (timer) window.clearTimeout(timer);
      timer = null;
      if (!form) {
        window.location.reload(); // the page was rendered without its post form
        return;
      }
      form.hidden = false;
      if (note) note.hidden = true;
    }

    function muted(data) {
      if (form) form.hidden = true;
      if (note) {
        note.replaceChildren();
        note.appendChild(document.createTextNode("You are muted in this course's discussions until "));
        var time = el("time", "", ui.formatDate(data.until) + " " + ui.formatTime(data.until));
        time.setAttribute("datetime", data.until);
        note.appendChild(time);
        note.appendChild(document.createTextNode(data.reason ? ": " + data.reason + "." : "."));
        note.hidden = false;
      }
      schedule(data.until);
    }

    function schedule(until) {
      if (timer) window.clearTimeout(timer);
      var wait = new Date(until).getTime() - Date.now();
      // Timers past ~24 days fire at once: a page open that long reloads anyway.
      if (wait > 0 && wait < 2147483647) timer = window.setTimeout(unmuted, wait + 1000);
    }

    var rendered = note && !note.hidden && note.querySelector("time");
    if (rendered) schedule(rendered.getAttribute("datetime"));

    window.LMSRealtime.subscribe("user:" + me, {
      event: function (frame) {
        var data = frame.data || {};
        if (Number(data.course) !== courseId) return;
        if (frame.event === "discussion.muted") muted(data);
        else if (frame.event === "discussion.unmuted") unmuted();
      },
    });
  }

  /* ------------------------------------------------------------ thread marks */

  function applyThread(thread) {
    if (!thread) return;
    var pinned = document.getElementById("thread-pinned");
    if (pinned) pinned.hidden = !thread.is_pinned;
    var answered = document.getElementById("thread-answered");
    if (answered) answered.hidden = !thread.accepted_message;
    document.querySelectorAll("#chat-messages [data-message-id]").forEach(function (item) {
      var accepted = Number(item.dataset.messageId) === Number(thread.accepted_message);
      item.classList.toggle("is-accepted", accepted);
      var badge = item.querySelector(".accepted-badge");
      if (badge) badge.hidden = !accepted;
    });
  }

  function initCourseList(root) {
    var list = document.getElementById("thread-list");

    function mark(node, thread) {
      [["thread-pinned-badge", "Pinned", thread.is_pinned],
        ["thread-answered-badge", "Answered", !!thread.accepted_message]].forEach(function (spec) {
        var badge = node.querySelector("." + spec[0]);
        if (!badge) {
          badge = el("span", "badge " + (spec[0] === "thread-pinned-badge" ? "badge-pinned " : "badge-success ") + spec[0], spec[1]);
          node.insertBefore(badge, node.querySelector(".thread-meta"));
        }
        badge.hidden = !spec[2];
      });
    }

    function reorder(node, thread) {
      // Pinned threads lead the list; an unpinned one goes below them.
      var pinnedNodes = list.querySelectorAll(".thread-item.is-pinned");
      node.classList.toggle("is-pinned", !!thread.is_pinned);
      if (thread.is_pinned) {
        list.insertBefore(node, list.firstChild);
      } else if (pinnedNodes.length) {
        var last = null;
        list.querySelectorAll(".thread-item.is-pinned").forEach(function (item) { last = item; });
        if (last) list.insertBefore(node, last.nextSibling);
      }
    }

    list.querySelectorAll(".thread-item").forEach(function (node) {
      var badge = node.querySelector(".thread-pinned-badge");
      node.classList.toggle("is-pinned", !!badge && !badge.hidden);
    });

    window.LMSRealtime.subscribe("course:" + Number(root.dataset.courseId), {
      event: function (frame) {
        if (frame.event !== "thread.updated" && frame.event !== "thread.created") return;
        var thread = frame.data || {};
        // discussions.js adds or updates the item first (it subscribed first).
        var node = list.querySelector('[data-thread-id="' + Number(thread.id) + '"]');
        if (!node) return;
        var wasPinned = node.classList.contains("is-pinned");
        mark(node, thread);
        if (wasPinned !== !!thread.is_pinned) reorder(node, thread);
      },
    });
  }

  window.LMSModeration = { applyThread: applyThread };

  function start() {
    var queue = document.getElementById("moderation-queue");
    if (queue) initQueue(queue);
    var thread = document.getElementById("thread");
    if (thread) initMute(Number(thread.dataset.courseId));
    var courseList = document.getElementById("course-discussions");
    if (courseList) initCourseList(courseList);
  }

  // Deferred scripts all run before DOMContentLoaded: discussions.js (loaded after this
  // file) has subscribed its listeners first.
  document.addEventListener("DOMContentLoaded", start);
})();
