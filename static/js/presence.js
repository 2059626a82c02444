/* Presence and typing of a topic with presence (`thread:{id}`, `conversation:{a}-{b}`),
 * shared by discussions.js and conversation.js.
 *
 *   const roster = LMSPresence.roster();        // who is here: apply every presence frame
 *   roster.apply(frame); roster.people(); roster.count(); roster.has(id); roster.clear();
 *   const typing = LMSPresence.typing(line, me); // "Bob is typing…" in `line`
 *   typing.heard(frame); typing.stop(userId); typing.clear();
 *   const sender = LMSPresence.typingSender(textarea, function () { return sub; });
 *   sender.reset();                              // after a post: the next keystroke tells again
 */
(function () {
  "use strict";

  const TYPING_SHOWN_MS = 4000; // how long "… is typing" stays after the last typing frame
  const TYPING_SEND_EVERY_MS = 2000; // at most one typing frame per this interval

  // Who is present: `state` frames replace it, `joins`/`leaves` change it. The state a
  // late joiner gets may list fewer people than its `count` (every user present).
  function roster() {
    let online = {}; // user id (string) -> {id, name, avatar}
    let total = 0;

    function apply(frame) {
      if (frame.state) {
        online = {};
        Object.keys(frame.state).forEach(function (key) { online[key] = frame.state[key]; });
        total = Math.max(Number(frame.count) || 0, Object.keys(online).length);
        return;
      }
      Object.keys(frame.leaves || {}).forEach(function (key) {
        if (online[key] || total > Object.keys(online).length) total -= 1;
        delete online[key];
      });
      Object.keys(frame.joins || {}).forEach(function (key) {
        if (!online[key]) total += 1;
        online[key] = frame.joins[key];
      });
      total = Math.max(total, Object.keys(online).length);
    }

    return {
      apply: apply,
      people: function () { return Object.keys(online).map(function (key) { return online[key]; }); },
      count: function () { return total; },
      has: function (id) { return Object.prototype.hasOwnProperty.call(online, String(id)); },
      clear: function () { online = {}; total = 0; },
    };
  }

  // "Bob is typing…" for about 4 s after Bob's last typing frame; never for `me`.
  function typing(line, me) {
    let typers = {}; // user id (string) -> {name, until}
    let timer = null;

    function render() {
      const now = Date.now();
      const names = [];
      let next = Infinity;
      Object.keys(typers).forEach(function (key) {
        if (typers[key].until <= now) {
          delete typers[key];
        } else {
          names.push(typers[key].name);
          next = Math.min(next, typers[key].until);
        }
      });
      names.sort();
      let text = "";
      if (names.length === 1) text = names[0] + " is typing…";
      else if (names.length === 2) text = names[0] + " and " + names[1] + " are typing…";
      else if (names.length > 2) text = "Several people are typing…";
      if (line) line.textContent = text;
      clearTimeout(timer);
      if (next !== Infinity) timer = setTimeout(render, next - now + 20);
    }

    return {
      heard: function (frame) {
        if (!frame.user || Number(frame.user.id) === me) return;
        typers[String(frame.user.id)] = { name: frame.user.name, until: Date.now() + TYPING_SHOWN_MS };
        render();
      },
      stop: function (userId) {
        delete typers[String(userId)];
        render();
      },
      clear: function () {
        typers = {};
        render();
      },
    };
  }

  // Tells the topic that I am typing, at most every 2 s, while the box holds text.
  function typingSender(textarea, subscription) {
    let lastSent = 0;
    textarea.addEventListener("input", function () {
      const now = Date.now();
      const sub = subscription();
      if (sub && textarea.value.trim() && now - lastSent >= TYPING_SEND_EVERY_MS) {
        lastSent = now;
        sub.typing();
      }
    });
    return { reset: function () { lastSent = 0; } };
  }

  window.LMSPresence = { roster: roster, typing: typing, typingSender: typingSender };
})();
