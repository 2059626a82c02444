/* The live roster of a course (`roster:{id}`, for its instructor and staff): a student's
 * progress, modules, score and last activity change in place; a student who enrolls shows
 * as "N new students — reload" (their place in a sorted, filtered page is the server's to
 * say); one who leaves is struck from the page. The page works without it.
 * `roster.updated` with `partial: true` (after a completion, or a day's first activity)
 * lacks the score: the row is read again from the API. Text goes in with textContent only.
 */
(function () {
  "use strict";

  var ui = window.LMSUi;

  function relativeDay(iso) {
    var parts = String(iso).split("-");
    if (parts.length !== 3) return "";
    var day = new Date(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2]));
    var today = new Date();
    today.setHours(0, 0, 0, 0);
    var days = Math.round((today - day) / 86400000);
    if (days <= 0) return "today";
    if (days === 1) return "yesterday";
    return days + " days ago";
  }

  function init() {
    var table = document.getElementById("roster");
    if (!table || !document.body.dataset.userId || !window.LMSRealtime) return;
    var courseId = Number(table.dataset.courseId);
    var newNotice = document.querySelector("[data-roster-new]");
    var newCount = 0;
    var pending = {};

    function rowNode(userId) {
      return table.querySelector('tr[data-user-id="' + Number(userId) + '"]');
    }

    function setText(row, field, text) {
      var node = row.querySelector('[data-field="' + field + '"]');
      if (node) node.textContent = String(text);
      return node;
    }

    function apply(row, data) {
      if (data.progress !== undefined) {
        var bar = row.querySelector('[data-field="progress-bar"]');
        if (bar) {
          bar.setAttribute("aria-valuenow", String(data.progress));
          bar.firstElementChild.dataset.progress = String(data.progress);
        }
        setText(row, "progress", data.progress + "%");
      }
      if (data.modules_completed !== undefined) setText(row, "modules_completed", data.modules_completed);
      if (data.modules_total !== undefined) setText(row, "modules_total", data.modules_total);
      if (data.score !== undefined) setText(row, "score", data.score === null ? "—" : data.score);
      if (data.last_active) {
        var time = setText(row, "last_active", relativeDay(data.last_active));
        if (time) time.setAttribute("datetime", data.last_active);
      }
      if (data.status) row.dataset.status = data.status;
      if (data.completed_at !== undefined) {
        var cell = row.querySelector('[data-field="completed_at"]');
        if (cell && data.completed_at) {
          var when = document.createElement("time");
          when.setAttribute("datetime", data.completed_at);
          when.textContent = ui.formatDate(data.completed_at);
          cell.replaceChildren(when);
        } else if (cell) {
          cell.textContent = "—";
        }
      }
    }

    function refetch(userId) {
      // A partial row: read the whole row once, however many events came meanwhile.
      if (pending[userId]) return;
      pending[userId] = setTimeout(function () {
        delete pending[userId];
        ui.getJSON("/api/courses/" + courseId + "/roster/" + Number(userId) + "/").then(function (body) {
          var row = rowNode(userId);
          if (row && body && body.student) apply(row, body.student);
        }, function () {});
      }, 500);
    }

    function updated(data) {
      var row = rowNode(data.user_id);
      if (row) {
        apply(row, data);
        if (data.partial) refetch(data.user_id);
        return;
      }
      if (table.dataset.page !== "1" || data.partial || data.status !== "not_started") return;
      // A new enrollment: where it goes on a sorted, filtered page is the server's to say.
      newCount += 1;
      if (newNotice) {
        newNotice.hidden = false;
        var count = newNotice.querySelector("[data-roster-new-count]");
        if (count) count.textContent = String(newCount);
      }
    }

    function removed(data) {
      var row = rowNode(data.user_id);
      if (row) {
        row.classList.add("muted");
        setText(row, "online", "left the course");
      }
    }

    window.LMSRealtime.subscribe("roster:" + courseId, {
      event: function (frame) {
        if (frame.event === "roster.updated") updated(frame.data || {});
        else if (frame.event === "roster.removed") removed(frame.data || {});
      },
      joined: function () { table.dataset.live = "true"; },
      reset: function () { window.location.reload(); },
      revoked: function () { table.dataset.live = "false"; },
    });
  }

  init();
})();
