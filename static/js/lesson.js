/* The lesson page: "Mark complete" without a reload, and the activity timer.
 *
 * Active time counts the seconds during which the tab is visible and the reader
 * interacted within the last 60 s. It is sent every 30 s, and when the page is hidden
 * or left (sendBeacon, or fetch with keepalive), with the CSRF token. The server caps
 * what it credits (docs/progress.md).
 */
(function () {
  "use strict";

  var IDLE_AFTER_MS = 60 * 1000;
  var SEND_EVERY_MS = 30 * 1000;
  var form = document.querySelector("[data-lesson-complete]");
  if (!form) return;
  var MAX_SECONDS = Number(form.dataset.activityMaxSeconds); // the server's limit of one report
  var lessonId = Number(form.dataset.lessonComplete);
  var completeUrl = form.dataset.completeUrl;
  var activityUrl = form.dataset.activityUrl;
  var button = form.querySelector("[data-lesson-complete-button]");
  var state = form.querySelector("[data-lesson-complete-state]");
  var status = form.querySelector("[data-lesson-complete-status]");

  var csrfToken = window.LMSUi.csrfToken;

  /* Activity timer */

  var lastInteraction = Date.now();
  var unsent = 0;

  ["pointerdown", "pointermove", "keydown", "scroll", "wheel", "touchstart"].forEach(function (type) {
    window.addEventListener(type, function () { lastInteraction = Date.now(); }, { passive: true, capture: true });
  });

  setInterval(function () {
    if (document.visibilityState === "visible" && Date.now() - lastInteraction <= IDLE_AFTER_MS) {
      unsent += 1;
    }
  }, 1000);

  function takeSeconds() {
    var seconds = Math.min(unsent, MAX_SECONDS);
    unsent -= seconds;
    return seconds;
  }

  function sendActivity(leaving) {
    var seconds = takeSeconds();
    if (seconds < 1) return;
    if (leaving && navigator.sendBeacon) {
      var body = new URLSearchParams({ seconds: String(seconds), csrfmiddlewaretoken: csrfToken() });
      if (navigator.sendBeacon(activityUrl, body)) return;
    }
    fetch(activityUrl, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: JSON.stringify({ seconds: seconds }),
    }).then(function (response) {
      if (response.status >= 500) unsent += seconds; // try again with the next report
    }).catch(function () {
      unsent += seconds;
    });
  }

  setInterval(function () { sendActivity(false); }, SEND_EVERY_MS);
  window.addEventListener("pagehide", function () { sendActivity(true); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") sendActivity(true);
  });

  /* Mark complete */

  function showCompleted(message) {
    if (state) state.hidden = false;
    if (button) button.hidden = true;
    if (status && message !== undefined) status.textContent = message;
  }

  form.addEventListener("submit", function (event) {
    if (!window.fetch) return; // the plain form post works without JavaScript
    event.preventDefault();
    if (button) button.disabled = true;
    if (status) status.textContent = "Saving…";
    fetch(completeUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: "{}",
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (enrollment) {
      showCompleted("Course progress: " + enrollment.progress + "%");
      sendActivity(false);
    }).catch(function () {
      if (button) button.disabled = false;
      if (status) status.textContent = "Could not save. Try again.";
    });
  });

  // Completed in another tab or device: show it here too.
  window.LMSRealtime.subscribe("user:" + document.body.dataset.userId, {
    event: function (frame) {
      if (frame.event === "lesson.completed" && frame.data && Number(frame.data.lesson) === lessonId) {
        showCompleted();
      }
    },
  });
})();
