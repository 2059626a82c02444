/* Live progress on the dashboard and course pages: bars, completed lessons, achievements,
 * certificates. Listens to `lms:user-event`, dispatched by notifications.js for `user:{id}`.
 * Text is inserted with textContent only.
 */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function formatDate(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    return date.toLocaleDateString(undefined, { month: "short", day: "numeric", year: "numeric" });
  }

  function setProgress(courseId, percent) {
    var p = Math.max(0, Math.min(100, Number(percent) || 0));
    document.querySelectorAll('[data-course-progress="' + Number(courseId) + '"]').forEach(function (bar) {
      bar.setAttribute("aria-valuenow", String(p));
      var fill = bar.querySelector(".progress-bar");
      if (fill) fill.dataset.progress = String(p); // width: app.css
    });
    document.querySelectorAll('[data-course-progress-label="' + Number(courseId) + '"]').forEach(function (label) {
      label.textContent = p + "%";
    });
  }

  function showCompleted(enrollment) {
    var courseId = Number(enrollment.course);
    document.querySelectorAll('[data-course-progress="' + courseId + '"]').forEach(function (bar) {
      var holder = bar.closest(".course-card, .card");
      if (!holder || holder.querySelector('[data-course-completed="' + courseId + '"]')) return;
      var badge = el("span", "badge badge-success", "Completed " + formatDate(enrollment.completed_at));
      badge.dataset.courseCompleted = String(courseId);
      var actions = holder.querySelector(".card-actions");
      if (actions) {
        var since = actions.querySelector(".muted");
        if (since) since.replaceWith(badge); else actions.insertBefore(badge, actions.firstChild);
      } else {
        var line = el("p", "small");
        line.appendChild(badge);
        holder.appendChild(line);
      }
    });
  }

  function markLessonCompleted(lessonId) {
    document.querySelectorAll('#course-content [data-lesson-id="' + Number(lessonId) + '"]').forEach(function (item) {
      item.classList.add("is-completed");
    });
  }

  function addAchievement(achievement) {
    var list = document.querySelector("[data-achievement-list]");
    if (!list || list.querySelector('[data-achievement="' + achievement.kind + '"]')) return;
    var li = el("li", "achievement is-new");
    li.dataset.achievement = achievement.kind;
    var icon = el("span", "achievement-icon", "★");
    icon.setAttribute("aria-hidden", "true");
    li.appendChild(icon);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "achievement-title", achievement.title));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "small muted", formatDate(achievement.unlocked_at)));
    list.insertBefore(li, list.firstChild);
    var empty = document.querySelector("[data-achievement-empty]");
    if (empty) empty.hidden = true;
  }

  function addCertificate(certificate) {
    var list = document.querySelector("[data-certificate-list]");
    if (!list || list.querySelector('[data-certificate="' + Number(certificate.id) + '"]')) return;
    var li = el("li", "is-new");
    li.dataset.certificate = String(certificate.id);
    var link = el("a", "", certificate.course_title);
    link.href = certificate.verify_url;
    li.appendChild(link);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "small muted", formatDate(certificate.issued_at)));
    list.insertBefore(li, list.firstChild);
    var empty = document.querySelector("[data-certificate-empty]");
    if (empty) empty.hidden = true;
  }

  function refreshAll() {
    fetch("/api/enrollments/?page_size=100", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r); })
      .then(function (page) {
        (page.results || []).forEach(function (enrollment) {
          setProgress(enrollment.course, enrollment.progress);
          if (enrollment.completed_at) showCompleted(enrollment);
        });
      })
      .catch(function () {});
  }

  document.addEventListener("lms:user-event", function (event) {
    var frame = event.detail.frame;
    var data = frame.data || {};
    switch (frame.event) {
      case "progress.updated":
        setProgress(data.course, data.progress);
        if (data.completed_at) showCompleted(data);
        break;
      case "course.completed":
        showCompleted(data);
        break;
      case "lesson.completed":
        markLessonCompleted(data.lesson);
        break;
      case "achievement.unlocked":
        addAchievement(data);
        break;
      case "certificate.issued":
        addCertificate(data);
        break;
    }
  });
  document.addEventListener("lms:user-reset", refreshAll);
})();
