/* The account page: an avatar file too large in bytes is caught before it is uploaded.
 * The server checks everything again (accounts/avatars.py); without JavaScript the form
 * works the same, the server answers instead. */
(function () {
  "use strict";

  var form = document.querySelector("[data-avatar-form]");
  if (!form) return;
  var input = form.querySelector('input[type="file"]');
  var error = form.querySelector("[data-avatar-error]");
  if (!input || !error) return;
  var maxBytes = parseInt(input.getAttribute("data-max-bytes"), 10);

  function check() {
    var file = input.files && input.files[0];
    var message = "";
    if (file && maxBytes && file.size > maxBytes) {
      message = "This file is larger than " + Math.round(maxBytes / 1024) + " KB: choose a smaller image.";
    }
    input.setCustomValidity(message);
    error.textContent = message;
    error.hidden = !message;
    return !message;
  }

  input.addEventListener("change", check);
  form.addEventListener("submit", function (event) {
    if (!check()) event.preventDefault();
  });
})();
