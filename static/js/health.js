/* Realtime health page (staff): refreshes the table from GET /api/realtime/health/.
 *
 * Polls the JSON every report interval (at least every 2 s, at most every 30 s)
 * rather than a topic: the figures are snapshots each process writes on a timer,
 * so there is no event to push. Cells are formatted as the server renders them
 * (lms/realtime/views_health.py: cell_text). Text goes in through textContent only.
 */
(function () {
  "use strict";

  const root = document.getElementById("realtime-health");
  if (!root || !window.LMSUi) return;
  const apiUrl = root.dataset.apiUrl;
  const seconds = Math.min(30, Math.max(2, Number(root.dataset.interval) || 5));
  const fields = Array.prototype.map.call(root.querySelectorAll("thead th"), function (th) {
    return th.dataset.field;
  });
  const body = document.getElementById("realtime-health-processes");
  const foot = document.getElementById("realtime-health-totals");
  const generated = document.getElementById("realtime-health-generated");
  const status = document.getElementById("realtime-health-status");
  const el = window.LMSUi.el;

  function number(value) {
    if (value === null || value === undefined) return "–";
    return Number.isInteger(value) ? String(value) : value.toFixed(2).replace(/0+$/, "");
  }

  function cellText(field, row) {
    switch (field) {
      case "process":
        return "id" in row ? row.hostname + " · pid " + row.pid + " · " + row.id : "Total";
      case "serves":
        if ("serves" in row) return row.serves.join(", ");
        return row.processes + (row.processes === 1 ? " process" : " processes");
      case "failed_handshakes_per_minute": {
        const rates = row.failed_handshakes_per_minute;
        let total = 0;
        const nonzero = [];
        Object.keys(rates).forEach(function (reason) {
          total += rates[reason];
          if (rates[reason]) nonzero.push(reason + " " + number(rates[reason]));
        });
        const shown = number(Math.round(total * 100) / 100);
        return nonzero.length ? shown + " (" + nonzero.join(", ") + ")" : shown;
      }
      case "delivery_latency":
        return number(row.delivery_latency_p50_ms) + " / " + number(row.delivery_latency_p99_ms);
      case "polls":
        return row.held_polls + " · " + number(row.poll_requests_per_minute);
      case "updated_at":
        return (row.updated_at || "").slice(11, 19);
      default:
        return number(row[field]);
    }
  }

  function row(data, attributes, isTotal) {
    const tr = el("tr");
    Object.keys(attributes).forEach(function (name) { tr.setAttribute(name, attributes[name]); });
    fields.forEach(function (field, index) {
      const cell = el(isTotal && index === 0 ? "th" : "td", null, cellText(field, data));
      if (isTotal && index === 0) cell.scope = "row";
      tr.appendChild(cell);
    });
    return tr;
  }

  function render(report) {
    body.replaceChildren();
    report.processes.forEach(function (process) {
      body.appendChild(row(process, { "data-process": process.id }, false));
    });
    if (!report.processes.length) {
      const empty = el("tr", "muted");
      const cell = el("td", null, "No process has reported yet.");
      cell.colSpan = fields.length;
      empty.appendChild(cell);
      body.appendChild(empty);
    }
    foot.replaceChildren(row(report.totals, {}, true));
    generated.textContent = report.generated_at;
    generated.setAttribute("datetime", report.generated_at);
    status.textContent = "";
  }

  function refresh() {
    window.LMSUi.getJSON(apiUrl)
      .then(render)
      .catch(function () { status.textContent = "Could not refresh; retrying."; })
      .finally(function () { window.setTimeout(refresh, seconds * 1000); });
  }

  window.setTimeout(refresh, seconds * 1000);
})();
