/* @mentions on the thread page: window.LMSMentions.
 *
 *   LMSMentions.render(content, mentions, me) -> DocumentFragment
 *     a message's text with each `@username` of `mentions` ([{id, username}], from the
 *     message's shape) shown as a mention: a link to a conversation, or highlighted when it
 *     is me. The same as the server's rendering (discussions/mentions.py); text nodes only.
 *   LMSMentions.autocomplete(textarea, membersUrl)
 *     typing "@al" in the message box lists the thread's readers whose username or name
 *     starts with "al" (GET membersUrl?q=al): an ARIA listbox, arrow keys move, Enter or Tab
 *     picks, Escape closes, a click picks; the pick becomes "@alice ".
 *
 * Loaded by the thread page only, before discussions.js. The form works without it.
 */
(function () {
  "use strict";

  var ui = window.LMSUi;
  var el = ui.el;
  var NAME = "[\\p{L}\\p{N}_.@+\\-]";
  // A mention starts where no other word goes on (not in an email address).
  var MENTION = new RegExp("(^|[^\\p{L}\\p{N}_.@+\\-])@(" + NAME + "+)", "gu");
  var TYPING = new RegExp("(?:^|[^\\p{L}\\p{N}_.@+\\-])@(" + NAME + "*)$", "u");
  var MAX_QUERY = 150;

  function trimName(name) {
    return name.replace(/\.+$/, "");
  }

  function render(content, mentions, me) {
    var fragment = document.createDocumentFragment();
    var byName = {};
    (mentions || []).forEach(function (user) {
      var key = String(user.username).toLowerCase();
      // Two mentioned users whose names differ only in case: the exact one is found below.
      (byName[key] = byName[key] || []).push(user);
    });
    var text = String(content);
    var position = 0;
    var match;
    MENTION.lastIndex = 0;
    while ((match = MENTION.exec(text)) !== null) {
      var name = trimName(match[2]);
      var start = match.index + match[1].length;
      var users = byName[name.toLowerCase()] || [];
      var exact = users.filter(function (u) { return u.username === name; });
      var user = exact[0] || (users.length === 1 ? users[0] : null);
      if (!user) continue;
      var end = start + 1 + name.length;
      if (start > position) fragment.appendChild(document.createTextNode(text.slice(position, start)));
      var node;
      if (Number(user.id) === Number(me)) {
        node = el("span", "mention is-me", text.slice(start, end));
      } else {
        node = el("a", "mention", text.slice(start, end));
        node.href = "/messages/" + Number(user.id) + "/";
      }
      node.dataset.userId = String(Number(user.id));
      fragment.appendChild(node);
      position = end;
      MENTION.lastIndex = end;
    }
    if (position < text.length) fragment.appendChild(document.createTextNode(text.slice(position)));
    return fragment;
  }

  function autocomplete(textarea, membersUrl) {
    if (!textarea || !membersUrl) return null;
    var listId = (textarea.id || "message") + "-mentions";
    var list = el("ul", "mention-listbox");
    list.id = listId;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "People to mention");
    list.hidden = true;
    var status = el("p", "visually-hidden");
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    textarea.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", listId);

    var members = [];
    var active = -1;
    var token = null; // {start, end, prefix} of the "@prefix" being typed
    var asked = 0; // answers to older questions are dropped

    function isOpen() {
      return !list.hidden;
    }

    function close() {
      list.hidden = true;
      list.replaceChildren();
      members = [];
      active = -1;
      textarea.removeAttribute("aria-activedescendant");
    }

    function setActive(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
        option.classList.toggle("is-active", i === index);
      });
      var option = list.children[index];
      if (option) {
        textarea.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      } else {
        textarea.removeAttribute("aria-activedescendant");
      }
    }

    function show(found) {
      members = found;
      list.replaceChildren();
      if (!found.length) {
        close();
        status.textContent = "No one to mention.";
        return;
      }
      found.forEach(function (member, index) {
        var option = el("li", "mention-option");
        option.id = listId + "-" + Number(member.id);
        option.setAttribute("role", "option");
        option.appendChild(ui.avatarNode(member));
        option.appendChild(el("span", "mention-option-name", member.name));
        option.appendChild(el("span", "mention-option-username muted small", "@" + member.username));
        // mousedown keeps the focus in the textarea; the click then picks.
        option.addEventListener("mousedown", function (event) { event.preventDefault(); });
        option.addEventListener("click", function () { pick(index); });
        list.appendChild(option);
      });
      list.hidden = false;
      setActive(0);
      status.textContent = found.length + (found.length === 1 ? " person" : " people") +
        " to mention. Up and down to choose, Enter to pick.";
    }

    function pick(index) {
      var member = members[index];
      if (!member || !token) return;
      var value = textarea.value;
      var before = value.slice(0, token.start) + "@" + member.username + " ";
      var after = value.slice(token.end).replace(/^ /, "");
      textarea.value = before + after;
      textarea.setSelectionRange(before.length, before.length);
      close();
      status.textContent = "@" + member.username + " added.";
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
      textarea.focus();
    }

    function currentToken() {
      if (textarea.selectionStart !== textarea.selectionEnd) return null;
      var caret = textarea.selectionStart;
      var value = textarea.value;
      var match = TYPING.exec(value.slice(0, caret));
      if (!match || match[1].length > MAX_QUERY) return null;
      // The caret must end the name: "@al|ice" looks up "al" and replaces "@alice".
      var rest = /^[\p{L}\p{N}_.@+\-]*/u.exec(value.slice(caret))[0];
      return { start: caret - match[1].length - 1, end: caret + rest.length, prefix: match[1] };
    }

    var lookup = ui.debounce(function () {
      token = currentToken();
      if (!token) {
        close();
        return;
      }
      var question = ++asked;
      ui.getJSON(membersUrl + "?q=" + encodeURIComponent(token.prefix))
        .then(function (found) {
          if (question !== asked || !token) return;
          show(Array.isArray(found) ? found : []);
        })
        .catch(function () {
          if (question === asked) close();
        });
    }, 150);

    textarea.addEventListener("input", function () {
      if (currentToken()) {
        lookup();
      } else {
        asked++;
        close();
      }
    });
    textarea.addEventListener("click", function () {
      if (isOpen() && !currentToken()) close();
    });
    textarea.addEventListener("blur", function () {
      asked++;
      close();
    });
    // Capturing, so that Enter picks instead of reaching the form's own keys (LMSUi.postForm).
    textarea.addEventListener(
      "keydown",
      function (event) {
        if (!isOpen()) return;
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          var step = event.key === "ArrowDown" ? 1 : -1;
          setActive((active + step + members.length) % members.length);
        } else if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey && !event.ctrlKey && !event.metaKey && !event.altKey) {
          event.preventDefault();
          event.stopImmediatePropagation();
          pick(active < 0 ? 0 : active);
        } else if (event.key === "Escape") {
          event.preventDefault();
          event.stopPropagation();
          asked++;
          close();
        }
      },
      true
    );
    textarea.form && textarea.form.addEventListener("submit", close);
    return { close: close };
  }

  window.LMSMentions = { render: render, autocomplete: autocomplete };
})();
