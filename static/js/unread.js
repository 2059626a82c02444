/* What is new for me in course discussions, kept live (docs/discussions.md, "Unread and
 * follow"). Loaded by the navigation (discussions/_nav.html) on every signed-in page.
 *
 * - Navigation (#nav-discussions) and the course page ([data-discussions-unread-course]):
 *   the unread messages of my courses, from /api/discussions/unread/; a new message of
 *   someone else (`thread.activity` on `course:{id}`) adds one, my own reading
 *   (`thread.read` on `user:{id}`) reads the counts again.
 * - A course's thread list (#course-discussions): each thread's "N new" badge, and its link
 *   to the first unread message.
 * - A thread page (#thread): the messages I actually saw (on screen, tab visible) move my
 *   read position (POST /api/threads/{id}/read/); the Follow button works without a reload.
 */
(function () {
  "use strict";

  const MAX_COURSE_TOPICS = 20; // the navigation listens to at most this many courses
  const REPORT_AFTER_MS = 800; // seen messages are reported together after this pause

  const ui = window.LMSUi;
  const me = Number(document.body.dataset.userId);
  if (!me || !window.LMSRealtime) return;

  const navLink = document.getElementById("nav-discussions");
  const navCount = document.getElementById("discussions-unread-count");
  const threadList = document.getElementById("course-discussions");
  const threadPage = document.getElementById("thread");
  let perCourse = {}; // course id -> unread messages
  const courseTopics = {};

  /* ---------------------------------------------------- navigation and course page */

  function showCounts() {
    let total = 0;
    Object.keys(perCourse).forEach(function (id) { total += perCourse[id]; });
    if (navCount) {
      navCount.dataset.count = String(total);
      navCount.textContent = total > 99 ? "99+" : total > 0 ? String(total) : "";
    }
    if (navLink) {
      navLink.hidden = total === 0;
      navLink.title = total + " new message" + (total === 1 ? "" : "s") + " in your course discussions";
    }
    document.querySelectorAll("[data-discussions-unread-course]").forEach(function (node) {
      const count = perCourse[node.dataset.discussionsUnreadCourse] || 0;
      node.dataset.count = String(count);
      node.textContent = count > 0 ? count + " new" : "";
    });
  }

  function listen(courseId) {
    if (courseTopics[courseId] || Object.keys(courseTopics).length >= MAX_COURSE_TOPICS) return;
    // The course's own topic: new messages, ids only (see discussions/events.py).
    courseTopics[courseId] = window.LMSRealtime.subscribe("course:" + courseId, {
      event: onCourseEvent,
      reset: refresh,
    });
  }

  const refresh = ui.debounce(function () {
    ui.api("GET", "/api/discussions/unread/").then(function (result) {
      if (result.status !== 200 || !Array.isArray(result.body)) return;
      perCourse = {};
      result.body.forEach(function (row) {
        perCourse[row.course] = row.unread_messages;
        listen(row.course);
      });
      showCounts();
    });
  }, 200);

  /* ------------------------------------------------------------ a course's thread list */

  function threadNode(threadId) {
    return threadList && threadList.querySelector('[data-thread-id="' + Number(threadId) + '"]');
  }

  function setThreadUnread(threadId, unread, firstUnreadId) {
    const node = threadNode(threadId);
    if (!node) return;
    node.dataset.unread = String(unread);
    let badge = node.querySelector(".unread-badge");
    if (!badge) {
      badge = ui.el("span", "count-badge unread-badge");
      badge.title = "New messages for you";
      node.querySelector(".thread-title").after(badge);
    }
    badge.textContent = unread > 0 ? unread + " new" : "";
    badge.hidden = unread === 0;
    const link = node.querySelector(".thread-title");
    link.href = "/threads/" + Number(threadId) + "/" + (unread > 0 && firstUnreadId ? "#message-" + Number(firstUnreadId) : "");
  }

  /* ------------------------------------------------------------------------- events */

  function onCourseEvent(frame) {
    const data = frame.data || {};
    if (frame.event !== "thread.activity" || Number(data.sender) === me) return;
    if (Object.prototype.hasOwnProperty.call(perCourse, data.course)) {
      perCourse[data.course] += 1;
      showCounts();
    }
    const node = threadNode(data.thread);
    if (node) {
      const before = Number(node.dataset.unread || 0);
      const link = node.querySelector(".thread-title");
      const first = before > 0 ? (/#message-(\d+)$/.exec(link.getAttribute("href")) || [])[1] : data.message;
      setThreadUnread(data.thread, before + 1, first);
    }
  }

  function onUserEvent(frame) {
    if (frame.event !== "thread.read" || !frame.data) return;
    setThreadUnread(frame.data.thread, frame.data.unread, frame.data.first_unread_id);
    refresh();
  }

  /* ---------------------------------------------------------------------- thread page */

  function initThreadPage(root) {
    const threadId = Number(root.dataset.threadId);
    const list = document.getElementById("chat-messages");
    let seen = 0; // the highest message id seen on screen
    let reported = 0;
    let timer = null;

    function report() {
      timer = null;
      if (seen <= reported) return;
      const upto = seen;
      ui.api("POST", "/api/threads/" + threadId + "/read/", { last_read_id: upto }).then(function (result) {
        if (result.status === 200) reported = Math.max(reported, result.body.last_read_id, upto);
      });
    }

    function saw(id) {
      if (document.visibilityState !== "visible" || id <= seen) return;
      seen = id;
      if (!timer) timer = setTimeout(report, REPORT_AFTER_MS);
    }

    const visible = new Set();
    const observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        const id = Number(entry.target.dataset.messageId);
        if (entry.isIntersecting) visible.add(id);
        else visible.delete(id);
        if (entry.isIntersecting) saw(id);
      });
    }) : null;

    function watch(node) {
      if (node.nodeType !== 1 || !node.dataset.messageId) return;
      if (observer) observer.observe(node);
      else saw(Number(node.dataset.messageId));
    }

    const form = document.getElementById("follow-form");
    const button = document.getElementById("follow-button");
    const action = form && form.querySelector('input[name="action"]');
    function showFollowing(follow) {
      if (!form) return;
      form.dataset.following = follow ? "true" : "false";
      action.value = follow ? "unfollow" : "follow";
      button.textContent = follow ? "Unfollow" : "Follow";
    }

    if (list) {
      list.querySelectorAll("[data-message-id]").forEach(watch);
      new MutationObserver(function (changes) {
        changes.forEach(function (change) {
          change.addedNodes.forEach(function (node) {
            watch(node);
            // Posting follows the thread (on the server): the button says so at once.
            if (node.nodeType === 1 && node.dataset.senderId === String(me)) showFollowing(true);
          });
        });
      }).observe(list, { childList: true });
    }
    // Messages on screen while the tab was hidden count once it is shown again.
    document.addEventListener("visibilitychange", function () {
      visible.forEach(saw);
    });

    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const follow = form.dataset.following !== "true";
      button.disabled = true;
      ui.api(follow ? "POST" : "DELETE", "/api/threads/" + threadId + "/follow/").then(function (result) {
        button.disabled = false;
        if (result.status !== 204) {
          ui.toast && ui.toast(ui.errorText(result));
          return;
        }
        showFollowing(follow);
      });
    });
  }

  if (navLink || document.querySelector("[data-discussions-unread-course]")) {
    window.LMSRealtime.subscribe("user:" + me, { event: onUserEvent, reset: refresh });
    ui.whenLive(refresh);
    refresh();
  }
  if (threadList) listen(Number(threadList.dataset.courseId));
  if (threadPage) initThreadPage(threadPage);
})();
