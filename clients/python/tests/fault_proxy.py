"""An HTTP proxy in front of a node that loses answers or fails requests on purpose.

Each request takes the next planned action (then ``forward`` once the plan is used up):
``forward`` passes it to the node and back; ``drop`` passes it to the node and closes the
client's connection without an answer (the change is made, the answer is lost); ``unavailable``
answers 503 without asking the node; ``rate_limited`` answers 429 with ``Retry-After: 0``.
With a TLS context it serves HTTPS (a stand-in for a node with ``api.tls``, or a TLS proxy).
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List, Optional, Tuple
from urllib.parse import urlsplit

_PASSED_HEADERS = ("authorization", "content-type", "accept")
_RETURNED_HEADERS = ("content-type", "idempotent-replayed", "retry-after", "www-authenticate")


class FaultProxy:
    def __init__(self, node_url: str, plan: List[str], tls: Optional[ssl.SSLContext] = None) -> None:
        target = urlsplit(node_url)
        self._node = (target.hostname, target.port)
        self._plan = list(plan)
        self._lock = threading.Lock()
        #: (method, path, body as JSON or None) of every request that reached the proxy.
        self.seen: List[Tuple[str, str, object]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                proxy._handle(self)

            do_POST = do_PUT = do_DELETE = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._scheme = "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            self._scheme = "https"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        # Over TLS the name must be one the certificate carries.
        host = "localhost" if self._scheme == "https" else "127.0.0.1"
        return f"{self._scheme}://{host}:{self._server.server_address[1]}"

    def __enter__(self) -> "FaultProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next_action(self) -> str:
        with self._lock:
            return self._plan.pop(0) if self._plan else "forward"

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        self.seen.append((request.command, request.path, json.loads(body) if body else None))
        action = self._next_action()
        if action == "unavailable":
            return self._answer(request, 503, {"code": "unavailable", "detail": "injected", "status": 503}, {})
        if action == "rate_limited":
            problem = {"code": "rate_limited", "detail": "injected", "status": 429, "retry_after_seconds": 0}
            return self._answer(request, 429, problem, {"Retry-After": "0"})
        connection = http.client.HTTPConnection(*self._node, timeout=30)
        headers = {name: value for name, value in request.headers.items() if name.lower() in _PASSED_HEADERS}
        connection.request(request.command, request.path, body=body or None, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        connection.close()
        if action == "drop":
            request.close_connection = True
            return
        request.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() in _RETURNED_HEADERS:
                request.send_header(name, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    @staticmethod
    def _answer(request: BaseHTTPRequestHandler, status: int, problem: dict, headers: dict) -> None:
        data = json.dumps(problem).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/problem+json")
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
