/* "My progress": the figures and the activity heat map follow `stats.updated` on
 * `user:{id}` (its `today` field is the day's activity after the write); achievements
 * leave "Still to earn" when unlocked. progress.js, also on the page, moves the course
 * bars and adds achievements and certificates. After a gap (`reset`) everything is read
 * again from GET /api/me/progress/. Text goes in through textContent only.
 */
(function () {
  "use strict";

  const root = document.getElementById("my-progress");
  const userId = document.body.dataset.userId;
  if (!root || !userId || !window.LMSRealtime) return;

  const ui = window.LMSUi;
  const chart = document.getElementById("activity-chart");
  const table = document.getElementById("activity-table");
  const levels = (root.dataset.levels || "15,30,60").split(",").map(Number);

  function hoursMinutes(minutes) {
    const whole = Math.max(0, Math.floor(Number(minutes) || 0));
    const hours = Math.floor(whole / 60);
    const rest = whole % 60;
    return hours ? hours + " h " + rest + " min" : rest + " min";
  }

  function plural(count, word) {
    return count + " " + word + (count === 1 ? "" : "s");
  }

  // A day's shade: 0 without activity, else 1 + the thresholds (minutes) it reaches.
  function level(seconds, lessons) {
    if (!seconds && !lessons) return 0;
    const minutes = Math.floor(seconds / 60);
    return 1 + levels.filter(function (threshold) { return minutes >= threshold; }).length;
  }

  function setStat(name, text, count) {
    root.querySelectorAll('[data-stat="' + name + '"]').forEach(function (node) {
      if (node.textContent === text) return;
      node.textContent = text;
      const card = node.closest(".stat");
      if (card) ui.flash(card, "is-changed");
    });
    if (count !== undefined) {
      root.querySelectorAll('[data-stat-plural="' + name + '"]').forEach(function (node) {
        node.textContent = count === 1 ? "" : "s";
      });
    }
  }

  function applyStats(stats) {
    if (!stats) return;
    setStat("total_time_spent", hoursMinutes(stats.total_time_spent));
    setStat("current_streak", String(stats.current_streak || 0), stats.current_streak || 0);
    setStat("longest_streak", String(stats.longest_streak || 0), stats.longest_streak || 0);
    const average = stats.average_score;
    setStat(
      "average_score",
      average === null || average === undefined ? "–" : String(Math.round(average * 10) / 10)
    );
    setStat("courses_completed", String(stats.courses_completed || 0));
    setStat("certificates_earned", String(stats.certificates_earned || 0));
  }

  function setDay(day) {
    if (!chart || !day || !day.date) return false;
    // A day outside the twelve weeks shown (the page was opened yesterday): nothing to draw.
    const cell = chart.querySelector('rect[data-date="' + day.date + '"]');
    if (!cell) return false;
    const seconds = Number(day.seconds) || 0;
    const lessons = Number(day.lessons_completed) || 0;
    if (cell.dataset.seconds === String(seconds) && cell.dataset.lessons === String(lessons)) {
      return false;
    }
    cell.dataset.seconds = String(seconds);
    cell.dataset.lessons = String(lessons);
    for (let n = 0; n <= levels.length + 1; n++) cell.classList.remove("level-" + n);
    cell.classList.add("level-" + level(seconds, lessons));
    const title = cell.querySelector("title");
    if (title) {
      title.textContent =
        cell.dataset.label + ": " + Math.floor(seconds / 60) + " min, " + plural(lessons, "lesson");
    }
    ui.flash(cell, "is-changed");
    return true;
  }

  // The weekly table (for screen readers) and the summary line, from the cells.
  function retotal() {
    if (!chart) return;
    const weeks = new Map();
    let seconds = 0;
    let lessons = 0;
    let activeDays = 0;
    chart.querySelectorAll("rect[data-date]").forEach(function (cell) {
      const s = Number(cell.dataset.seconds) || 0;
      const l = Number(cell.dataset.lessons) || 0;
      const week = weeks.get(cell.dataset.week) || { seconds: 0, lessons: 0 };
      week.seconds += s;
      week.lessons += l;
      weeks.set(cell.dataset.week, week);
      seconds += s;
      lessons += l;
      if (s || l) activeDays += 1;
    });
    if (table) {
      weeks.forEach(function (week, index) {
        const row = table.querySelector('tr[data-week="' + index + '"]');
        if (!row) return;
        row.querySelector('[data-field="minutes"]').textContent = String(Math.floor(week.seconds / 60));
        row.querySelector('[data-field="lessons_completed"]').textContent = String(week.lessons);
      });
    }
    const totals = {
      minutes: hoursMinutes(Math.floor(seconds / 60)),
      active_days: plural(activeDays, "day"),
      lessons_completed: plural(lessons, "lesson"),
    };
    Object.keys(totals).forEach(function (name) {
      const node = root.querySelector('[data-activity-total="' + name + '"]');
      if (node) node.textContent = totals[name];
    });
  }

  function unlock(achievement) {
    const locked = root.querySelector('[data-locked-achievement="' + achievement.kind + '"]');
    if (!locked) return;
    const list = locked.parentElement;
    locked.remove();
    if (list && !list.children.length) {
      const heading = document.getElementById(list.getAttribute("aria-labelledby"));
      if (heading) heading.remove();
      list.remove();
    }
  }

  function reload() {
    ui.getJSON(root.dataset.apiUrl)
      .then(function (progress) {
        applyStats(progress.stats);
        (progress.activity || []).forEach(setDay);
        retotal();
        (progress.achievements || []).forEach(unlock);
      })
      .catch(function () {});
  }

  window.LMSRealtime.subscribe("user:" + userId, {
    event(frame) {
      const data = frame.data || {};
      if (frame.event === "stats.updated") {
        applyStats(data);
        if (setDay(data.today)) retotal();
      } else if (frame.event === "achievement.unlocked") {
        unlock(data);
      }
    },
    reset: reload,
  });
})();
