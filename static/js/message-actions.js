/* Editing messages and reacting to them (docs/discussions.md, "Editing" and "Reactions").
 *
 * Thread page (#thread): "Edit" on my own message (within the edit window) turns it into a
 * textarea saved with PATCH /api/threads/{id}/messages/{mid}/; the reaction buttons under
 * each message toggle with PUT/DELETE …/reactions/{name}/. `thread.message.updated` and
 * `thread.message.reactions` on `thread:{id}` keep every open page current. discussions.js
 * calls LMSMessageActions.decorate(node, message) for each message it builds.
 * Conversation page (#conversation): "Edit" on my own direct message (PATCH
 * /api/messages/{id}/); `dm.updated` on `user:{me}`. conversation.js calls decorateDm.
 * Without JavaScript the same links and buttons are plain pages and forms.
 * Everything users wrote is inserted with textContent, never as HTML.
 */
(function () {
  "use strict";

  var ui = window.LMSUi;
  var el = ui.el;
  var me = Number(document.body.dataset.userId);
  var thread = document.getElementById("thread");
  var conversation = document.getElementById("conversation");
  var optionsNode = document.getElementById("reaction-options");
  var OPTIONS = optionsNode
    ? Array.prototype.map.call(optionsNode.children, function (node) {
        return { emoji: node.dataset.emoji, name: node.dataset.name, label: node.dataset.label };
      })
    : [];

  function windowMs(root) {
    return Number(root.dataset.editWindowMinutes || 0) * 60000;
  }

  function fresh(createdAt, root) {
    return Date.now() - new Date(createdAt).getTime() < windowMs(root);
  }

  function csrfInput() {
    var token = el("input");
    token.type = "hidden";
    token.name = "csrfmiddlewaretoken";
    token.value = ui.csrfToken();
    return token;
  }

  /* ------------------------------------------------------------ "(edited)" */

  function editedNode(item) {
    var node = item.querySelector(".chat-edited");
    if (!node) {
      node = el("span", "muted small chat-edited", "(edited)");
      node.hidden = true;
      var time = item.querySelector(".chat-meta time");
      if (time) time.after(node);
    }
    return node;
  }

  function showEdited(item, editedAt) {
    var node = editedNode(item);
    if (!editedAt) return;
    node.hidden = false;
    node.dataset.editedAt = editedAt;
    node.title = "Edited " + ui.formatTime(editedAt);
  }

  function editLink(item, href) {
    if (item.querySelector(".chat-edit")) return;
    var link = el("a", "btn btn-link small chat-edit", "Edit");
    link.href = href;
    var meta = item.querySelector(".chat-meta");
    var before = meta.querySelector(".chat-delete");
    meta.insertBefore(link, before || null);
  }

  /* ------------------------------------------------------------ editing in place */

  function openEditor(item, save) {
    if (item.querySelector(".edit-form")) return;
    var content = item.querySelector(".chat-content");
    var form = el("form", "form edit-form");
    var label = el("label", "visually-hidden", "Edit your message");
    var textarea = el("textarea");
    textarea.id = "edit-" + item.id;
    label.htmlFor = textarea.id;
    textarea.rows = 3;
    textarea.maxLength = 4000;
    textarea.value = content.textContent;
    var error = el("p", "errorlist");
    error.setAttribute("role", "alert");
    error.hidden = true;
    var saveButton = el("button", "btn btn-small", "Save");
    saveButton.type = "submit";
    var cancel = el("button", "btn btn-small btn-secondary", "Cancel");
    cancel.type = "button";
    form.append(label, textarea, error, saveButton, cancel);
    content.hidden = true;
    content.after(form);
    textarea.focus();

    function close() {
      form.remove();
      content.hidden = false;
    }

    cancel.addEventListener("click", close);
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape") close();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      saveButton.disabled = true;
      save(textarea.value).then(function (result) {
        saveButton.disabled = false;
        if (result.status === 200) {
          close();
          return result.body;
        }
        error.textContent = ui.errorText(result);
        error.hidden = false;
        return null;
      });
    });
  }

  /* ------------------------------------------------------------ reactions */

  function whoText(entry) {
    var names = (entry.users || []).join(", ");
    return entry.count > (entry.users || []).length ? names + ", " + entry.count + " in all" : names;
  }

  function pressed(entry, previous, change) {
    if (change && change.actor === me && change.emoji === entry.emoji) return !!change.reacted;
    if (typeof entry.me === "boolean") return entry.me;
    var ids = entry.user_ids || [];
    if (entry.count <= ids.length) return ids.indexOf(me) !== -1;
    return !!previous;
  }

  function reactionForm(action, name, className) {
    var form = el("form", "inline-form " + className);
    form.method = "post";
    form.action = action;
    form.dataset.emoji = name;
    var emoji = el("input");
    emoji.type = "hidden";
    emoji.name = "emoji";
    emoji.value = name;
    form.append(csrfInput(), emoji);
    return form;
  }

  function renderReactions(item, threadId, reactions, change, canReact) {
    var messageId = Number(item.dataset.messageId);
    var row = item.querySelector(".reactions");
    var before = {};
    if (row) {
      row.querySelectorAll(".reaction-form").forEach(function (form) {
        before[form.dataset.emoji] = form.querySelector("button").getAttribute("aria-pressed") === "true";
      });
      if (canReact === undefined) canReact = !!row.querySelector(".reaction-add");
    } else {
      row = el("div", "reactions");
      row.dataset.messageId = String(messageId);
      item.querySelector(".chat-body").appendChild(row);
    }
    var open = row.querySelector(".reaction-add[open]");
    var action = "/threads/" + threadId + "/messages/" + messageId + "/react/";
    var mine = {};
    row.replaceChildren();
    (reactions || []).forEach(function (entry) {
      var isMine = pressed(entry, before[entry.name], change);
      mine[entry.name] = isMine;
      var form = reactionForm(action, entry.name, "reaction-form");
      var button = el("button", "reaction" + (isMine ? " is-mine" : ""));
      button.type = "submit";
      button.setAttribute("aria-pressed", isMine ? "true" : "false");
      button.title = whoText(entry);
      button.setAttribute("aria-label", entry.label + ": " + entry.count);
      var who = el("span", "visually-hidden", "Reacted: " + whoText(entry));
      who.id = "reaction-who-" + messageId + "-" + entry.name;
      button.setAttribute("aria-describedby", who.id);
      button.disabled = !canReact;
      var glyph = el("span", null, entry.emoji);
      glyph.setAttribute("aria-hidden", "true");
      button.append(glyph, document.createTextNode(" "), el("span", "reaction-count", entry.count));
      form.append(button, who);
      row.appendChild(form);
    });
    if (!canReact || !OPTIONS.length) return;
    var details = el("details", "reaction-add");
    if (open) details.open = true;
    var summary = el("summary", "btn btn-link small");
    summary.title = "Add a reaction";
    var plus = el("span", null, "+☺");
    plus.setAttribute("aria-hidden", "true");
    summary.append(plus, el("span", "visually-hidden", "Add a reaction"));
    var menu = el("div", "reaction-menu");
    menu.setAttribute("role", "group");
    menu.setAttribute("aria-label", "Reactions");
    OPTIONS.forEach(function (option) {
      var form = reactionForm(action, option.name, "reaction-option");
      var button = el("button", "reaction-choice", option.emoji);
      button.type = "submit";
      button.title = option.label;
      button.setAttribute("aria-label", option.label);
      button.setAttribute("aria-pressed", mine[option.name] ? "true" : "false");
      form.appendChild(button);
      menu.appendChild(form);
    });
    details.append(summary, menu);
    row.appendChild(details);
  }

  /* ------------------------------------------------------------ thread page */

  var threadPage = null;

  function initThread(root) {
    var threadId = Number(root.dataset.threadId);
    var list = document.getElementById("chat-messages");
    var messagesUrl = "/api/threads/" + threadId + "/messages/";

    function canReact() {
      var muted = document.getElementById("muted-note");
      var closed = document.getElementById("closed-live-note");
      return root.dataset.canPost === "true" && (!muted || muted.hidden) && (!closed || closed.hidden);
    }

    function showContent(item, message) {
      var content = item.querySelector(".chat-content");
      if (!content || item.classList.contains("is-hidden")) return;
      content.replaceChildren();
      if (window.LMSMentions) content.appendChild(window.LMSMentions.render(message.content, message.mentions, me));
      else content.textContent = message.content;
    }

    function decorate(item, message) {
      showEdited(item, message.edited_at);
      if (message.sender.id === me && canReact() && fresh(message.created_at, root)) {
        editLink(item, "/threads/" + threadId + "/messages/" + Number(message.id) + "/edit/");
      }
      renderReactions(item, threadId, message.reactions, null, canReact());
    }

    function applyMessage(message) {
      var item = document.getElementById("message-" + Number(message.id));
      if (!item) return;
      showContent(item, message);
      showEdited(item, message.edited_at);
      renderReactions(item, threadId, message.reactions, null);
    }

    list.addEventListener("click", function (event) {
      var link = event.target.closest(".chat-edit");
      if (!link) return;
      event.preventDefault();
      var item = link.closest("[data-message-id]");
      var id = Number(item.dataset.messageId);
      openEditor(item, function (content) {
        return ui.api("PATCH", messagesUrl + id + "/", { content: content }).then(function (result) {
          if (result.status === 200) applyMessage(result.body);
          return result;
        });
      });
    });

    list.addEventListener("submit", function (event) {
      var form = event.target.closest(".reaction-form, .reaction-option");
      if (!form) return;
      event.preventDefault();
      event.stopPropagation();
      var item = form.closest(".chat-message");  // the message, not its reactions row (which carries the id too)
      var id = Number(item.dataset.messageId);
      var on = form.querySelector("button").getAttribute("aria-pressed") !== "true";
      var url = messagesUrl + id + "/reactions/" + encodeURIComponent(form.dataset.emoji) + "/";
      ui.api(on ? "PUT" : "DELETE", url).then(function (result) {
        if (result.status === 200) {
          renderReactions(item, threadId, result.body.reactions, null);
        } else {
          window.alert(ui.errorText(result));
        }
      });
    });

    window.LMSRealtime.subscribe(
      "thread:" + threadId,
      {
        event: function (frame) {
          var data = frame.data || {};
          if (frame.event === "thread.message.updated") {
            applyMessage(data);
          } else if (frame.event === "thread.message.reactions") {
            var item = document.getElementById("message-" + Number(data.id));
            if (item && !item.classList.contains("is-hidden")) {
              renderReactions(item, threadId, data.reactions, data);
            }
          }
        },
      },
      { since: Number(root.dataset.since) }
    );

    ui.localizeTimes(list);
    threadPage = { decorate: decorate };
  }

  /* ------------------------------------------------------------ conversation page */

  var conversationPage = null;

  function initConversation(root) {
    var list = document.getElementById("chat-messages");

    function applyDm(dm) {
      var item = document.getElementById("dm-" + Number(dm.id));
      if (!item) return;
      var content = item.querySelector(".chat-content");
      if (content) content.textContent = dm.content;
      showEdited(item, dm.edited_at);
    }

    list.addEventListener("click", function (event) {
      var link = event.target.closest(".chat-edit");
      if (!link) return;
      event.preventDefault();
      var item = link.closest("[data-message-id]");
      var id = Number(item.dataset.messageId);
      openEditor(item, function (content) {
        return ui.api("PATCH", "/api/messages/" + id + "/", { content: content }).then(function (result) {
          if (result.status === 200) applyDm(result.body);
          return result;
        });
      });
    });

    window.LMSRealtime.subscribe("user:" + me, {
      event: function (frame) {
        if (frame.event === "dm.updated" && frame.data) applyDm(frame.data);
      },
    });

    conversationPage = {
      decorate: function (item, dm) {
        showEdited(item, dm.edited_at);
        if (dm.sender === me && root.dataset.canMessage !== "false" && fresh(dm.created_at, root)) {
          editLink(item, "/messages/edit/" + Number(dm.id) + "/");
        }
      },
    };
  }

  if (thread && me) initThread(thread);
  if (conversation && me) initConversation(conversation);

  window.LMSMessageActions = {
    decorate: function (item, message) {
      if (threadPage) threadPage.decorate(item, message);
    },
    decorateDm: function (item, dm) {
      if (conversationPage) conversationPage.decorate(item, dm);
    },
  };
})();
