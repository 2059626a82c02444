/* Notification bell, dropdown, notifications page and toasts, live on `user:{id}`.
 *
 * A notification that leads somewhere is a link through /notifications/<id>/open/, which
 * marks it read and goes on to its url; the live items are built as the page renders them.
 *
 * Loaded by base.html on every signed-in page (the bell is in the navigation). Other
 * modules that follow the user's topic subscribe to it themselves (docs/frontend.md).
 * Everything users wrote is inserted with textContent, never as HTML.
 */
(function () {
  "use strict";

  var DROPDOWN_SIZE = 5;
  var ui = window.LMSUi;
  var el = ui.el;
  var formatTime = ui.formatTime;

  function init() {
    var userId = document.body.dataset.userId;
    var bell = document.querySelector("[data-notification-bell]");
    if (!userId || !bell) return;
    var badge = bell.querySelector("[data-unread-count]");
    var dropdown = bell.querySelector("[data-notification-dropdown]");
    var pageList = document.querySelector("[data-notification-page-list]");
    var unread = parseInt(badge.dataset.count || "0", 10) || 0;
    var loaded = false;
    var onFirstPage = !/[?&]page=(?!1(&|$))/.test(window.location.search);
    var baseline = 0; // events up to this id were already counted by the join reply

    function setCount(n) {
      unread = Math.max(0, n);
      badge.dataset.count = String(unread);
      badge.textContent = unread ? String(unread) : "";
      bell.querySelector("summary").setAttribute(
        "aria-label", unread ? "Notifications, " + unread + " unread" : "Notifications"
      );
      document.querySelectorAll("[data-unread-count-text]").forEach(function (node) {
        node.textContent = String(unread);
      });
      var readAll = document.querySelector("[data-read-all-button]");
      if (readAll) readAll.disabled = unread === 0;
    }

    function markRead(id) {
      return fetch(bell.dataset.listUrl + id + "/read/", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": ui.csrfToken(), Accept: "application/json" },
      });
    }

    // The title, as a link through /notifications/<id>/open/ (marks it read, then leads to
    // its url) when the notification leads somewhere: as notification_list.html renders it.
    function titleNode(n) {
      var title = el("strong", "notification-title", n.title);
      if (!n.url) return title;
      var link = el("a", "notification-link");
      link.href = "/notifications/" + Number(n.id) + "/open/";
      link.appendChild(title);
      return link;
    }

    function timeNode(n) {
      var time = el("time", "small muted", formatTime(n.created_at));
      time.setAttribute("datetime", n.created_at);
      return time;
    }

    function dropdownItem(n) {
      var li = el("li", "notification-item notification-" + n.type + (n.is_read ? "" : " is-unread"));
      li.dataset.notificationId = n.id;
      li.appendChild(titleNode(n));
      if (n.message) li.appendChild(el("span", "notification-message", n.message));
      li.appendChild(timeNode(n));
      if (!n.is_read) {
        var button = el("button", "btn-link small", "Mark read");
        button.type = "button";
        button.addEventListener("click", function (event) {
          event.preventDefault();
          markRead(n.id);
        });
        li.appendChild(button);
      }
      return li;
    }

    function renderDropdown(items) {
      dropdown.textContent = "";
      if (!items.length) {
        dropdown.appendChild(el("li", "muted small", "No notifications yet."));
        return;
      }
      items.slice(0, DROPDOWN_SIZE).forEach(function (n) { dropdown.appendChild(dropdownItem(n)); });
    }

    function loadLatest() {
      ui.getJSON(bell.dataset.listUrl)
        .then(function (page) { loaded = true; renderDropdown(page.results || []); })
        .catch(function () { dropdown.textContent = ""; dropdown.appendChild(el("li", "muted small", "Could not load notifications.")); });
    }

    function refreshCount() {
      ui.getJSON(bell.dataset.listUrl + "unread-count/")
        .then(function (body) { setCount(body.count); })
        .catch(function () {});
    }

    function resync() {
      refreshCount();
      loaded = false;
    }

    bell.addEventListener("toggle", function () {
      if (bell.open && !loaded) loadLatest();
    });
    document.addEventListener("click", function (event) {
      if (bell.open && !bell.contains(event.target)) bell.open = false;
    });

    function pageItem(n) {
      var li = el("li", "card notification notification-" + n.type + " is-unread is-new");
      li.dataset.notificationId = String(Number(n.id));
      var body = el("div", "notification-body");
      body.appendChild(titleNode(n));
      if (n.message) body.appendChild(el("p", "notification-message", n.message));
      body.appendChild(timeNode(n));
      li.appendChild(body);
      var form = el("form", "inline-form");
      form.method = "post";
      form.action = "/notifications/" + Number(n.id) + "/read/";
      form.dataset.markReadForm = "";
      var token = el("input");
      token.type = "hidden"; token.name = "csrfmiddlewaretoken"; token.value = ui.csrfToken();
      form.appendChild(token);
      var next = el("input");
      next.type = "hidden"; next.name = "next"; next.value = window.location.pathname + window.location.search;
      form.appendChild(next);
      var button = el("button", "btn btn-small btn-secondary", "Mark read");
      button.type = "submit";
      form.appendChild(button);
      li.appendChild(form);
      return li;
    }

    function showRead(ids) {
      ids.forEach(function (id) {
        document.querySelectorAll('[data-notification-id="' + Number(id) + '"]').forEach(function (node) {
          node.classList.remove("is-unread");
          node.querySelectorAll("form, button").forEach(function (control) { control.remove(); });
        });
      });
    }

    function onEvent(frame) {
      var replayed = typeof frame.id === "number" && frame.id <= baseline;
      var data = frame.data || {};
      switch (frame.event) {
        case "notification.created":
          if (!replayed) setCount(unread + 1);
          if (loaded && !dropdown.querySelector('[data-notification-id="' + Number(data.id) + '"]')) {
            var empty = dropdown.querySelector("li:not([data-notification-id])");
            if (empty) empty.remove();
            dropdown.insertBefore(dropdownItem(data), dropdown.firstChild);
            while (dropdown.children.length > DROPDOWN_SIZE) dropdown.lastChild.remove();
          }
          if (pageList && onFirstPage && !pageList.querySelector('[data-notification-id="' + Number(data.id) + '"]')) {
            var none = pageList.querySelector("[data-notification-page-empty]");
            if (none) none.remove();
            pageList.insertBefore(pageItem(data), pageList.firstChild);
          }
          break;
        case "notification.deleted": {
          var wasUnread = false;
          document.querySelectorAll('[data-notification-id="' + Number(data.id) + '"]').forEach(function (node) {
            wasUnread = wasUnread || node.classList.contains("is-unread");
            node.remove();
          });
          if (wasUnread && !replayed) setCount(Math.max(0, unread - 1));
          break;
        }
        case "notification.read":
          if (typeof data.unread_count === "number") setCount(data.unread_count);
          showRead(data.ids || []);
          break;
        case "achievement.unlocked":
          if (!replayed) ui.toast("Achievement unlocked", data.title, { href: "/progress/#achievements", text: "See your achievements" });
          break;
        case "certificate.issued":
          if (!replayed) ui.toast("Certificate issued", data.course_title, { href: data.verify_url, text: "View certificate" });
          break;
      }
    }

    window.LMSRealtime.subscribe("user:" + userId, {
      event: onEvent,
      joined: function (data) {
        bell.dataset.live = "true"; // subscribed: later events reach this page
        if (!data) return;
        if (typeof data.last_id === "number") baseline = data.last_id;
        if (data.reset) { resync(); return; }
        if (typeof data.unread_notifications === "number") setCount(data.unread_notifications);
      },
      reset: resync,
    });
  }

  init();
})();
