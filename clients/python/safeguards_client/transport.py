"""HTTP/1.1 to one node over keep-alive connections, with bounded retries of transient failures.

Connections are ``http.client`` connections (TLS through ``ssl`` for ``https://``), reused while
the node keeps them open and kept in a small idle pool, so a client may be shared by threads.

**Retries** (:class:`RetryPolicy`). A request is sent again, at most ``max_retries`` times with
exponential backoff and jitter, when no answer arrived (connection refused, reset or closed, a
timeout) or the answer was 502, 503 or 504 (a proxy, or a node that could not commit). A 429
is retried only when the caller opted in (``retry_rate_limited=True``), after the node's
``Retry-After`` if that is at most ``max_retry_wait``. Every mutating call of
:class:`~safeguards_client.SafeguardsClient` carries an idempotency key, the same on every
attempt, so a retry after a lost answer is answered as the first request was and moves nothing
twice. TLS failures (a certificate the CA does not vouch for) are never retried.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import urlencode, urlsplit

from .errors import SafeguardsConnectionError, SafeguardsError, UnexpectedResponse, error_from_problem

__all__ = ["Response", "RetryPolicy", "Transport", "tls_context"]

_USER_AGENT = "safeguards-client-python/0.1"
#: Answers worth another attempt: a proxy's bad gateway or timeout, or a node that could not commit.
_RETRIED_STATUSES = frozenset({502, 503, 504})
#: 502 codes that are the peer's final word, not a passing failure.
_FINAL_CODES = frozenset({"peer_refused"})
#: Failures after which no answer arrived and another attempt may succeed.
_TRANSIENT_ERRORS: Tuple[type, ...] = (
    ConnectionError, socket.timeout, TimeoutError, http.client.BadStatusLine, http.client.IncompleteRead,
)
_MAX_IDLE_CONNECTIONS = 8


@dataclass(frozen=True)
class RetryPolicy:
    """When and how often a request is sent again.

    Attributes:
        max_retries: attempts after the first (0: none).
        backoff: seconds before the first retry; doubles with each retry, with jitter...
        max_backoff: ...up to this.
        retry_rate_limited: also retry ``429 rate_limited`` answers...
        max_retry_wait: ...after their ``Retry-After``, when it is at most this many seconds.
    """

    max_retries: int = 3
    backoff: float = 0.1
    max_backoff: float = 5.0
    retry_rate_limited: bool = False
    max_retry_wait: float = 30.0


class Response:
    """A decoded answer: status, headers (lower-case names) and the JSON body (``None`` if empty)."""

    def __init__(self, status: int, headers: Dict[str, str], body: Any) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def replayed(self) -> bool:
        """Whether the node answered a repeat of an earlier request (``Idempotent-Replayed: true``)."""
        return self.headers.get("idempotent-replayed") == "true"


def tls_context(
    url: str, ca: Optional[str], client_cert: Optional[str], client_key: Optional[str],
) -> Optional[ssl.SSLContext]:
    """The TLS settings for ``url``: ``None`` for ``http://``; for ``https://`` the system's roots
    or the ``ca`` file, TLS 1.2 at least, and the client certificate if one is given.

    Raises:
        ValueError: TLS files for an ``http://`` URL, or a key without its certificate.
    """
    if client_key and not client_cert:
        raise ValueError("client_key needs client_cert")
    if urlsplit(url).scheme != "https":
        if ca or client_cert:
            raise ValueError(f"ca, client_cert and client_key need an https:// URL, not {url!r}")
        return None
    context = ssl.create_default_context(cafile=ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if client_cert:
        context.load_cert_chain(client_cert, client_key)
    return context


class Transport:
    """Sends requests to one node. See the module documentation for retries.

    Args:
        url: ``http://host:port`` or ``https://host:port``, optionally with a path prefix.
        context: TLS settings for an ``https://`` URL (:func:`tls_context`).
    """

    def __init__(
        self, url: str, token: str, context: Optional[ssl.SSLContext] = None, timeout: float = 30.0,
        retry: RetryPolicy = RetryPolicy(),
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"the node's URL must be http://host:port or https://host:port, not {url!r}")
        self.url = url.rstrip("/")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._prefix = parts.path.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._context = context if parts.scheme == "https" else None
        self.retry = retry
        self._idle: List[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Sequence[Tuple[str, Any]]] = None,
        body: Optional[Mapping[str, Any]] = None,
        authorized: bool = True,
    ) -> Response:
        """Sends the request, retrying transient failures; returns a 2xx answer.

        Raises:
            SafeguardsError: the node's refusal, as the subclass for its problem code.
            SafeguardsConnectionError: no answer after every attempt.
        """
        target = self._prefix + path
        pairs = [(name, _query_text(value)) for name, value in (query or ()) if value is not None]
        if pairs:
            target += "?" + urlencode(pairs)
        payload = None if body is None else json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        headers = {"Accept": "application/json", "User-Agent": _USER_AGENT}
        if authorized:
            headers["Authorization"] = f"Bearer {self._token}"
        if payload is not None:
            headers["Content-Type"] = "application/json"
        attempt = 0
        while True:
            try:
                status, answer_headers, data = self._send_once(method, target, payload, headers)
            except ssl.SSLError as error:
                raise SafeguardsConnectionError(self.url, error) from error
            except _TRANSIENT_ERRORS as error:
                if attempt >= self.retry.max_retries:
                    raise SafeguardsConnectionError(self.url, error) from error
                attempt += 1
                time.sleep(self._delay(attempt))
                continue
            except OSError as error:
                raise SafeguardsConnectionError(self.url, error) from error
            decoded = _decode(status, answer_headers, data)
            if 200 <= status < 300:
                return Response(status, answer_headers, decoded)
            error = error_from_problem(status, decoded if isinstance(decoded, dict) else None,
                                       answer_headers.get("retry-after"))
            wait = self._retry_wait(attempt, error)
            if wait is None:
                raise error
            attempt += 1
            time.sleep(wait)

    def close(self) -> None:
        """Closes the idle connections. The transport stays usable (it opens new ones)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _retry_wait(self, attempt: int, error: SafeguardsError) -> Optional[float]:
        """Seconds to wait before another attempt after ``error``, or ``None`` to give up."""
        if attempt >= self.retry.max_retries:
            return None
        if error.status in _RETRIED_STATUSES and error.code not in _FINAL_CODES:
            return self._delay(attempt + 1)
        if error.status == 429 and self.retry.retry_rate_limited:
            seconds = getattr(error, "retry_after", None)
            wait = float(seconds) if seconds is not None else self._delay(attempt + 1)
            return wait if wait <= self.retry.max_retry_wait else None
        return None

    def _delay(self, attempt: int) -> float:
        """Exponential backoff with jitter: between half and all of ``backoff`` × 2^(attempt-1), capped."""
        ceiling = min(self.retry.max_backoff, self.retry.backoff * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)

    def _send_once(
        self, method: str, target: str, payload: Optional[bytes], headers: Dict[str, str],
    ) -> Tuple[int, Dict[str, str], bytes]:
        connection = self._take()
        try:
            connection.request(method, target, body=payload, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
        except BaseException:
            connection.close()
            raise
        answer_headers = {name.lower(): value for name, value in answer.getheaders()}
        if answer.will_close:
            connection.close()
        else:
            self._give_back(connection)
        return answer.status, answer_headers, data

    def _take(self) -> http.client.HTTPConnection:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        if self._scheme == "https":
            return http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout, context=self._context)
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def _give_back(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < _MAX_IDLE_CONNECTIONS:
                self._idle.append(connection)
                return
        connection.close()


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _decode(status: int, headers: Mapping[str, str], data: bytes) -> Union[Dict[str, Any], List[Any], str, None]:
    """The body as JSON (numbers with a fraction become ``Decimal``, never ``float``)."""
    if not data:
        return None
    content_type = headers.get("content-type", "")
    if "json" not in content_type:
        return data.decode("utf-8", errors="replace")
    try:
        return json.loads(data, parse_float=Decimal)
    except ValueError as error:
        raise UnexpectedResponse("unexpected_response", status, f"the node's answer is not JSON: {error}") from error
