"""The HTTP/1.1 protocol `neuropilot serve` runs: uvicorn's httptools protocol with bounded request heads.

llhttp (under httptools) caps nothing: a 32 MiB header line is buffered whole (by repeated bytes
concatenation inside httptools) and answered 200, and a client that never ends its headers holds a
connection and its buffer for ever. This subclass refuses, before the app sees the request:

- a request line (the URL) longer than `max_line` bytes → 414;
- a header line (name + value) longer than `max_line`, more than `max_headers` headers, or a head
  (URL + headers) larger than `max_head` bytes → 431;
- a head not finished `timeout_s` after its first byte arrived (or a connection that sends nothing
  for that long) → 408, or a plain close when nothing was sent;

each time closing the connection. Why a subclass of the httptools protocol and not uvicorn's h11 one,
whose `h11_max_incomplete_event_size` caps the head: h11 parses in pure Python, which costs the hot
routes far more than these counters do (docs/performance.md), and it caps neither the number of headers
nor a single line. The counters cost nothing on the hot path beyond a few additions per header: the
URL and header callbacks count exactly what the parser hands over, and the only bytes they cannot see
(a header line still in progress inside httptools) are counted from data_received whenever a chunk ends
inside a head, so that buffer is bounded by `max_head` plus one socket read.

Limits come from Settings (NEUROPILOT_MAX_HEADER_*, NEUROPILOT_HEADER_TIMEOUT_S): uvicorn builds this
class in each worker, and serve_app (app.py) calls `configure` there before the first connection.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import ClassVar

import httptools
import msgspec
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from neuropilot.config import Settings


@dataclass(frozen=True)
class HeadLimits:
    max_line: int = 8 * 1024
    max_head: int = 64 * 1024
    max_headers: int = 100
    timeout_s: float = 10.0

    @classmethod
    def of(cls, settings: Settings) -> HeadLimits:
        return cls(
            settings.max_header_line_bytes, settings.max_header_bytes, settings.max_headers, settings.header_timeout_s
        )


class _Refused(Exception):
    """Raised from a parser callback; httptools turns it into HttpParserCallbackError."""


_TITLES = {408: "Request Timeout", 414: "URI Too Long", 431: "Request Header Fields Too Large"}


def refusal(status: int, detail: str) -> bytes:
    """A complete problem+json response that closes the connection (no app, so no middleware, runs)."""
    problem = {"type": "about:blank", "title": _TITLES[status], "status": status, "detail": detail}
    body = msgspec.json.encode(problem | {"request_id": uuid.uuid4().hex})
    head = (
        b"content-type: application/problem+json\r\nx-content-type-options: nosniff\r\n"
        b"cache-control: no-store\r\nconnection: close\r\ncontent-length: %d\r\n\r\n" % len(body)
    )
    return STATUS_LINE[status] + head + body


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    limits: ClassVar[HeadLimits] = HeadLimits()

    @classmethod
    def configure(cls, settings: Settings) -> None:
        cls.limits = HeadLimits.of(settings)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # The limits as plain attributes: the callbacks below run for every header of every request.
        self._max_line, self._max_head, self._max_headers = (
            self.limits.max_line,
            self.limits.max_head,
            self.limits.max_headers,
        )
        self._head_open = False  # a request has begun and its headers are not complete
        self._head_size = 0  # URL and header bytes the callbacks saw
        self._head_count = 0
        self._head_wire = 0  # bytes of later chunks of an open head (the first chunk's are in _head_size)
        self._refused: tuple[int, str] | None = None
        self._head_timer: asyncio.TimerHandle | None = None
        self._arm_head_timer()  # a connection that never sends a request is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._head_open:  # the rest of a head begun in an earlier chunk: rare for real clients
            self._continue_head(data)
        else:
            self._feed(data)
        if self._head_open and self._head_timer is None:  # a new head is left open: time it, count what follows
            self._head_wire = 0
            self._arm_head_timer()

    def _continue_head(self, data: bytes) -> None:
        room = self.limits.max_head - self._head_wire
        if len(data) <= room:
            self._head_wire += len(data)
            self._feed(data)
            return
        # Feed only what the head may still take: if the head ends within it, the rest is body or the
        # next request and is fed as usual; if it does not, the head is too large.
        self._head_wire = self.limits.max_head
        self._feed(data[:room])
        if self.transport.is_closing():
            return
        if self._head_open:
            self._refuse(431, f"The request's headers are larger than {self.limits.max_head} bytes.")
            return
        self._feed(data[room:])

    def _feed(self, data: bytes) -> None:
        """uvicorn's data_received, with the refusals of the callbacks answered as such."""
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError:
            if self._refused is not None:
                self._refuse(*self._refused)
                return
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)

    # --- parser callbacks ---

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_open = True
        self._head_size = self._head_count = 0

    def on_url(self, url: bytes) -> None:
        self.url += url
        self._head_size += len(url)
        if len(self.url) > self._max_line:
            self._refused = (414, f"The request target is longer than {self._max_line} bytes.")
            raise _Refused

    def on_header(self, name: bytes, value: bytes) -> None:
        size = len(name) + len(value)
        self._head_size += size
        self._head_count += 1
        if size > self._max_line or self._head_count > self._max_headers or self._head_size > self._max_head:
            self._refused = (431, self._too_large(size))
            raise _Refused
        # uvicorn's on_header, inline: this runs for every header of every request.
        name = name.lower()
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._head_open = False
        if self._head_timer is not None:
            self._cancel_head_timer()
        super().on_headers_complete()

    # --- refusing ---

    def _too_large(self, size: int) -> str:
        if size > self._max_line:
            return f"A header line is longer than {self._max_line} bytes."
        if self._head_count > self._max_headers:
            return f"The request has more than {self._max_headers} headers."
        return f"The request's headers are larger than {self._max_head} bytes."

    def _refuse(self, status: int, detail: str) -> None:
        self.logger.warning("Refused a request head: %s", detail)
        self._cancel_head_timer()
        if self.cycle is None or self.cycle.response_complete:
            self.transport.write(refusal(status, detail))
        # else: a pipelined head went wrong while an earlier response is being written; just close.
        self.transport.close()

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.limits.timeout_s, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused or not (self.cycle is None or self.cycle.response_complete):
            self._arm_head_timer()  # a pipelined head waits for us, not the other way round
            return
        if self._head_open:
            self._refuse(408, f"The request's headers did not arrive within {self.limits.timeout_s:g} s.")
        elif self.cycle is None:  # connected and sent nothing at all
            self.transport.close()
