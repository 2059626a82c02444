"""Event frames written to many sockets, framed once.

An event bound for a thousand sockets used to be framed a thousand times: each
copy went through the ASGI send path, Daphne's reply handling and autobahn's
framing of the same text. `Frame` is the event's JSON text that also carries
its websocket frame (a server's text frame: unmasked, unfragmented), built on
first use and reused for every socket; `direct_writer` writes it straight to a
socket's transport.

Only where that is exactly what autobahn would write: a Daphne connection that
is open, not compressing (permessage-deflate), not in the middle of a
fragmented message, with nothing queued. Anything else, and every socket that
is not served by Daphne (tests' communicators), takes the ordinary ASGI send.
Both run on the event loop and write synchronously, so a socket's frames keep
their order whichever path each one takes.

Twisted's `transport.write` buffers every write and registers the socket with
the event loop's selector until the next turn sends it, then unregisters it:
two selector changes and a callback per frame, most of a fan-out's time. When
nothing of the connection waits in Twisted's buffer (the usual case), the
frame is sent on the socket at once, as asyncio's own transports do; what the
kernel does not take, and every frame behind it, goes through the buffer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

TEXT_FRAME = 0x81  # FIN, opcode 1 (text)


def text_frame(payload: bytes) -> bytes:
    """A server's websocket text frame holding `payload` (RFC 6455, section 5.2)."""
    length = len(payload)
    if length < 126:
        header = bytes((TEXT_FRAME, length))
    elif length < 1 << 16:
        header = bytes((TEXT_FRAME, 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((TEXT_FRAME, 127)) + length.to_bytes(8, "big")
    return header + payload


class Frame(str):
    """A frame's JSON text that frames itself once for every socket it is written to."""

    @functools.cached_property
    def wire(self) -> bytes:
        return text_frame(self.encode())


def wire_of(text: str) -> bytes:
    return text.wire if isinstance(text, Frame) else text_frame(text.encode())


def direct_writer(send) -> Callable[[bytes], bool] | None:
    """For Daphne's ASGI `send`, a function writing a frame to the socket's transport, which
    answers False (nothing written) when the ordinary send must be used; None elsewhere."""
    protocol = send.args[0] if isinstance(send, functools.partial) and send.args else None
    transport = getattr(protocol, "transport", None)
    required = ("state", "STATE_OPEN", "send_state", "SEND_STATE_GROUND", "send_queue")
    if transport is None or not all(hasattr(protocol, name) for name in required):
        return None

    send_now = _socket_sender(transport)

    def write(wire: bytes) -> bool:
        if (
            protocol.state != protocol.STATE_OPEN
            or getattr(protocol, "_perMessageCompress", None) is not None
            or protocol.send_state != protocol.SEND_STATE_GROUND
            or protocol.send_queue
            or 0 < getattr(protocol, "autoFragmentSize", 0) < len(wire)
        ):
            return False
        if send_now is not None:
            wire = send_now(wire)
            if not wire:
                return True
        protocol.transport.write(wire)
        return True

    return write


def _socket_sender(transport) -> Callable[[bytes], bytes] | None:
    """For a plain Twisted TCP transport, a function sending a frame on the socket while
    Twisted's buffer is empty; it answers what is left for `transport.write`. None for
    any other transport (TLS, tests' fakes): everything goes through `transport.write`."""
    sock = getattr(transport, "socket", None)
    required = ("connected", "disconnecting", "dataBuffer", "offset", "_tempDataLen")
    if (
        sock is None
        or getattr(transport, "TLS", True)
        or not all(hasattr(transport, name) for name in required)
    ):
        return None

    def send_now(wire: bytes) -> bytes:
        if (
            not transport.connected
            or transport.disconnecting
            or transport._tempDataLen
            or len(transport.dataBuffer) > transport.offset
        ):
            return wire
        try:
            sent = sock.send(wire)
        except BlockingIOError:
            return wire
        except OSError:
            return wire  # a dead peer: Twisted's write finds out and closes the connection
        return wire[sent:]

    return send_now
