"""What a server process (Daphne, through autobahn) spent for nothing, now spared.

**autobahn's debug line.** autobahn formats its whole protocol configuration with
`pprint.pformat` for a debug log line on every new websocket connection, whether or not
debug logging is on: in a reconnect storm that was a sixth of the server's event loop
(bench/storm.py with a py-spy profile, docs/benchmarks.md). The text is now formatted only
if the line is actually written.

**The collector's full collections.** A process holding 10,000 sockets holds about 1.3
million objects the cyclic garbage collector tracks (about 130 per connection: Twisted's,
autobahn's, Daphne's and the consumer's), and a full collection walks them all, stopping
the event loop for 0.5 to 1 s. Python starts one after every ten collections of the
middle generation, once the objects that generation passed on make a quarter of the old
ones. Its young collections, every 700 allocations by default, pass on whatever is alive
at that moment, and in a server that is mostly a frame being written or a request in
flight, dead a moment later. At 700 a connect wave of 10,000 sockets ran 13 to 15
full collections (5 to 7 s of stopped loop in all), and the objects passed on by the fan-out
of ten events brought one more into their delivery (docs/benchmarks.md). Young
collections every `SERVER_GC_YOUNG_THRESHOLD` allocations (10,000) let such objects die
young: one full collection in the same wave, none among the events. Garbage in cycles
waits a little longer (at most that many young objects); the rule for the old generation
is unchanged.
"""

from __future__ import annotations

import gc
from pprint import pformat

from django.conf import settings


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

_young, *_older = gc.get_threshold()
gc.set_threshold(settings.SERVER_GC_YOUNG_THRESHOLD, *_older)
