/*
 * The shared worker of the browser client (docs/realtime.md, "Browser client"): one
 * connection to /ws/ (static/js/realtime-connection.js) for every tab of one signed-in
 * user in this browser. static/js/realtime.js starts it, named after the user.
 *
 * Tab → worker, over the tab's MessagePort:
 *   {op:"hello", csrf, lock?}   first, and again after "rehello"; then it opens its topics
 *   {op:"open", topic, since}   {op:"close", topic}
 *   {op:"track", topic, meta}   {op:"untrack", topic}   {op:"typing", topic}
 *   {op:"ping", csrf?}          every 30 s (and a changed CSRF token)
 *   {op:"held", lock}           the tab holds this Web Lock until it goes away
 *   {op:"bye"}                  pagehide
 * Worker → tab:
 *   {op:"state", state}   {op:"dispatch", topic, name, arg}   {op:"signed-out"}
 *   {op:"rehello"}        the worker forgot this tab (silent too long): say hello again
 *
 * Each tab has, per topic, the last event id it was given: it gets every event after it,
 * once. A tab opening a topic the worker already holds has it joined again on the socket
 * from the lowest id any tab needs, so it gets fresh join data and the events it missed;
 * the other tabs drop what they already have.
 */
importScripts("realtime-connection.js");

(function () {
  "use strict";

  const TAB_TIMEOUT_MS = 5 * 60 * 1000; // a tab silent this long, without a lock to watch, is gone
  const SWEEP_MS = 60 * 1000;

  const tabs = new Map(); // id -> {port, topics: Set, seen, watched}
  // topic -> {tabs: Map(id -> {pos, joined}), trackers: Map(id -> meta), tracked: JSON of the meta sent or null}
  const topics = new Map();
  let csrf = "";
  let state = "offline";
  let started = false;
  let nextId = 1;

  const connection = self.LMSRealtimeConnection.create({
    csrfToken: function () {
      return csrf;
    },
    onState: function (next) {
      state = next;
      broadcast({ op: "state", state: next });
    },
    onSignedOut: function () {
      started = false; // the next page that says hello (a new sign-in) connects again
      broadcast({ op: "signed-out" });
    },
  });

  function broadcast(message) {
    tabs.forEach(function (tab) {
      tab.port.postMessage(message);
    });
  }

  function dispatch(id, topic, name, arg) {
    const tab = tabs.get(id);
    if (tab) tab.port.postMessage({ op: "dispatch", topic: topic, name: name, arg: arg });
  }

  // What the connection says about a topic goes to the tabs holding it.
  function ownerOf(topic, entry) {
    // token: null = every tab (a new socket), or the ids of the tabs waiting for this join.
    function answers(token, id) {
      return token === null || (Array.isArray(token) && token.indexOf(id) !== -1);
    }
    return {
      since: function () {
        let since = null;
        entry.tabs.forEach(function (position) {
          if (typeof position.pos === "number" && (since === null || position.pos < since)) {
            since = position.pos;
          }
        });
        return since;
      },
      joining: function (full) {
        if (full) return null;
        const waiting = [];
        entry.tabs.forEach(function (position, id) {
          if (!position.joined) waiting.push(id);
        });
        return waiting;
      },
      emit: function (name, arg, token) {
        entry.tabs.forEach(function (position, id) {
          if (name === "event") {
            if (!position.joined) return; // its join replays it
            if (typeof arg.id === "number") {
              if (position.pos !== null && arg.id <= position.pos) return; // it has it
              position.pos = arg.id;
            }
          } else if (name === "reset") {
            if (!(position.joined || answers(token, id)) || position.pos === arg.last_id) return;
            position.pos = arg.last_id;
          } else if (name === "joined") {
            if (!answers(token, id)) return;
            position.joined = true;
            if (position.pos === null && typeof arg.last_id === "number") position.pos = arg.last_id;
          }
          dispatch(id, topic, name, arg);
        });
        if (name === "revoked" || name === "error") {
          topics.delete(topic);
          entry.tabs.forEach(function (position, id) {
            const tab = tabs.get(id);
            if (tab) tab.topics.delete(topic);
          });
        }
      },
    };
  }

  function open(id, tab, topic, since) {
    if (typeof topic !== "string") return;
    let entry = topics.get(topic);
    const held = Boolean(entry);
    if (!held) {
      entry = { tabs: new Map(), trackers: new Map(), tracked: null };
      topics.set(topic, entry);
    }
    since = typeof since === "number" ? since : null;
    entry.tabs.set(id, { pos: since, joined: false });
    tab.topics.add(topic);
    if (held) connection.rejoin(topic);
    else connection.subscribe(topic, ownerOf(topic, entry), since);
  }

  function close(id, tab, topic) {
    const entry = topics.get(topic);
    tab.topics.delete(topic);
    if (!entry || !entry.tabs.delete(id)) return;
    entry.trackers.delete(id);
    if (entry.tabs.size) return retrack(topic, entry);
    topics.delete(topic);
    connection.leave(topic); // the server drops the presence entry with it
  }

  // Presence: one entry for the socket while any tab tracks, with the latest tab's meta.
  function retrack(topic, entry) {
    let meta = null;
    entry.trackers.forEach(function (value) {
      meta = value;
    });
    const sent = meta === null ? null : JSON.stringify(meta);
    if (sent === entry.tracked) return;
    entry.tracked = sent;
    if (meta === null) connection.untrack(topic);
    else connection.track(topic, meta);
  }

  function track(id, topic, meta) {
    const entry = topics.get(topic);
    if (!entry || !entry.tabs.has(id)) return;
    entry.trackers.delete(id); // the latest tracker comes last
    if (meta !== undefined) entry.trackers.set(id, meta || {});
    retrack(topic, entry);
  }

  function forget(id) {
    const tab = tabs.get(id);
    if (!tab) return;
    tabs.delete(id);
    Array.from(tab.topics).forEach(function (topic) {
      close(id, tab, topic);
    });
  }

  // The tab's lock is released when the tab goes away, however it goes (MessagePort has no
  // close event): the worker's request for it is granted then.
  function watch(id, lock) {
    const tab = tabs.get(id);
    if (!tab || typeof lock !== "string" || !self.navigator.locks) return;
    tab.watched = true;
    self.navigator.locks.request(lock, function () {
      if (tabs.get(id) === tab) forget(id);
    });
  }

  function hello(id, port, message) {
    forget(id); // said again: the tab opens its topics again
    tabs.set(id, { port: port, topics: new Set(), seen: Date.now(), watched: false });
    if (message.csrf) csrf = message.csrf;
    if (message.lock) watch(id, message.lock);
    if (started) {
      port.postMessage({ op: "state", state: state });
    } else {
      started = true;
      connection.start(); // says "reconnecting" to every tab, this one too
    }
  }

  function receive(id, port, message) {
    if (message.op === "hello") return hello(id, port, message);
    const tab = tabs.get(id);
    if (!tab) {
      if (message.op !== "bye") port.postMessage({ op: "rehello" });
      return;
    }
    tab.seen = Date.now();
    if (message.csrf) csrf = message.csrf;
    switch (message.op) {
      case "open":
        return open(id, tab, message.topic, message.since);
      case "close":
        return close(id, tab, message.topic);
      case "track":
        return track(id, message.topic, message.meta);
      case "untrack":
        return track(id, message.topic, undefined);
      case "typing":
        if (tab.topics.has(message.topic)) connection.typing(message.topic);
        return;
      case "held":
        return watch(id, message.lock);
      case "bye":
        return forget(id);
    }
  }

  self.onconnect = function (event) {
    const port = event.ports[0];
    const id = nextId++;
    port.onmessage = function (message) {
      receive(id, port, message.data || {});
    };
  };

  setInterval(function () {
    const now = Date.now();
    tabs.forEach(function (tab, id) {
      if (!tab.watched && now - tab.seen > TAB_TIMEOUT_MS) forget(id);
    });
  }, SWEEP_MS);
})();
