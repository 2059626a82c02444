/* The post form of a chat (discussions/_chat_form.html): window.LMSChat.
 *
 * Used by the thread page (discussions.js) and the conversation page (conversation.js).
 * The form sends through the API; Ctrl/Cmd+Enter sends; an empty message is refused
 * here; when the API cannot be reached the form is posted the plain way.
 *
 *   const chat = LMSChat.postForm(form, {
 *     send(content) { return LMSUi.api("POST", url, {...}); },  // -> {status, body}
 *     posted(message) {},                                       // the 201's body
 *   });
 *   chat.showError("…"); chat.textarea;
 */
(function () {
  "use strict";

  function postForm(form, options) {
    const textarea = form.querySelector("textarea");
    const postError = document.getElementById("post-error");

    function showError(text) {
      if (!postError) return;
      postError.textContent = text || "";
      postError.hidden = !text;
    }

    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const content = textarea.value;
      if (!content.trim()) {
        showError("The message may not be empty.");
        return;
      }
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      options
        .send(content)
        .then(function (result) {
          if (result.status === 201) {
            textarea.value = "";
            showError("");
            options.posted(result.body);
          } else {
            showError(window.LMSUi.errorText(result));
          }
        })
        .catch(function () { form.submit(); })
        .finally(function () { button.disabled = false; });
    });
    return { textarea: textarea, showError: showError };
  }

  window.LMSChat = { postForm: postForm };
})();
