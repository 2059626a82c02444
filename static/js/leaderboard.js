/* Live leaderboard: re-renders the board from `leaderboard.updated` frames.
 *
 * The join reply carries the whole board ({entries, me}); each event carries the
 * top entries only. When the viewer is among them their rank is read from there;
 * otherwise it is re-fetched from the API, right away when they have just left the
 * top, and at most once a minute otherwise (a rank far below the top drifts slowly,
 * and a page of 100000 viewers must not turn every update into 100000 requests).
 * Rows move with a FLIP animation. Text goes in through textContent only.
 */
(function () {
  "use strict";

  const root = document.getElementById("leaderboard");
  if (!root) return;
  const picker = document.getElementById("leaderboard-picker");
  const select = document.getElementById("leaderboard-course");
  if (picker && select) {
    select.addEventListener("change", function () {
      picker.submit();
    });
  }
  if (!window.LMSRealtime) return;

  const topic = root.dataset.topic;
  const courseId = root.dataset.courseId;
  const limit = Number(root.dataset.limit) || 10;
  const apiUrl = root.dataset.apiUrl;
  const tbody = document.getElementById("leaderboard-entries");
  const meBox = document.getElementById("leaderboard-me");
  const userId = Number(window.LMSRealtime.userId || document.body.dataset.userId);
  const ME_REFRESH_MS = 60000;
  const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

  const flash = window.LMSUi.flash;

  let me = null;
  let meFetchedAt = Date.now();
  let meTimer = null;

  function safeAvatar(url) {
    // An http(s) image, or an uploaded one (a path of this site, /media/...).
    return typeof url === "string" && /^(https?:\/\/|\/(?!\/))/i.test(url) ? url : "";
  }

  function cell(className, field) {
    const td = document.createElement("td");
    if (className) td.className = className;
    if (field) td.dataset.field = field;
    return td;
  }

  function createRow(entry) {
    const row = document.createElement("tr");
    row.dataset.userId = String(entry.user_id);
    row.appendChild(cell("rank", "rank"));
    const student = cell("student");
    const img = document.createElement("img");
    img.className = "avatar";
    img.alt = "";
    student.appendChild(img);
    const name = document.createElement("span");
    name.dataset.field = "name";
    student.appendChild(name);
    row.appendChild(student);
    row.appendChild(cell("num", "points"));
    row.appendChild(cell("num", "courses_completed"));
    row.appendChild(cell("num", "certificates_earned"));
    row.appendChild(cell("num", "time_spent"));
    return row;
  }

  function setText(row, field, text) {
    const el = row.querySelector('[data-field="' + field + '"]');
    if (!el || el.textContent === text) return false;
    el.textContent = text;
    return true;
  }

  function fillRow(row, entry) {
    setText(row, "rank", String(entry.rank));
    setText(row, "name", String(entry.name));
    const pointsChanged = setText(row, "points", numberFormat.format(entry.points));
    setText(row, "courses_completed", String(entry.courses_completed));
    setText(row, "certificates_earned", String(entry.certificates_earned));
    setText(row, "time_spent", String(entry.time_spent ?? 0));
    const img = row.querySelector("img.avatar");
    const avatar = safeAvatar(entry.avatar);
    if (img) {
      if (avatar) {
        if (img.getAttribute("src") !== avatar) img.setAttribute("src", avatar);
        img.hidden = false;
      } else {
        img.removeAttribute("src");
        img.hidden = true;
      }
    }
    const mine = entry.user_id === userId;
    row.classList.toggle("is-me", mine);
    if (mine) row.setAttribute("aria-current", "true");
    else row.removeAttribute("aria-current");
    return pointsChanged;
  }

  function emptyRow() {
    const row = document.createElement("tr");
    row.className = "leaderboard-empty";
    const td = document.createElement("td");
    td.colSpan = 6;
    td.className = "muted";
    td.textContent = "No students on this board yet.";
    row.appendChild(td);
    return row;
  }

  // FLIP: measure First positions, render the Last layout, Invert with a transform, Play.
  function renderEntries(entries) {
    const before = new Map();
    const existing = new Map();
    for (const row of tbody.querySelectorAll("tr[data-user-id]")) {
      before.set(row.dataset.userId, row.getBoundingClientRect().top);
      existing.set(row.dataset.userId, row);
    }
    const rows = [];
    const changedPoints = new Set();
    for (const entry of entries.slice(0, limit)) {
      const key = String(entry.user_id);
      const row = existing.get(key) || createRow(entry);
      if (fillRow(row, entry) && existing.has(key)) changedPoints.add(row);
      rows.push(row);
    }
    tbody.replaceChildren(...(rows.length ? rows : [emptyRow()]));
    for (const row of rows) {
      row.classList.remove("lb-moving");
      const first = before.get(row.dataset.userId);
      if (first === undefined) {
        flash(row, "lb-entered");
        continue;
      }
      const delta = first - row.getBoundingClientRect().top;
      if (delta) {
        row.style.transform = "translateY(" + delta + "px)";
        requestAnimationFrame(function () {
          row.classList.add("lb-moving");
          row.style.transform = "";
        });
      }
      if (changedPoints.has(row)) flash(row.querySelector('[data-field="points"]'), "lb-changed");
    }
  }

  function renderMe(entry) {
    me = entry || null;
    if (!meBox) return;
    if (!me) {
      meBox.hidden = true;
      return;
    }
    setText(meBox, "rank", String(me.rank));
    setText(meBox, "points", numberFormat.format(me.points));
    meBox.hidden = false;
  }

  // The board from the API: its first `size` entries, and the viewer's own (`me`).
  function fetchBoard(size, then) {
    const params = new URLSearchParams({ limit: String(size) });
    if (courseId) params.set("course", courseId);
    window.LMSUi.getJSON(apiUrl + "?" + params.toString())
      .then(then)
      .catch(function () {});
  }

  function fetchMe() {
    meTimer = null;
    meFetchedAt = Date.now();
    fetchBoard(1, function (board) {
      renderMe(board.me);
    });
  }

  function scheduleMe(soon) {
    if (meTimer) return;
    const wait = soon ? 0 : Math.max(0, ME_REFRESH_MS - (Date.now() - meFetchedAt));
    // Jitter, so that viewers of one board do not all ask in the same instant.
    meTimer = setTimeout(fetchMe, wait + Math.random() * 2000);
  }

  function applyBoard(entries) {
    renderEntries(entries);
    const mine = entries.slice(0, limit).find(function (entry) {
      return entry.user_id === userId;
    });
    if (mine) {
      renderMe(mine);
    } else if (me) {
      scheduleMe(me.rank <= limit);
    }
  }

  const handlers = {
    joined(data) {
      if (!data || !Array.isArray(data.entries)) return;
      renderEntries(data.entries);
      renderMe(data.me);
      meFetchedAt = Date.now();
    },
    event(frame) {
      if (frame.event !== "leaderboard.updated" || !frame.data) return;
      if (Array.isArray(frame.data.entries)) applyBoard(frame.data.entries);
    },
  };

  // Boards are transient topics: the polling fallback carries no history for them, so
  // while it is in use the page reads the board from the API every little while instead.
  const POLLING_REFRESH_MS = 15000;
  let subscription = null;
  let refreshTimer = null;

  function refreshBoard() {
    fetchBoard(limit, handlers.joined);
  }

  function follow(state) {
    if (state === "polling") {
      if (subscription) subscription.leave();
      subscription = null;
      if (!refreshTimer) {
        refreshTimer = setInterval(refreshBoard, POLLING_REFRESH_MS + Math.random() * 5000);
      }
    } else if (state === "live" || !refreshTimer) {
      clearInterval(refreshTimer);
      refreshTimer = null;
      if (!subscription) subscription = window.LMSRealtime.subscribe(topic, handlers);
    }
  }

  document.addEventListener("lms:realtime-state", function (event) {
    follow(event.detail && event.detail.state);
  });
  follow(window.LMSRealtime.state);
})();
