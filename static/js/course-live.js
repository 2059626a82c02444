/* Live course content on the course page: lessons and modules added, changed or removed
 * in the admin appear without a reload, and announcements show up. Subscribes to
 * `course:{id}` for `#course-content[data-course-id]`. Text goes in with textContent only.
 */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function flash(node) {
    node.classList.remove("is-new");
    void node.offsetWidth; // restart the animation
    node.classList.add("is-new");
  }

  function init() {
    var root = document.querySelector("#course-content[data-course-id]");
    if (!root || !document.body.dataset.userId) return;
    if (!window.LMSRealtime || !window.LMSRealtime.subscribe) return;
    var courseId = Number(root.dataset.courseId);
    var moduleList = root.querySelector(".module-list");
    // Lessons are links only for viewers who may open them: copy what the page does.
    var linked = !!root.querySelector("[data-lesson-id] a.lesson-title") || !root.querySelector("[data-lesson-id]");

    function moduleNode(id) {
      return root.querySelector('[data-module-id="' + Number(id) + '"]');
    }

    function lessonNode(id) {
      return root.querySelector('[data-lesson-id="' + Number(id) + '"]');
    }

    function removePlaceholder(list) {
      Array.prototype.forEach.call(list.children, function (child) {
        if (!child.dataset.lessonId && !child.dataset.moduleId) child.remove();
      });
    }

    function placeByOrder(list, node, order) {
      node.dataset.order = String(order);
      var items = Array.prototype.filter.call(list.children, function (child) { return child !== node && child.dataset.order !== undefined; });
      var before = null;
      for (var i = 0; i < items.length; i++) {
        if (Number(items[i].dataset.order) > Number(order)) { before = items[i]; break; }
      }
      if (before) list.insertBefore(node, before); else list.appendChild(node);
    }

    function fillLesson(item, lesson) {
      item.textContent = "";
      var title;
      if (linked) {
        title = el("a", "lesson-title", lesson.title);
        title.href = "/lessons/" + Number(lesson.id) + "/";
      } else {
        title = el("span", "lesson-title", lesson.title);
      }
      item.appendChild(title);
      item.appendChild(el("span", "duration", lesson.duration_minutes + " min"));
    }

    function ensureModule(module) {
      var node = moduleNode(module.id);
      if (node) return node;
      if (!moduleList) {
        moduleList = el("ol", "module-list");
        root.textContent = "";
        root.appendChild(moduleList);
      }
      removePlaceholder(moduleList);
      node = el("li", "module");
      node.dataset.moduleId = String(module.id);
      var header = el("div", "module-header");
      var heading = el("h2");
      heading.appendChild(el("span", "module-title", module.title || ""));
      header.appendChild(heading);
      node.appendChild(header);
      var lessons = el("ul", "lesson-list");
      lessons.appendChild(el("li", "lesson-item muted", "No lessons yet."));
      node.appendChild(lessons);
      placeByOrder(moduleList, node, module.order || 0);
      flash(node);
      return node;
    }

    function upsertLesson(lesson, created) {
      var module = moduleNode(lesson.module);
      if (!module) return;
      var list = module.querySelector(".lesson-list");
      var item = lessonNode(lesson.id);
      var completed = item && item.classList.contains("is-completed");
      if (!item) {
        item = el("li", "lesson-item");
        item.dataset.lessonId = String(lesson.id);
      }
      fillLesson(item, lesson);
      if (completed) item.classList.add("is-completed");
      if (item.parentNode !== list || created) {
        removePlaceholder(list);
        placeByOrder(list, item, lesson.order);
      }
      flash(item);
    }

    function announce(data) {
      var box = el("div", "card course-announcement is-new");
      box.setAttribute("role", "status");
      box.appendChild(el("strong", "", data.title));
      box.appendChild(el("p", "", data.message));
      root.parentNode.insertBefore(box, root);
      if (window.LMSUi && window.LMSUi.toast) window.LMSUi.toast("Announcement", data.title);
    }

    function onEvent(frame) {
      var data = frame.data || {};
      var node;
      switch (frame.event) {
        case "lesson.created":
          upsertLesson(data, true);
          break;
        case "lesson.updated":
          upsertLesson(data, false);
          break;
        case "lesson.deleted":
          node = lessonNode(data.id);
          if (node) node.remove();
          break;
        case "module.created":
          ensureModule(data);
          break;
        case "module.updated":
          node = moduleNode(data.id) || ensureModule(data);
          var title = node.querySelector(".module-title");
          if (title) title.textContent = data.title;
          flash(node);
          break;
        case "module.deleted":
          node = moduleNode(data.id);
          if (node) node.remove();
          break;
        case "course.updated":
          var heading = document.querySelector(".page-header h1");
          if (heading && heading.firstChild && heading.firstChild.nodeType === Node.TEXT_NODE) {
            heading.firstChild.textContent = data.title;
          }
          document.querySelectorAll("[data-course-title]").forEach(function (n) { n.textContent = data.title; });
          break;
        case "announcement":
          announce(data);
          break;
      }
    }

    window.LMSRealtime.subscribe("course:" + courseId, {
      event: onEvent,
      joined: function (data) {
        root.dataset.live = "true"; // subscribed: later changes reach this page
        if (!data || typeof data.progress !== "number") return;
        document.querySelectorAll('[data-course-progress="' + courseId + '"]').forEach(function (bar) {
          bar.setAttribute("aria-valuenow", String(data.progress));
          var fill = bar.querySelector(".progress-bar");
          if (fill) fill.dataset.progress = String(data.progress); // width: app.css
        });
        document.querySelectorAll('[data-course-progress-label="' + courseId + '"]').forEach(function (label) {
          label.textContent = data.progress + "%";
        });
      },
      reset: function () { window.location.reload(); },
    });
  }

  if (document.readyState === "complete") {
    init();
  } else {
    document.addEventListener("DOMContentLoaded", init);
  }
})();
