/* Live progress on the dashboard and course pages: bars, completed lessons, achievements,
 * certificates, from the frames of `user:{id}`; on a course page also the viewer's
 * progress that the join of `course:{id}` reports (course-live.js follows the rest of
 * that topic). Text is inserted with textContent only.
 */
(function () {
  "use strict";

  var ui = window.LMSUi;
  var el = ui.el;
  var formatDate = ui.formatDate;

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
    ui.getJSON("/api/enrollments/?page_size=100")
      .then(function (page) {
        (page.results || []).forEach(function (enrollment) {
          setProgress(enrollment.course, enrollment.progress);
          if (enrollment.completed_at) showCompleted(enrollment);
        });
      })
      .catch(function () {});
  }

  function onEvent(frame) {
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
  }

  var userId = document.body.dataset.userId;
  if (!userId) return;
  // The user's topic is joined without a starting id: after a gap, read every bar again.
  window.LMSRealtime.subscribe("user:" + userId, { event: onEvent, reset: refreshAll });

  var course = document.querySelector("#course-content[data-course-id]");
  if (course) {
    var courseId = Number(course.dataset.courseId);
    window.LMSRealtime.subscribe("course:" + courseId, {
      joined: function (data) {
        if (data && typeof data.progress === "number") setProgress(courseId, data.progress);
      },
    });
  }
})();
