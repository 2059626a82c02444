"""What the websocket server (Daphne, through autobahn) spends per connection for nothing.

autobahn formats its whole protocol configuration with `pprint.pformat` for a
debug log line on every new websocket connection, whether or not debug logging
is on: in a reconnect storm that was a sixth of the server's event loop
(bench/storm.py with a py-spy profile, docs/benchmarks.md). The text is now
formatted only if the line is actually written.
"""

from __future__ import annotations

from pprint import pformat


class _FormattedWhenLogged:
    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __str__(self) -> str:
        return pformat(self.value)


try:
    from autobahn.websocket import protocol as _autobahn_protocol
except ImportError:  # served without Daphne (another ASGI server): nothing to do
    pass
else:
    _autobahn_protocol.pformat = _FormattedWhenLogged
