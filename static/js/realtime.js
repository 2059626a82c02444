/*
 * The browser client of /ws/ (protocol: docs/realtime.md).
 *
 * One socket per tab carries every topic the page subscribes to:
 *
 *   const sub = LMSRealtime.subscribe("thread:7", {
 *     event(frame) {}, joined(data) {}, presence(frame) {}, typing(frame) {},
 *     reset(data) {}, revoked(error) {},
 *   }, {since: 118});   // optional: the last event id the page was rendered with
 *   sub.track({status: "active"}); sub.untrack(); sub.typing(); sub.leave();
 *
 * It sends a heartbeat, reconnects with exponential backoff and jitter,
 * rejoins every topic with the last event id it saw so nothing is missed,
 * and falls back to long polling (POST /api/realtime/poll/) while the socket
 * cannot connect, going back to the socket as soon as it can.
 */
(function () {
  "use strict";

  const HEARTBEAT_MS = 25000;
  const PONG_TIMEOUT_MS = 10000;
  const BACKOFF_BASE_MS = 500;
  const BACKOFF_MAX_MS = 30000;
  const FAILURES_BEFORE_POLLING = 2;
  const POLL_WAIT_S = 25;
  // The server ended the sign-in (logout, password change, revoked token, deactivation).
  const SIGNED_OUT_CODES = [4401, 4403];

  const subscriptions = new Map(); // topic -> {listeners: [handlers], lastId, joined, joinData, tracked, meta}
  const pending = new Map(); // ref -> callback
  let socket = null;
  let state = "offline";
  let nextRef = 1;
  let failures = 0;
  let reconnectTimer = null;
  let heartbeatTimer = null;
  let pongTimer = null;
  let polling = false;
  let pollController = null;

  const body = document.body;
  const userId = body && body.dataset.userId ? Number(body.dataset.userId) : null;

  function setState(next) {
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

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

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

  // Socket

  function socketUrl() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + window.location.host + "/ws/";
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function request(frame, callback) {
    const ref = String(nextRef++);
    if (callback) pending.set(ref, callback);
    if (!send(Object.assign({}, frame, { ref: ref }))) pending.delete(ref);
  }

  function connect() {
    clearTimeout(reconnectTimer);
    if (!userId) return;
    let opened = false;
    try {
      socket = new WebSocket(socketUrl());
    } catch (err) {
      socket = null; // blocked by the browser or a proxy: counts as a failed attempt
      failures += 1;
      return scheduleReconnect();
    }
    const current = socket;
    current.onopen = function () {
      opened = true;
      failures = 0;
      stopPolling();
      subscriptions.forEach(function (sub) {
        sub.polled = false;
      });
      setState("live");
      subscriptions.forEach(function (sub, topic) {
        join(topic, sub);
      });
      startHeartbeat();
    };
    current.onmessage = function (message) {
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch (err) {
        return;
      }
      handleFrame(frame);
    };
    current.onclose = function (event) {
      if (socket !== current) return;
      socket = null;
      stopHeartbeat();
      pending.clear();
      subscriptions.forEach(function (sub) {
        sub.joined = false;
      });
      if (SIGNED_OUT_CODES.indexOf(event.code) !== -1) return signedOut();
      if (!opened) failures += 1;
      scheduleReconnect();
    };
    current.onerror = function () {
      /* onclose follows */
    };
  }

  // Nothing more arrives until the user signs in again: stop trying, say so.
  function signedOut() {
    clearTimeout(reconnectTimer);
    stopPolling();
    setState("offline");
    document.dispatchEvent(new CustomEvent("lms:signed-out"));
  }

  function scheduleReconnect() {
    if (failures >= FAILURES_BEFORE_POLLING && subscriptions.size) {
      startPolling();
    } else if (!polling) {
      setState("reconnecting");
    }
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * Math.pow(2, Math.min(failures, 10)));
    const delay = ceiling / 2 + Math.random() * (ceiling / 2); // jitter: no thundering herd
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(connect, delay);
  }

  function startHeartbeat() {
    stopHeartbeat();
    heartbeatTimer = setInterval(function () {
      request({ op: "ping" }, function () {
        clearTimeout(pongTimer);
      });
      clearTimeout(pongTimer);
      pongTimer = setTimeout(function () {
        // No pong: the connection is dead even if the browser has not noticed.
        if (socket) socket.close();
      }, PONG_TIMEOUT_MS);
    }, HEARTBEAT_MS);
  }

  function stopHeartbeat() {
    clearInterval(heartbeatTimer);
    clearTimeout(pongTimer);
  }

  function join(topic, sub) {
    const frame = { op: "join", topic: topic };
    if (sub.lastId !== null) frame.since = sub.lastId;
    request(frame, function (reply) {
      if (!reply.ok) {
        subscriptions.delete(topic);
        call(sub, "error", reply.error);
        return;
      }
      const data = reply.data || {};
      sub.joined = true;
      if (data.reset) call(sub, "reset", data);
      if (typeof data.last_id === "number" && (sub.lastId === null || data.reset)) {
        sub.lastId = data.last_id;
      }
      sub.joinData = data;
      call(sub, "joined", data);
      if (sub.tracked) request({ op: "track", topic: topic, meta: sub.meta || {} });
    });
  }

  function deliverEvent(frame) {
    const sub = subscriptions.get(frame.topic);
    if (!sub) return;
    if (typeof frame.id === "number") {
      if (sub.lastId !== null && frame.id <= sub.lastId) return; // already seen
      sub.lastId = frame.id;
    }
    call(sub, "event", frame);
  }

  function handleFrame(frame) {
    switch (frame.op) {
      case "reply": {
        const callback = pending.get(String(frame.ref));
        pending.delete(String(frame.ref));
        if (callback) callback(frame);
        break;
      }
      case "pong": {
        const callback = pending.get(String(frame.ref));
        pending.delete(String(frame.ref));
        if (callback) callback(frame);
        break;
      }
      case "event":
        deliverEvent(frame);
        break;
      case "presence":
      case "typing": {
        const sub = subscriptions.get(frame.topic);
        if (sub) call(sub, frame.op, frame);
        break;
      }
      case "error": {
        const sub = frame.topic ? subscriptions.get(frame.topic) : null;
        if (sub && frame.error && frame.error.code === "forbidden") {
          subscriptions.delete(frame.topic);
          call(sub, "revoked", frame.error);
        }
        break;
      }
    }
  }

  // Polling fallback

  function startPolling() {
    if (polling) return;
    polling = true;
    setState("polling");
    pollLoop();
  }

  function stopPolling() {
    polling = false;
    if (pollController) pollController.abort();
  }

  async function pollLoop() {
    let delay = 0;
    while (polling && subscriptions.size) {
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
      const topics = {};
      let fresh = false;
      subscriptions.forEach(function (sub, topic) {
        topics[topic] = sub.lastId;
        if (!sub.polled) fresh = true;
      });
      pollController = new AbortController();
      try {
        const response = await fetch("/api/realtime/poll/", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
          // A topic seen for the first time is answered at once with its current id.
          body: JSON.stringify({ topics: topics, wait: fresh ? 0 : POLL_WAIT_S }),
          signal: pollController.signal,
        });
        const result = await response.json();
        if (response.status === 401) return signedOut();
        if (response.status === 403 && result.topic) {
          const sub = subscriptions.get(result.topic);
          subscriptions.delete(result.topic);
          if (sub) call(sub, "revoked", { code: "forbidden", message: result.detail });
          continue;
        }
        if (!response.ok) throw new Error(result.detail || response.statusText);
        (result.reset || []).forEach(function (topic) {
          const sub = subscriptions.get(topic);
          if (sub) {
            sub.lastId = result.last_ids[topic];
            call(sub, "reset", { reset: true, last_id: sub.lastId });
          }
        });
        result.events.forEach(deliverEvent);
        Object.keys(topics).forEach(function (topic) {
          const sub = subscriptions.get(topic);
          if (!sub || sub.polled) return;
          // First answer for this topic: from here on nothing is missed, as after a join.
          // Live-only topics (leaderboards) have no ids; they are simply followed from now.
          sub.polled = true;
          if (sub.lastId === null && result.last_ids && topic in result.last_ids) {
            sub.lastId = result.last_ids[topic];
          }
          sub.joined = true;
          sub.joinData = { last_id: sub.lastId, polling: true };
          call(sub, "joined", sub.joinData);
        });
        delay = 0;
      } catch (err) {
        if (!polling) return;
        delay = err.name === "AbortError" ? 0 : Math.min(BACKOFF_MAX_MS, (delay || 1000) * 2);
      }
    }
    polling = false;
  }

  // Public API

  // options.since: the last event id the page was rendered with, so nothing between the
  // render and the join is missed.
  function subscribe(topic, handlers, options) {
    handlers = handlers || {};
    const existing = subscriptions.get(topic);
    const since = options && typeof options.since === "number" ? options.since : null;
    const sub = existing || { listeners: [], lastId: since, joined: false, joinData: null };
    sub.listeners.push(handlers);
    subscriptions.set(topic, sub);
    if (!existing) {
      if (socket && socket.readyState === WebSocket.OPEN) join(topic, sub);
      else if (!socket && !polling) connect();
      else if (polling && pollController) pollController.abort(); // restart with the new topic
    } else if (sub.joined) {
      callOne(handlers, "joined", sub.joinData); // another script of the page got here first
    }
    return {
      topic: topic,
      leave: function () {
        sub.listeners = sub.listeners.filter(function (h) {
          return h !== handlers;
        });
        if (sub.listeners.length === 0 && subscriptions.get(topic) === sub) {
          subscriptions.delete(topic);
          request({ op: "leave", topic: topic });
        }
      },
      track: function (meta) {
        sub.tracked = true;
        sub.meta = meta || {};
        if (sub.joined) request({ op: "track", topic: topic, meta: sub.meta });
      },
      untrack: function () {
        sub.tracked = false;
        request({ op: "untrack", topic: topic });
      },
      typing: function () {
        send({ op: "typing", topic: topic });
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
    connect();
  }
})();
