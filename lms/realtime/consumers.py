"""The one websocket consumer at /ws/ (protocol: docs/realtime.md).

It knows no app: topics are resolved and authorized through the registry.
Events reach it from the process's Hub as ready-made JSON strings. Per joined
topic it keeps the last id delivered, so that live events are delivered in
order, exactly once: a duplicate is dropped, and a gap (commit callbacks of two
writers can run out of order) is filled from the database first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from lms.platform import metrics
from lms.realtime import replay
from lms.realtime.auth import Credential, credential_of, current_user, fingerprint
from lms.realtime.db import in_db_thread
from lms.realtime.hub import get_hub, record_delivery
from lms.realtime.presence import PROCESS_ID, get_presence
from lms.realtime.registry import Grant, authorize, resolve
from lms.realtime.wire import direct_writer, wire_of

logger = logging.getLogger(__name__)

TYPING_MIN_INTERVAL = 1.0
TRACK_MIN_INTERVAL = 1.0
# Close codes: the credential the socket was opened with no longer holds (signed out,
# password changed, token revoked); the account was deactivated.
CLOSE_SIGNED_OUT = 4401
CLOSE_DEACTIVATED = 4403
CLOSE_TOO_MANY_SOCKETS = 4429
MAX_META_BYTES = 1024
OPS = {"join", "leave", "track", "untrack", "typing", "ping"}


class FrameError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(slots=True)  # one per joined topic per socket: thousands per process
class TopicState:
    family: str
    persistent: bool
    presence: bool
    grant: Grant | None = None  # None while the join is being authorized
    last_id: int = 0
    ready: bool = False
    busy: bool = False
    pending: list[tuple[int, str, float | None]] = field(default_factory=list)
    tracked: bool = False
    tracked_at: float = -TRACK_MIN_INTERVAL
    typed_at: float = 0.0
    lag_target: int = 0  # a committed id seen missing at the last check (see behind())


class SignedOut(Exception):
    """The socket's credential no longer holds: it is closed."""


@dataclass
class Admission:
    """What one join learned in its one trip to a database thread."""

    user: Any
    grant: Grant | None
    data: dict = field(default_factory=dict)
    history: list[tuple[int, str]] = field(default_factory=list)
    last_id: int = 0
    reset: bool = False


@in_db_thread
def _authorize_join(
    user_id: int, credential: Credential | None, topic: str, since: int | None
) -> Admission:
    """Authorize a join and read what it needs, in one trip to a database thread.

    The user and their credential are read again (a join never relies on what
    was true at the handshake); then the topic's authorization, its join data
    and, on a persistent topic, its history after `since`. The caller has
    subscribed already, so nothing committed after this read is missed.
    """
    user = current_user(user_id=user_id, credential=credential)
    if user is None:
        raise SignedOut
    spec, params, grant = authorize(user, topic)
    admission = Admission(user=user, grant=grant)
    if grant is None:
        return admission
    if spec.join_data:
        admission.data = spec.join_data(user, **params)
    if spec.persistent:
        admission.history, admission.last_id, admission.reset = replay.history(topic, since)
    return admission


@in_db_thread
def _authorize_again(user_id: int, credential: Credential | None, topics: list[str]):
    """(the user now, {topic: grant or None}) for a socket told its access changed."""
    user = current_user(user_id=user_id, credential=credential)
    if user is None:
        raise SignedOut
    return user, {topic: authorize(user, topic)[2] for topic in topics}


class RealtimeConsumer(AsyncJsonWebsocketConsumer):
    # No channel of its own: events come through the process's Hub. This saves a
    # channel-layer subscription per socket, and lets sockets connect while Redis is down.
    channel_layer_alias = "realtime-consumers-use-the-hub"
    # Set once accepted: writes a prebuilt frame to a Daphne socket (lms.realtime.wire).
    write_direct = None

    async def dispatch(self, message: dict) -> None:
        # Channels closes old database connections before every message, a trip to the
        # one sync thread per frame received. This consumer reads the database only
        # through lms.realtime.db, whose calls close (pool) their own connections.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        try:
            await handler(message)
        except StopConsumer:
            raise
        except Exception:
            # Escaping here closes the socket (or refuses its handshake): counted, then raised.
            if message["type"] == "websocket.connect":
                metrics.FAILED_HANDSHAKES.labels(reason="error").inc()
            else:
                metrics.CONSUMER_ERRORS.inc()
            raise

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            metrics.FAILED_HANDSHAKES.labels(reason="anonymous").inc()
            await self.close()  # before accept: the handshake is refused with HTTP 403
            return
        self.user = user
        self.user_id = user.pk
        self.credential = credential_of(self.scope)
        self.credential_id = fingerprint(self.credential) if self.credential else None
        self.topics: dict[str, TopicState] = {}
        self.key = f"{PROCESS_ID}:{uuid.uuid4().hex[:12]}"
        self.join_times: list[float] = []
        self.controls = 0  # control messages received: see op_join
        self.hub = get_hub()
        self.presence = get_presence(id(asyncio.get_running_loop()))
        self.closed = False
        await self.hub.start()
        _ensure_presence_maintenance(self.hub, self.presence)
        self.hub.add_socket(self)
        metrics.OPEN_SOCKETS.inc()
        await self.accept()
        if settings.REALTIME_DIRECT_WRITES:
            self.write_direct = direct_writer(self.base_send)
        if not await self._count_socket():
            metrics.FAILED_HANDSHAKES.labels(reason="too_many_sockets").inc()
            limit = settings.REALTIME_MAX_SOCKETS_PER_USER
            await self._error("rate_limited", f"At most {limit} open connections per user.")
            await self.close(code=CLOSE_TOO_MANY_SOCKETS)

    async def _count_socket(self) -> bool:
        """Whether this socket is within its user's cap, counted over every server process."""
        try:
            return await self.presence.add_socket(
                self.user_id, self.key, settings.REALTIME_MAX_SOCKETS_PER_USER
            )
        except Exception as exc:  # Redis down: serve the socket rather than refuse everyone
            logger.warning("socket count unavailable: %s", exc)
            return True

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "topics"):
            return
        self.closed = True
        self.hub.remove_socket(self)
        metrics.OPEN_SOCKETS.dec()
        for topic in list(self.topics):
            await self._drop(topic)
        try:
            await self.presence.remove_socket(self.user_id, self.key)
        except Exception as exc:  # it expires with the presence TTL
            logger.warning("socket count not updated: %s", exc)

    # Frames in

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            return await self._error("bad_request", "Frames must be JSON text.")
        if len(text_data) > settings.REALTIME_MAX_FRAME_BYTES or (
            len(text_data.encode()) > settings.REALTIME_MAX_FRAME_BYTES
        ):
            return await self._error(
                "bad_request", f"Frame over {settings.REALTIME_MAX_FRAME_BYTES} bytes."
            )
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than we parse
            return await self._error("bad_request", "Frame is not valid JSON.")
        if not isinstance(content, dict):
            return await self._error("bad_request", "Frame must be a JSON object.")
        ref = content.get("ref")
        if ref is not None and not isinstance(ref, str | int):
            return await self._error("bad_request", "ref must be a string or a number.")
        op = content.get("op")
        try:
            if not isinstance(op, str) or op not in OPS:
                raise FrameError("bad_request", f"Unknown op {str(op)[:50]!r}.")
            try:
                await getattr(self, f"op_{op}")(content, ref)
            except FrameError:
                raise
            except Exception as exc:
                # A database or Redis outage, or a bug: answer, and keep the socket open.
                logger.exception("op %s failed", op)
                metrics.CONSUMER_ERRORS.inc()
                raise FrameError(
                    "unavailable", "The server cannot do this right now; retry shortly."
                ) from exc
        except FrameError as exc:
            if op == "join":
                metrics.REJECTED_JOINS.labels(code=exc.code).inc()
            if ref is None:
                await self._error(exc.code, exc.message, content.get("topic"))
            else:
                await self._reply(ref, False, error={"code": exc.code, "message": exc.message})

    async def op_ping(self, content: dict, ref: Any) -> None:
        await self._send_json({"op": "pong", "ref": ref})

    async def op_join(self, content: dict, ref: Any) -> None:
        topic = self._topic_of(content)
        since = content.get("since")
        if since is not None and (
            isinstance(since, bool) or not isinstance(since, int) or since < 0
        ):
            raise FrameError("bad_request", "since must be a non-negative integer.")
        self._check_join_rate()
        if topic not in self.topics and len(self.topics) >= settings.REALTIME_MAX_TOPICS_PER_SOCKET:
            raise FrameError(
                "too_many_topics",
                f"At most {settings.REALTIME_MAX_TOPICS_PER_SOCKET} topics per socket.",
            )
        resolved = resolve(topic)
        if resolved is None:
            raise FrameError("unknown_topic", f"No such topic: {topic}.")
        spec, _params = resolved
        if topic in self.topics:
            await self._drop(topic)
        state = TopicState(family=spec.name, persistent=spec.persistent, presence=spec.presence)
        self.topics[topic] = state
        # Subscribe before reading history, so nothing committed in between is missed;
        # nothing is delivered before the join is granted and its history sent.
        await self.hub.subscribe(topic, self)
        controls = self.controls
        try:
            admission = await _authorize_join(self.user_id, self.credential, topic, since)
            if self.controls != controls:  # access changed while we read: read again
                admission = await _authorize_join(self.user_id, self.credential, topic, since)
        except SignedOut:
            return await self._sign_out()
        except BaseException:
            await self._drop(topic)
            raise
        self.user = admission.user
        if admission.grant is None or self.topics.get(topic) is not state:
            await self._drop(topic)
            raise FrameError("forbidden", f"You may not join {topic}.")
        state.grant = admission.grant
        data, history = admission.data, admission.history
        if spec.persistent:
            state.last_id = admission.last_id
            data = {**data, "last_id": admission.last_id}
            if admission.reset:
                data["reset"] = True
        metrics.JOINS.labels(topic=spec.name).inc()
        await self._reply(ref, True, topic=topic, data=data)
        for seq, frame in history:
            await self._send_text(frame)
            state.last_id = max(state.last_id, seq)
        if spec.presence:
            try:
                presence_state, leaves = await self.presence.state(topic)
                if leaves:
                    await self._announce_presence(topic, {}, leaves)
            except Exception as exc:  # Redis down: the join stands, presence comes back later
                logger.warning("presence of %s unavailable: %s", topic, exc)
            else:
                await self._send_presence_state(topic, presence_state)
        state.ready = True
        await self._resume(topic, state)

    async def op_leave(self, content: dict, ref: Any) -> None:
        topic = self._topic_of(content)
        if topic in self.topics:
            await self._drop(topic)
        await self._reply(ref, True, topic=topic)

    async def op_track(self, content: dict, ref: Any) -> None:
        topic, state = self._presence_topic(content)
        now = time.monotonic()
        if now - state.tracked_at < TRACK_MIN_INTERVAL:
            metrics.RATE_LIMITED.labels(scope="ws_track").inc()
            raise FrameError("rate_limited", f"At most one track per {TRACK_MIN_INTERVAL:g} s.")
        meta = content.get("meta", {})
        try:
            # allow_nan=False: NaN and Infinity are not JSON, and browsers refuse them.
            size = len(json.dumps(meta, allow_nan=False)) if isinstance(meta, dict) else None
        except ValueError:
            size = None
        if size is None or size > MAX_META_BYTES:
            raise FrameError(
                "bad_request", f"meta must be a JSON object under {MAX_META_BYTES} bytes."
            )
        user = {"id": self.user.pk, "name": self.user.display_name, "avatar": self.user.avatar}
        state.tracked_at = now
        joins = await self.presence.track(topic, self.key, user, meta)
        state.tracked = True
        await self._reply(ref, True, topic=topic)
        presence_state, leaves = await self.presence.state(topic)
        await self._send_presence_state(topic, presence_state)
        if joins or leaves:
            await self._announce_presence(topic, joins, leaves)

    async def op_untrack(self, content: dict, ref: Any) -> None:
        topic, state = self._presence_topic(content)
        if state.tracked:
            state.tracked = False
            leaves = await self.presence.untrack(topic, self.key)
            if leaves:
                await self._announce_presence(topic, {}, leaves)
        await self._reply(ref, True, topic=topic)

    async def op_typing(self, content: dict, ref: Any) -> None:
        topic, state = self._presence_topic(content)
        now = time.monotonic()
        if now - state.typed_at >= TYPING_MIN_INTERVAL:
            state.typed_at = now
            frame = {
                "op": "typing",
                "topic": topic,
                "user": {"id": self.user.pk, "name": self.user.display_name},
            }
            await self.hub.send_group(topic, json.dumps(frame))
        if ref is not None:
            await self._reply(ref, True, topic=topic)

    # Frames out (called by the hub)

    async def deliver(self, topic: str, seq: int | None, frame: str, ts: float | None) -> int:
        """Called by the hub for each event of a joined topic; 1 if written now, else 0."""
        state = self.topics.get(topic)
        if state is None or self.closed:
            return 0
        if seq is None:
            await self._send_text(frame)
            return 1
        if state.ready and not state.busy:
            if seq <= state.last_id:
                return 0
            if await self._send_next(state, seq, frame):
                return 1
        state.pending.append((seq, frame, ts))
        if state.ready and not state.busy:
            state.busy = True
            asyncio.ensure_future(self._catch_up(topic, state))
        return 0

    async def behind(self, topic: str, last_committed: int) -> None:
        """Called by the hub's periodic check with the topic's last committed id.

        Live events normally arrive within milliseconds; an id still missing one
        check later was lost on the way, and is read from the database.
        """
        state = self.topics.get(topic)
        if state is None or not state.persistent or not state.ready or self.closed:
            return
        if state.last_id >= last_committed:
            state.lag_target = 0
            return
        if not state.lag_target or state.last_id >= state.lag_target or state.busy:
            state.lag_target = last_committed
            return
        state.lag_target = 0
        state.busy = True
        try:
            await self._deliver_stored(topic, state, last_committed)
        finally:
            state.busy = False
        await self._resume(topic, state)

    async def control(self, message: dict) -> None:
        """A revocation from the hub (lms.realtime.events: revoke, reauthorize, disconnect)."""
        action = message.get("action")
        credential = message.get("credential")
        if credential is not None and credential != self.credential_id:
            return
        self.controls += 1  # a join being authorized now reads its access again
        if action == "disconnect":
            await self._close_with(CLOSE_DEACTIVATED if credential is None else CLOSE_SIGNED_OUT)
        elif action == "reauthorize":
            await self._reauthorize(message.get("course_id"))
        else:
            for topic, state in list(self.topics.items()):
                if _revocation_matches(message, topic, state):
                    await self._revoke(topic)

    # Internals

    async def _reauthorize(self, course_id: int | None) -> None:
        topics = [
            topic
            for topic, state in self.topics.items()
            if state.grant is not None and (course_id is None or state.grant.course_id == course_id)
        ]
        try:
            self.user, grants = await _authorize_again(self.user_id, self.credential, topics)
        except SignedOut:
            return await self._sign_out()
        for topic, grant in grants.items():
            state = self.topics.get(topic)
            if state is None:
                continue
            if grant is None:
                await self._revoke(topic)
            else:
                state.grant = grant

    async def _revoke(self, topic: str) -> None:
        await self._drop(topic)
        await self._error("forbidden", f"Access to {topic} was revoked.", topic)

    async def _sign_out(self) -> None:
        await self._error("forbidden", "Your sign-in has ended; sign in again.")
        await self._close_with(CLOSE_SIGNED_OUT)

    async def _close_with(self, code: int) -> None:
        for topic in list(self.topics):
            await self._drop(topic)
        await self.close(code=code)

    async def _send_next(self, state: TopicState, seq: int, frame: str) -> bool:
        """Send the frame if it is the next id of the topic; the one rule of live order."""
        if seq != state.last_id + 1:
            return False
        state.last_id = seq
        await self._send_text(frame)
        return True

    async def _resume(self, topic: str, state: TopicState) -> None:
        """Deliver what queued up while the topic was joining or reading the store."""
        if state.pending and self.topics.get(topic) is state:
            state.busy = True
            await self._catch_up(topic, state)

    async def _catch_up(self, topic: str, state: TopicState) -> None:
        """Deliver pending events in id order, filling gaps from the database."""
        try:
            while state.pending and self.topics.get(topic) is state:
                state.pending.sort(key=lambda item: item[0])
                seq, frame, ts = state.pending.pop(0)
                if seq <= state.last_id:
                    continue
                if await self._send_next(state, seq, frame):
                    record_delivery(ts)
                    continue
                # A gap: deliver what this site stored up to `seq`, never the frame itself.
                # An id absent from the store is not this site's, and is not delivered.
                if await self._deliver_stored(topic, state, seq) >= seq:
                    record_delivery(ts)
        finally:
            state.busy = False

    async def _deliver_stored(self, topic: str, state: TopicState, upto: int) -> int:
        """Send the stored events after the socket's last id up to `upto`; the new last id.

        Only ids that exist are skipped over: a jump means those events were pruned.
        """
        for seq, frame in await replay.between(topic, state.last_id, upto + 1):
            if seq <= state.last_id or self.topics.get(topic) is not state:
                continue
            if seq != state.last_id + 1:
                logger.warning("ids %s..%s of %s were pruned", state.last_id + 1, seq - 1, topic)
            state.last_id = seq
            await self._send_text(frame)
        return state.last_id

    async def _drop(self, topic: str) -> None:
        state = self.topics.pop(topic, None)
        if state is None:
            return
        await self.hub.unsubscribe(topic, self)
        if state.tracked:
            leaves = await self.presence.untrack(topic, self.key)
            if leaves:
                await self._announce_presence(topic, {}, leaves)

    async def _send_presence_state(self, topic: str, presence_state: dict) -> None:
        """The state a late joiner receives, bounded in size; `count` is every user present."""
        limit = settings.REALTIME_PRESENCE_STATE_LIMIT
        shown = dict(list(presence_state.items())[:limit])
        frame = {"op": "presence", "topic": topic, "state": shown, "count": len(presence_state)}
        await self._send_json(frame)

    async def _announce_presence(self, topic: str, joins: dict, leaves: dict) -> None:
        frame = {"op": "presence", "topic": topic, "joins": joins, "leaves": leaves}
        await self.hub.send_group(topic, json.dumps(frame))

    def _check_join_rate(self) -> None:
        if not self.hub.user_joins.allow(self.user_id):
            metrics.RATE_LIMITED.labels(scope="ws_join_user").inc()
            limit, window = settings.REALTIME_USER_JOIN_RATE
            raise FrameError("rate_limited", f"At most {limit} joins per {window} s per user.")
        limit, window = settings.REALTIME_JOIN_RATE
        now = time.monotonic()
        self.join_times = [t for t in self.join_times if now - t < window]
        if len(self.join_times) >= limit:
            metrics.RATE_LIMITED.labels(scope="ws_join").inc()
            raise FrameError("rate_limited", f"At most {limit} joins per {window} seconds.")
        self.join_times.append(now)

    def _topic_of(self, content: dict) -> str:
        topic = content.get("topic")
        if not isinstance(topic, str) or not topic:
            raise FrameError("bad_request", "topic is required.")
        return topic

    def _presence_topic(self, content: dict) -> tuple[str, TopicState]:
        topic = self._topic_of(content)
        state = self.topics.get(topic)
        if state is None:
            raise FrameError("bad_request", f"Join {topic} first.")
        if not state.presence:
            raise FrameError("bad_request", f"{topic} has no presence.")
        return topic, state

    async def _reply(self, ref: Any, ok: bool, **fields: Any) -> None:
        if ref is None:
            return
        await self._send_json({"op": "reply", "ref": ref, "ok": ok, **fields})

    async def _error(self, code: str, message: str, topic: Any = None) -> None:
        frame: dict[str, Any] = {"op": "error", "error": {"code": code, "message": message}}
        if isinstance(topic, str):
            frame["topic"] = topic
        await self._send_json(frame)

    async def _send_json(self, content: dict) -> None:
        await self._send_text(json.dumps(content, separators=(",", ":")))

    async def _send_text(self, text: str) -> None:
        if self.closed:
            return
        if self.write_direct is not None and self.write_direct(wire_of(text)):
            return
        try:
            # Straight to the server: the frame is already JSON text.
            await self.base_send({"type": "websocket.send", "text": text})
        except Exception:
            # The peer went away mid-send; disconnect() cleans up.
            self.closed = True


def _revocation_matches(message: dict, topic: str, state: TopicState) -> bool:
    if state.grant is None:  # still being authorized: op_join reads its access again
        return False
    if message.get("topic") is not None and message["topic"] != topic:
        return False
    if message.get("course_id") is not None and state.grant.course_id != message["course_id"]:
        return False
    roles = message.get("roles")
    return roles is None or state.grant.role in roles


def _ensure_presence_maintenance(hub, presence) -> None:
    """Once per hub: refresh this process's entries and sweep vanished ones."""
    if "presence" in hub.maintenance_callbacks:
        return

    async def maintain() -> None:
        await presence.refresh_local()
        topics = {t for socket in hub.sockets for t, s in socket.topics.items() if s.presence}
        for topic in topics:
            _state, leaves = await presence.state(topic)
            if leaves:
                frame = {"op": "presence", "topic": topic, "joins": {}, "leaves": leaves}
                await hub.send_group(topic, json.dumps(frame))

    hub.maintenance_callbacks["presence"] = maintain
