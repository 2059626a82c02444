/*
 * The connection of the browser client to /ws/ (protocol: docs/realtime.md).
 *
 * One websocket carries every topic. It sends a heartbeat, reconnects with
 * exponential backoff and jitter, rejoins every topic with the last event id it
 * saw so nothing is missed, and falls back to long polling
 * (POST /api/realtime/poll/) while the socket cannot connect, going back to the
 * socket as soon as it can. It touches no DOM: it runs in the shared worker
 * (static/js/realtime-worker.js), one per browser, or in the page itself where
 * there is no SharedWorker (static/js/realtime.js).
 *
 *   const connection = LMSRealtimeConnection.create({
 *     onState(state) {},        // "live", "reconnecting", "polling", "offline"
 *     onSignedOut() {},         // close code 4401/4403 or a poll's 401: nothing more comes
 *     csrfToken() { return "…"; },
 *   });
 *   connection.subscribe("thread:7", owner, 118);   // since: optional, else null
 *   connection.rejoin(topic); connection.leave(topic);
 *   connection.track(topic, meta); connection.untrack(topic); connection.typing(topic);
 *   connection.start();
 *
 * The owner of a topic hears about it through owner.emit(name, arg, token), name being
 * event, joined, reset, presence, typing, revoked or error. Optionally, owner.since()
 * gives the id to join from (default: the last id delivered) and owner.joining(full)
 * returns a token, handed back with the joined and reset that answer that join; full
 * is true when every topic is joined again (a new socket, or polling starting).
 */
(function (scope) {
  "use strict";

  const HEARTBEAT_MS = 25000;
  const PONG_TIMEOUT_MS = 10000;
  const BACKOFF_BASE_MS = 500;
  const BACKOFF_MAX_MS = 30000;
  const FAILURES_BEFORE_POLLING = 2;
  const POLL_WAIT_S = 25;
  const JOIN_RETRY_MS = 2000;
  // The server ended the sign-in (logout, password change, revoked token, deactivation).
  const SIGNED_OUT_CODES = [4401, 4403];
  // Join refusals that pass: the server asks to try again later on the same socket.
  const RETRY_JOIN_CODES = ["rate_limited", "unavailable"];

  function create(env) {
    const subscriptions = new Map(); // topic -> {owner, lastId, joined, joinData, tracked, meta, polled, pollToken}
    const pending = new Map(); // ref -> callback
    let socket = null;
    let state = "offline";
    let stopped = false;
    let nextRef = 1;
    let failures = 0;
    let reconnectTimer = null;
    let heartbeatTimer = null;
    let pongTimer = null;
    let polling = false;
    let pollController = null;

    function setState(next) {
      state = next;
      env.onState(next);
    }

    function emit(sub, name, arg, token) {
      try {
        sub.owner.emit(name, arg, token);
      } catch (err) {
        console.error("realtime", name, err);
      }
    }

    function sinceOf(sub) {
      return sub.owner.since ? sub.owner.since() : sub.lastId;
    }

    function joining(sub, full) {
      return sub.owner.joining ? sub.owner.joining(full) : undefined;
    }

    // Socket

    function socketUrl() {
      const scheme = scope.location.protocol === "https:" ? "wss:" : "ws:";
      return scheme + "//" + scope.location.host + "/ws/";
    }

    function isOpen() {
      return socket !== null && socket.readyState === WebSocket.OPEN;
    }

    function send(frame) {
      if (!isOpen()) return false;
      socket.send(JSON.stringify(frame));
      return true;
    }

    function request(frame, callback) {
      const ref = String(nextRef++);
      if (callback) pending.set(ref, callback);
      if (!send(Object.assign({}, frame, { ref: ref }))) pending.delete(ref);
    }

    function connect() {
      clearTimeout(reconnectTimer);
      if (stopped) return;
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
        setState("live");
        subscriptions.forEach(function (sub, topic) {
          join(topic, sub, true);
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
      stopped = true;
      clearTimeout(reconnectTimer);
      stopPolling();
      setState("offline");
      env.onSignedOut();
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

    // A join (or rejoin) replays everything after `since`: from its reply on, the socket
    // continues from there, so the last id goes back to it (owners drop what they had).
    function join(topic, sub, full) {
      const since = sinceOf(sub);
      const token = joining(sub, full);
      const frame = { op: "join", topic: topic };
      if (since !== null) frame.since = since;
      request(frame, function (reply) {
        if (subscriptions.get(topic) !== sub) return; // left meanwhile
        if (!reply.ok) return joinRefused(topic, sub, reply.error || {}, full);
        const data = reply.data || {};
        sub.joined = true;
        if (typeof data.last_id === "number") {
          sub.lastId = since === null || data.reset ? data.last_id : since;
        }
        sub.joinData = data;
        if (data.reset) emit(sub, "reset", data, token);
        emit(sub, "joined", data, token);
        if (sub.tracked) request({ op: "track", topic: topic, meta: sub.meta || {} });
      });
    }

    function joinRefused(topic, sub, error, full) {
      if (RETRY_JOIN_CODES.indexOf(error.code) !== -1) {
        setTimeout(function () {
          if (subscriptions.get(topic) === sub && isOpen()) join(topic, sub, full);
        }, JOIN_RETRY_MS / 2 + Math.random() * JOIN_RETRY_MS);
        return;
      }
      subscriptions.delete(topic);
      emit(sub, "error", error);
    }

    function deliverEvent(frame) {
      const sub = subscriptions.get(frame.topic);
      if (!sub) return;
      if (typeof frame.id === "number") {
        if (sub.lastId !== null && frame.id <= sub.lastId) return; // already seen
        sub.lastId = frame.id;
      }
      emit(sub, "event", frame);
    }

    function revoke(topic, error) {
      const sub = subscriptions.get(topic);
      subscriptions.delete(topic);
      if (sub) emit(sub, "revoked", error);
    }

    function handleFrame(frame) {
      switch (frame.op) {
        case "reply":
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
          if (sub) emit(sub, frame.op, frame);
          break;
        }
        case "error":
          if (frame.topic && frame.error && frame.error.code === "forbidden") {
            revoke(frame.topic, frame.error);
          }
          break;
      }
    }

    // Polling fallback

    function startPolling() {
      if (polling) return;
      polling = true;
      subscriptions.forEach(function (sub) {
        sub.polled = false;
        sub.pollToken = joining(sub, true);
      });
      setState("polling");
      pollLoop();
    }

    function stopPolling() {
      polling = false;
      if (pollController) pollController.abort();
    }

    // Ask again for one topic from owner.since(), as a join would on the socket.
    function repoll(sub) {
      sub.polled = false;
      sub.pollToken = joining(sub, false);
      if (pollController) pollController.abort(); // restart with the new topic
    }

    async function pollLoop() {
      let delay = 0;
      while (polling && subscriptions.size) {
        if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
        const topics = {};
        const asked = new Map(); // topic -> the subscription asked for
        let fresh = false;
        subscriptions.forEach(function (sub, topic) {
          topics[topic] = sinceOf(sub);
          asked.set(topic, sub);
          if (!sub.polled) fresh = true;
        });
        pollController = new AbortController();
        try {
          const response = await fetch("/api/realtime/poll/", {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": env.csrfToken() },
            // A topic seen for the first time is answered at once with its current id.
            body: JSON.stringify({ topics: topics, wait: fresh ? 0 : POLL_WAIT_S }),
            signal: pollController.signal,
          });
          const result = await response.json();
          if (response.status === 401) return signedOut();
          if (response.status === 403 && result.topic) {
            revoke(result.topic, { code: "forbidden", message: result.detail });
            continue;
          }
          if (!response.ok) throw new Error(result.detail || response.statusText);
          pollAnswered(result, topics, asked);
          delay = 0;
        } catch (err) {
          if (!polling) return;
          delay = err.name === "AbortError" ? 0 : Math.min(BACKOFF_MAX_MS, (delay || 1000) * 2);
        }
      }
      polling = false;
    }

    // An answer holds every event after the ids asked with: continue from those.
    function pollAnswered(result, topics, asked) {
      const lastIds = result.last_ids || {};
      const reset = result.reset || [];
      asked.forEach(function (sub, topic) {
        if (subscriptions.get(topic) !== sub) return;
        const wasReset = reset.indexOf(topic) !== -1;
        if (wasReset) sub.lastId = lastIds[topic];
        else if (topics[topic] !== null) sub.lastId = topics[topic];
        // Live-only topics (leaderboards) have no ids; they are simply followed from now.
        else if (typeof lastIds[topic] === "number") sub.lastId = lastIds[topic];
        const token = sub.polled ? undefined : sub.pollToken;
        if (wasReset) emit(sub, "reset", { reset: true, last_id: sub.lastId }, token);
        if (sub.polled) return;
        // First answer for this topic: from here on nothing is missed, as after a join.
        sub.polled = true;
        sub.joined = true;
        sub.joinData = { last_id: sub.lastId, polling: true };
        emit(sub, "joined", sub.joinData, token);
      });
      result.events.forEach(deliverEvent);
    }

    // The owner's side

    function subscribe(topic, owner, since) {
      const sub = {
        owner: owner,
        lastId: typeof since === "number" ? since : null,
        joined: false,
        joinData: null,
        tracked: false,
        meta: null,
        polled: false,
      };
      subscriptions.set(topic, sub);
      if (isOpen()) join(topic, sub, false);
      else if (polling) repoll(sub);
      else if (!socket && !stopped) connect();
      return sub;
    }

    // The owner wants the topic joined again (from owner.since()), e.g. for a new tab.
    function rejoin(topic) {
      const sub = subscriptions.get(topic);
      if (!sub) return;
      if (isOpen()) join(topic, sub, false);
      else if (polling) repoll(sub);
      // otherwise the next connection joins it
    }

    function leave(topic) {
      if (!subscriptions.has(topic)) return;
      subscriptions.delete(topic);
      request({ op: "leave", topic: topic });
    }

    function track(topic, meta) {
      const sub = subscriptions.get(topic);
      if (!sub) return;
      sub.tracked = true;
      sub.meta = meta || {};
      if (sub.joined) request({ op: "track", topic: topic, meta: sub.meta });
    }

    function untrack(topic) {
      const sub = subscriptions.get(topic);
      if (sub) sub.tracked = false;
      request({ op: "untrack", topic: topic });
    }

    function typing(topic) {
      send({ op: "typing", topic: topic });
    }

    // Connect (again, after a sign-out, when a page of a new sign-in asks).
    function start() {
      stopped = false;
      if (socket || polling) return;
      setState("reconnecting");
      connect();
    }

    return {
      subscribe: subscribe,
      rejoin: rejoin,
      leave: leave,
      track: track,
      untrack: untrack,
      typing: typing,
      start: start,
      get state() {
        return state;
      },
    };
  }

  scope.LMSRealtimeConnection = { create: create };
})(self);
