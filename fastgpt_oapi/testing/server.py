"""A real HTTP/1.1 server in front of a `FakeFastGPT` (by default on 127.0.0.1, a free port), streaming
with chunked encoding."""

from __future__ import annotations

import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Protocol
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from .wire import FakeResponse

__all__ = ["Handles", "LoopbackServer", "connect_host"]


class Handles(Protocol):
    """What the server sits in front of: a `FakeFastGPT`, or the standalone emulator's front (its admin
    API, then the emulator)."""

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> FakeResponse: ...


def connect_host(host: str) -> str:
    """Where a client on this machine reaches a server bound to `host`: an unspecified address
    (`0.0.0.0`, `::`) listens on every interface, loopback included, and is no address to connect to."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up (a closed pool, a test's fault) is not the server's error: stay quiet.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Server6(_Server):
    address_family = socket.AF_INET6


class LoopbackServer:
    """Serves `fake` on `host`:`port` (0: a free port). Binding happens here: a port in use raises
    `OSError` (`errno.EADDRINUSE`) before anything starts."""

    def __init__(
        self, fake: Handles, *, chunk_delay: float = 0.0, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.fake = fake
        self.chunk_delay = chunk_delay
        server_class = _Server6 if ":" in host else _Server
        self._httpd = server_class((host, port), self._handler_class())
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="FakeFastGPT", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        host = connect_host(str(host))
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # TCP_NODELAY, as Node (FastGPT's server) sets it: with Nagle, the body written after the
            # headers waits for the client's delayed ACK, 40 ms a response on Linux loopback.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                result = server.fake.handle(self.command, url.path, dict(parse_qsl(url.query)), headers, body)
                if result.delay:
                    time.sleep(result.delay)  # scripted with delay_next: the client waits for the headers
                self.send_response(result.status)
                for name, value in result.headers.items():
                    self.send_header(name, value)
                streaming = result.streamed
                chunk_delay = result.chunk_delay or server.chunk_delay
                if streaming:
                    self.send_header("transfer-encoding", "chunked")
                else:
                    self.send_header("content-length", str(len(result.body)))
                self.end_headers()
                sent = 0
                try:
                    if not streaming:
                        self.wfile.write(result.body)
                        return
                    # A live run (a v2 chat stream) is asked before each chunk whether it was stopped.
                    for index in range(len(result.chunks)):
                        if chunk_delay:
                            time.sleep(chunk_delay)
                        out, last = result.outgoing(index)
                        for chunk in out:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                        sent = index + 1
                        if last:
                            break
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client went away mid-stream
                finally:
                    result.finished(sent)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        return Handler
