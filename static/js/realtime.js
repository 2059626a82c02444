/*
 * The browser client of /ws/ (protocol: docs/realtime.md, "Browser client").
 *
 *   const sub = LMSRealtime.subscribe("thread:7", {
 *     event(frame) {}, joined(data) {}, presence(frame) {}, typing(frame) {},
 *     reset(data) {}, revoked(error) {},
 *   }, {since: 118});   // optional: the last event id the page was rendered with
 *   sub.track({status: "active"}); sub.untrack(); sub.typing(); sub.leave();
 *
 * The tabs of a browser share one connection (static/js/realtime-connection.js), held by
 * a shared worker (static/js/realtime-worker.js). Where there is no SharedWorker, or it
 * cannot start, the page holds its own connection. Either way every topic hears about
 * every event after its `since` once and in order; the connection's state is shown in
 * the page and announced as "lms:realtime-state".
 */
(function () {
  "use strict";

  // Part of the shared worker's name: change it when the tab ↔ worker messages change, so
  // pages of a new version never talk to a worker started by an old one.
  const WORKER_PROTOCOL = 1;
  const PING_MS = 30000;
  const WORKER_ANSWER_MS = 10000; // no word from the worker by then: connect from the page

  const topics = new Map(); // topic -> {listeners: [handlers], lastId, joined, joinData, tracked, meta}
  let state = "offline";
  let transport = null;

  const body = document.body;
  const userId = body && body.dataset.userId ? Number(body.dataset.userId) : null;
  const script = document.currentScript;

  function setState(next) {
    if (next !== state && next !== "live") {
      topics.forEach(function (sub) {
        sub.joined = false; // until joined again
      });
    }
    state = next;
    document.querySelectorAll("[data-rt-status], #rt-status").forEach(function (el) {
      el.dataset.state = next;
      el.textContent = next;
      el.title = {
        live: "Live updates are on",
        reconnecting: "Reconnecting…",
        polling: "Live updates over polling (websocket unavailable)",
        offline: "Offline",
      }[next] || next;
    });
    document.dispatchEvent(new CustomEvent("lms:realtime-state", { detail: { state: next } }));
  }

  // Nothing more arrives until the user signs in again.
  function signedOut() {
    setState("offline");
    document.dispatchEvent(new CustomEvent("lms:signed-out"));
  }

  const csrfToken = window.LMSUi.csrfToken; // static/js/ui.js, loaded before this script

  // Every page script that subscribed to the topic hears about it.
  function call(sub, name, arg) {
    sub.listeners.slice().forEach(function (handlers) {
      callOne(handlers, name, arg);
    });
  }

  function callOne(handlers, name, arg) {
    if (handlers && typeof handlers[name] === "function") {
      try {
        handlers[name](arg);
      } catch (err) {
        console.error("realtime handler", name, err);
      }
    }
  }

  // What the connection, here or in the worker, says about a topic.
  function dispatch(topic, name, arg) {
    const sub = topics.get(topic);
    if (!sub) return;
    if (name === "event" && typeof arg.id === "number") {
      if (sub.lastId !== null && arg.id <= sub.lastId) return; // already seen
      sub.lastId = arg.id;
    }
    if ((name === "joined" || name === "reset") && typeof arg.last_id === "number") {
      if (sub.lastId === null || arg.reset) sub.lastId = arg.last_id;
    }
    if (name === "joined") {
      sub.joined = true;
      sub.joinData = arg;
    }
    if (name === "revoked" || name === "error") topics.delete(topic);
    call(sub, name, arg);
  }

  // Transports: the connection in this page, or the shared worker's.

  // Every topic of the page, to a new transport (or to the worker again).
  function openEverything() {
    topics.forEach(function (sub, topic) {
      transport.open(topic, sub);
      if (sub.tracked) transport.track(topic, sub.meta);
    });
  }

  function inPage() {
    const connection = window.LMSRealtimeConnection.create({
      onState: setState,
      onSignedOut: signedOut,
      csrfToken: csrfToken,
    });
    return {
      open: function (topic, sub) {
        const owner = {
          emit: function (name, arg) {
            dispatch(topic, name, arg);
          },
        };
        connection.subscribe(topic, owner, sub.lastId);
      },
      close: connection.leave,
      track: connection.track,
      untrack: connection.untrack,
      typing: connection.typing,
      start: connection.start,
    };
  }

  function inWorker() {
    if (!script || typeof SharedWorker === "undefined") return null;
    let worker;
    try {
      // Next to this script, whatever prefix the static files have.
      const url = new URL("realtime-worker.js", script.src).href;
      worker = new SharedWorker(url, { name: "lms-realtime:" + userId + ":" + WORKER_PROTOCOL });
    } catch (err) {
      return null; // blocked (a policy, a sandbox): this page holds its own connection
    }
    const port = worker.port;
    const lock = "lms-realtime-tab:" + Date.now().toString(36) + Math.random().toString(36).slice(2);
    let lockHeld = false;
    let csrfSent = "";

    function post(message) {
      port.postMessage(message);
    }

    function hello() {
      csrfSent = csrfToken();
      post({ op: "hello", csrf: csrfSent, lock: lockHeld ? lock : undefined });
      openEverything();
    }

    // The worker did not load or does not answer: this page holds its own connection.
    function fallBack() {
      if (transport !== api) return;
      post({ op: "bye" });
      port.close();
      transport = inPage();
      transport.start();
      openEverything();
    }

    const answerTimer = setTimeout(fallBack, WORKER_ANSWER_MS);
    port.onmessage = function (message) {
      if (transport !== api) return;
      clearTimeout(answerTimer);
      const data = message.data || {};
      if (data.op === "dispatch") dispatch(data.topic, data.name, data.arg);
      else if (data.op === "state") setState(data.state);
      else if (data.op === "signed-out") signedOut();
      else if (data.op === "rehello") hello();
    };
    worker.onerror = fallBack;
    port.start();

    // The worker learns that this tab went away when its request for this lock is granted.
    if (navigator.locks) {
      navigator.locks.request(lock, function () {
        lockHeld = true;
        post({ op: "held", lock: lock });
        return new Promise(function () {}); // held for the life of the page
      });
    }
    setInterval(function () {
      const token = csrfToken();
      post({ op: "ping", csrf: token !== csrfSent ? token : undefined });
      csrfSent = token;
    }, PING_MS);
    window.addEventListener("pagehide", function () {
      post({ op: "bye" });
    });
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) hello(); // back from the back/forward cache
    });

    const api = {
      open: function (topic, sub) {
        post({ op: "open", topic: topic, since: sub.lastId });
      },
      close: function (topic) {
        post({ op: "close", topic: topic });
      },
      track: function (topic, meta) {
        post({ op: "track", topic: topic, meta: meta });
      },
      untrack: function (topic) {
        post({ op: "untrack", topic: topic });
      },
      typing: function (topic) {
        post({ op: "typing", topic: topic });
      },
      start: hello,
    };
    return api;
  }

  // Public API

  // options.since: the last event id the page was rendered with, so nothing between the
  // render and the join is missed.
  function subscribe(topic, handlers, options) {
    handlers = handlers || {};
    const since = options && Number.isInteger(options.since) && options.since >= 0 ? options.since : null;
    const existing = topics.get(topic);
    const sub = existing || { listeners: [], lastId: since, joined: false, joinData: null, tracked: false, meta: null };
    sub.listeners.push(handlers);
    topics.set(topic, sub);
    if (!existing) {
      if (transport) transport.open(topic, sub);
    } else if (sub.joined) {
      callOne(handlers, "joined", sub.joinData); // another script of the page got here first
    }
    return {
      topic: topic,
      leave: function () {
        sub.listeners = sub.listeners.filter(function (h) {
          return h !== handlers;
        });
        if (sub.listeners.length === 0 && topics.get(topic) === sub) {
          topics.delete(topic);
          if (transport) transport.close(topic);
        }
      },
      track: function (meta) {
        sub.tracked = true;
        sub.meta = meta || {};
        if (transport) transport.track(topic, sub.meta);
      },
      untrack: function () {
        sub.tracked = false;
        if (transport) transport.untrack(topic);
      },
      typing: function () {
        if (transport) transport.typing(topic);
      },
    };
  }

  window.LMSRealtime = {
    userId: userId,
    subscribe: subscribe,
    get state() {
      return state;
    },
  };

  if (userId) {
    setState("reconnecting");
    transport = inWorker() || inPage();
    transport.start();
  }
})();
