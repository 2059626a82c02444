"""Frames built once for many sockets (lms/realtime/wire.py) are the frames autobahn writes."""

from __future__ import annotations

import functools

import pytest
from autobahn.websocket.protocol import WebSocketProtocol

from lms.realtime.wire import Frame, direct_writer, text_frame, wire_of


def parse(frame: bytes) -> tuple[int, bytes]:
    """(first byte, payload) of one unmasked frame, per RFC 6455 section 5.2."""
    first, second = frame[0], frame[1]
    assert not second & 0x80, "a server's frame is never masked"
    length, offset = second & 0x7F, 2
    if length == 126:
        length, offset = int.from_bytes(frame[2:4], "big"), 4
    elif length == 127:
        length, offset = int.from_bytes(frame[2:10], "big"), 10
    assert len(frame) == offset + length
    return first, frame[offset:]


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
def test_text_frame_holds_the_payload_whatever_its_length(size):
    payload = ("é" * size).encode()[:size]
    first, body = parse(text_frame(payload))
    assert first == 0x81  # FIN and opcode 1: one whole text message
    assert body == payload


def test_a_frame_is_framed_once_and_is_still_its_text():
    frame = Frame('{"op":"event","data":"héllo"}')
    assert frame.wire is frame.wire
    assert parse(frame.wire)[1] == '{"op":"event","data":"héllo"}'.encode()
    assert frame == '{"op":"event","data":"héllo"}'
    assert wire_of("plain") == text_frame(b"plain")


class FakeTransport:
    def __init__(self):
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)


class FakeProtocol:
    STATE_OPEN = WebSocketProtocol.STATE_OPEN
    SEND_STATE_GROUND = WebSocketProtocol.SEND_STATE_GROUND

    def __init__(self):
        self.transport = FakeTransport()
        self.state = WebSocketProtocol.STATE_OPEN
        self.send_state = WebSocketProtocol.SEND_STATE_GROUND
        self.send_queue: list = []
        self._perMessageCompress = None
        self.autoFragmentSize = 0


async def daphne_reply(protocol, message):  # the shape of Daphne's Server.handle_reply
    raise AssertionError("the direct write should have been used")


def test_direct_writes_only_to_an_open_uncompressed_idle_daphne_socket():
    protocol = FakeProtocol()
    write = direct_writer(functools.partial(daphne_reply, protocol))
    assert write(b"\x81\x01x") is True
    assert protocol.transport.written == [b"\x81\x01x"]

    protocol.send_queue.append((b"queued", True))  # autobahn has a sync send queued
    assert write(b"\x81\x01y") is False
    protocol.send_queue.clear()
    protocol._perMessageCompress = object()  # permessage-deflate negotiated
    assert write(b"\x81\x01y") is False
    protocol._perMessageCompress = None
    protocol.state = WebSocketProtocol.STATE_CLOSING
    assert write(b"\x81\x01y") is False
    assert protocol.transport.written == [b"\x81\x01x"]


def test_no_direct_writes_outside_daphne():
    async def send(message):
        return None

    assert direct_writer(send) is None
    assert direct_writer(functools.partial(send)) is None


class FakeTcpTransport(FakeTransport):
    """The attributes of a plain Twisted TCP transport that the socket path reads."""

    TLS = False

    def __init__(self, sock):
        super().__init__()
        self.socket = sock
        self.connected = True
        self.disconnecting = False
        self.dataBuffer = b""
        self.offset = 0
        self._tempDataLen = 0


@pytest.fixture
def tcp_protocol():
    import socket

    ours, peer = socket.socketpair()
    ours.setblocking(False)
    protocol = FakeProtocol()
    protocol.transport = FakeTcpTransport(ours)
    yield protocol, peer
    ours.close()
    peer.close()


def test_a_frame_goes_straight_to_the_socket_when_nothing_is_buffered(tcp_protocol):
    protocol, peer = tcp_protocol
    write = direct_writer(functools.partial(daphne_reply, protocol))
    assert write(b"\x81\x01x") is True
    assert peer.recv(16) == b"\x81\x01x"
    assert protocol.transport.written == []


def test_a_frame_queues_behind_what_twisted_holds_so_order_is_kept(tcp_protocol):
    protocol, peer = tcp_protocol
    write = direct_writer(functools.partial(daphne_reply, protocol))
    protocol.transport._tempDataLen = 5  # an earlier write waits in Twisted's buffer
    assert write(b"\x81\x01y") is True
    assert protocol.transport.written == [b"\x81\x01y"]
    protocol.transport._tempDataLen = 0
    protocol.transport.dataBuffer, protocol.transport.offset = b"abcdef", 2  # 4 bytes unsent
    assert write(b"\x81\x01z") is True
    assert protocol.transport.written == [b"\x81\x01y", b"\x81\x01z"]
    peer.setblocking(False)
    with pytest.raises(BlockingIOError):
        peer.recv(16)


def test_what_the_kernel_does_not_take_goes_through_twisted(tcp_protocol):
    protocol, peer = tcp_protocol
    write = direct_writer(functools.partial(daphne_reply, protocol))
    frame = text_frame(b"x" * 4_000_000)  # more than a socket's send buffer
    assert write(frame) is True
    [rest] = protocol.transport.written
    assert 0 < len(rest) < len(frame)
    received = b""
    while len(received) < len(frame) - len(rest):
        received += peer.recv(1 << 20)
    assert received + rest == frame


def test_a_closed_or_tls_transport_is_written_through_twisted(tcp_protocol):
    protocol, _peer = tcp_protocol
    protocol.transport.disconnecting = True
    write = direct_writer(functools.partial(daphne_reply, protocol))
    assert write(b"\x81\x01x") is True
    assert protocol.transport.written == [b"\x81\x01x"]
    protocol.transport.disconnecting = False
    protocol.transport.TLS = True
    write = direct_writer(functools.partial(daphne_reply, protocol))
    assert write(b"\x81\x01y") is True
    assert protocol.transport.written == [b"\x81\x01x", b"\x81\x01y"]
