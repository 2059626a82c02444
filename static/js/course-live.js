/* Live course content on the course page: lessons and modules added, changed or removed
 * in the admin appear without a reload, and announcements go on top of the page's list. Subscribes to
 * `course:{id}` for `#course-content[data-course-id]` (progress.js shows the progress its
 * join reports). Text goes in with textContent only.
 */
(function () {
  "use strict";

  var ui = window.LMSUi;
  var el = ui.el;
  var flash = ui.flash;

  function init() {
    var root = document.querySelector("#course-content[data-course-id]");
    if (!root || !document.body.dataset.userId) return;
    var courseId = Number(root.dataset.courseId);
    ui.localizeTimes(document.querySelector("[data-announcement-list]"));
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

    function updateModule(module) {
      var node = moduleNode(module.id) || ensureModule(module);
      var title = node.querySelector(".module-title");
      if (title) title.textContent = module.title;
      flash(node);
    }

    function remove(node) {
      if (node) node.remove();
    }

    function retitleCourse(course) {
      var heading = document.querySelector(".page-header h1");
      if (heading && heading.firstChild && heading.firstChild.nodeType === Node.TEXT_NODE) {
        heading.firstChild.textContent = course.title;
      }
      document.querySelectorAll("[data-course-title]").forEach(function (n) { n.textContent = course.title; });
    }

    // A posted announcement goes on top of the page's list (the same markup as
    // notifications/_announcement.html); a replayed one already listed is left alone.
    function announce(data) {
      var list = document.querySelector("[data-announcement-list]");
      if (!list) return;
      if (data.id && list.querySelector('[data-announcement-id="' + Number(data.id) + '"]')) return;
      var item = el("li", "card course-announcement");
      if (data.id) {
        item.id = "announcement-" + Number(data.id);
        item.dataset.announcementId = String(Number(data.id));
      }
      item.setAttribute("role", "status");
      item.appendChild(el("h3", "announcement-title", data.title));
      var meta = el("p", "small muted announcement-meta", (data.author && data.author.name) || "deleted user");
      if (data.created_at) {
        meta.appendChild(document.createTextNode(" · "));
        var time = el("time", "", ui.formatTime(data.created_at));
        time.setAttribute("datetime", data.created_at);
        meta.appendChild(time);
      }
      item.appendChild(meta);
      item.appendChild(el("p", "announcement-message", data.message));
      var empty = list.querySelector("[data-announcement-empty]");
      if (empty) empty.remove();
      list.insertBefore(item, list.firstChild);
      flash(item);
      ui.toast("Announcement", data.title);
    }

    // What each event of the course's topic does to the page.
    var apply = {
      "lesson.created": function (data) { upsertLesson(data, true); },
      "lesson.updated": function (data) { upsertLesson(data, false); },
      "lesson.deleted": function (data) { remove(lessonNode(data.id)); },
      "module.created": ensureModule,
      "module.updated": updateModule,
      "module.deleted": function (data) { remove(moduleNode(data.id)); },
      "course.updated": retitleCourse,
      announcement: announce,
    };

    window.LMSRealtime.subscribe("course:" + courseId, {
      event: function (frame) {
        if (Object.prototype.hasOwnProperty.call(apply, frame.event)) apply[frame.event](frame.data || {});
      },
      joined: function () {
        root.dataset.live = "true"; // subscribed: later changes reach this page
      },
      reset: function () { window.location.reload(); },
    });
  }

  init();
})();
