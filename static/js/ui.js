/* Helpers shared by the page modules: window.LMSUi (docs/frontend.md).
 *
 * base.html loads this first, deferred, on every signed-in page, so every page module
 * (deferred too, later in the page) finds it.
 * Everything users wrote is inserted with textContent, never as HTML.
 */
(function () {
  "use strict";

  // The cookie holds the current token, even after a sign-in in another tab rotated it.
  // Where scripts cannot read it (CSRF_COOKIE_HTTPONLY or CSRF_USE_SESSIONS), the token of
  // the page's forms: every signed-in page has one (the logout form of base.html).
  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // Plays the node's highlight animation again.
  function flash(node, className) {
    className = className || "is-new";
    node.classList.remove(className);
    void node.offsetWidth; // restart the animation
    node.classList.add(className);
  }

  function formatTime(iso) {
    const date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    return date.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  function formatDate(iso) {
    const date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    return date.toLocaleDateString(undefined, { month: "short", day: "numeric", year: "numeric" });
  }

  // Times rendered by the server (UTC) are shown in the reader's own time zone, like live ones.
  function localizeTimes(root) {
    if (!root) return;
    root.querySelectorAll("time[datetime]").forEach(function (node) {
      const text = formatTime(node.getAttribute("datetime"));
      if (text) node.textContent = text;
    });
  }

  // A person's avatar (an http(s) image, or an uploaded one: a path of this site such as
  // /media/avatars/...), else their initial: discussions/_avatar.html live.
  function avatarNode(person) {
    if (person && person.avatar && /^(https?:\/\/|\/(?!\/))/i.test(person.avatar)) {
      const img = el("img", "avatar");
      img.src = person.avatar;
      img.alt = "";
      img.width = 32;
      img.height = 32;
      return img;
    }
    const initial = el("span", "avatar avatar-initial", ((person && person.name) || "?").charAt(0).toUpperCase());
    initial.setAttribute("aria-hidden", "true");
    return initial;
  }

  // A call to the JSON API with the CSRF token: resolves to {status, body} whatever the
  // status (body null for a 204, {} when it is not JSON); rejects when the network fails.
  function api(method, url, body) {
    const options = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      if (response.status === 204) return { status: 204, body: null };
      return response
        .json()
        .catch(function () { return {}; })
        .then(function (json) { return { status: response.status, body: json }; });
    });
  }

  // GET a JSON document; rejects unless the answer is a success.
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response); });
  }

  // The message to show for a refused api() call.
  function errorText(result) {
    const body = result.body || {};
    if (typeof body.detail === "string") return body.detail;
    for (const key in body) {
      if (Array.isArray(body[key]) && body[key].length) return String(body[key][0]);
    }
    return "Something went wrong (" + result.status + ").";
  }

  function debounce(fn, ms) {
    let timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  // fn runs each time the realtime connection is live again (realtime.js announces it):
  // for what a page loads again after the stream may have had a gap.
  function whenLive(fn) {
    document.addEventListener("lms:realtime-state", function (event) {
      if (event.detail && event.detail.state === "live") fn();
    });
  }

  // A toast in the stack of the notifications partial (notifications/_nav.html).
  function toast(title, message, link) {
    const stack = document.querySelector("[data-toast-stack]");
    if (!stack) return;
    // Out of the navigation bar, so none of its link styles apply.
    if (stack.parentNode !== document.body) document.body.appendChild(stack);
    const box = el("div", "toast");
    box.setAttribute("role", "status");
    box.appendChild(el("strong", "toast-title", title));
    if (message) box.appendChild(el("span", "toast-message", message));
    if (link && link.href) {
      const a = el("a", "toast-link", link.text || "Open");
      a.href = link.href;
      box.appendChild(a);
    }
    const close = el("button", "toast-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss");
    close.addEventListener("click", function () { box.remove(); });
    box.appendChild(close);
    stack.appendChild(box);
    setTimeout(function () { box.classList.add("is-leaving"); }, 7000);
    setTimeout(function () { box.remove(); }, 7600);
  }

  // The post form of a chat (discussions/_chat_form.html), on the thread and conversation
  // pages. The form sends through the API; Ctrl/Cmd+Enter sends; an empty message is
  // refused here; when the API cannot be reached the form is posted the plain way.
  //
  //   const chat = LMSUi.postForm(form, {
  //     send(content) { return LMSUi.api("POST", url, {...}); },  // -> {status, body}
  //     posted(message) {},                                       // the 201's body
  //   });
  //   chat.showError("…"); chat.textarea;
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
            showError(errorText(result));
          }
        })
        .catch(function () { form.submit(); })
        .finally(function () { button.disabled = false; });
    });
    return { textarea: textarea, showError: showError };
  }

  window.LMSUi = {
    csrfToken: csrfToken,
    el: el,
    flash: flash,
    formatTime: formatTime,
    formatDate: formatDate,
    localizeTimes: localizeTimes,
    avatarNode: avatarNode,
    api: api,
    getJSON: getJSON,
    errorText: errorText,
    debounce: debounce,
    whenLive: whenLive,
    toast: toast,
    postForm: postForm,
  };
})();
