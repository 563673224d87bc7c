"""Errors raised by the client: one class per problem ``code`` the node answers with.

The node answers every refusal with an ``application/problem+json`` document carrying a stable
``code`` (``insufficient_budget``, ``rate_limited``...). :func:`error_from_problem` turns it into
the matching subclass of :class:`SafeguardsError`, so callers can write
``except InsufficientBudget:``. A code this version does not know becomes the class for its HTTP
status (a new 409 code is still a :class:`Conflict`), so newer nodes do not break older clients.
"""

from __future__ import annotations

import builtins
from typing import Any, Dict, Mapping, Optional, Type

__all__ = [
    "SafeguardsError",
    "SafeguardsConnectionError",
    "InvalidRequest",
    "InvalidAmount",
    "Unauthorized",
    "Forbidden",
    "InsufficientBudget",
    "NotFound",
    "UnknownPeer",
    "Conflict",
    "FederationDisabled",
    "PayloadTooLarge",
    "InsufficientData",
    "RateLimited",
    "InternalError",
    "PeerUnreachable",
    "PeerRefused",
    "Unavailable",
    "RemoteBudgetRejected",
    "UnexpectedResponse",
]


class SafeguardsError(Exception):
    """A request the node refused, or that could not be made.

    Attributes:
        code: the node's stable problem code (``"insufficient_budget"``), or a client-side code
            (``"connection_failed"``, ``"unexpected_response"``).
        status: the HTTP status (0 when no answer arrived).
        detail: the node's message for people; not stable.
        body: the decoded problem document (or ``None``).
    """

    def __init__(self, code: str, status: int, detail: str, body: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(f"{status} {code}: {detail}" if status else f"{code}: {detail}")
        self.code = code
        self.status = status
        self.detail = detail
        self.body: Optional[Dict[str, Any]] = dict(body) if body is not None else None


class SafeguardsConnectionError(SafeguardsError, builtins.ConnectionError):
    """No answer from the node: refused, reset, timed out or a TLS failure. Names the URL.

    Also a built-in :class:`ConnectionError`, so ``except ConnectionError`` catches it.
    """

    def __init__(self, url: str, cause: BaseException) -> None:
        SafeguardsError.__init__(self, "connection_failed", 0, f"cannot reach the node at {url}: {cause}")
        self.url = url
        self.cause = cause

    def __str__(self) -> str:
        return self.detail


class InvalidRequest(SafeguardsError):
    """400 ``invalid_request``: a malformed body, id, cursor or field."""


class InvalidAmount(InvalidRequest):
    """400 ``invalid_amount``: an amount that is malformed, not positive where it must be, or out of range."""


class Unauthorized(SafeguardsError):
    """401 ``unauthorized``: a missing, wrong, revoked or expired token."""


class Forbidden(SafeguardsError):
    """403 ``forbidden``: the API key is valid but its scope does not cover the request."""


class InsufficientBudget(SafeguardsError):
    """402 ``insufficient_budget``: not enough budget available for the change; nothing moved."""


class NotFound(SafeguardsError):
    """404 ``not_found``: the pool, agent, reservation, transfer or route does not exist."""


class UnknownPeer(NotFound):
    """404 ``unknown_peer``: the system id is not in the node's peer registry."""


class Conflict(SafeguardsError):
    """409 ``conflict``: a duplicate name or id, an idempotency key reused with another body, or
    a reservation that is no longer pending."""


class FederationDisabled(Conflict):
    """409 ``federation_disabled``: the node has no ``federation`` section."""


class Closed(Conflict):
    """409 ``closed``: the agent or pool is closed and takes no more budget, reservations or spends."""


class ReservationsPending(Conflict):
    """409 ``reservations_pending``: an agent or pool cannot close while reservations are pending."""


class PayloadTooLarge(SafeguardsError):
    """413 ``payload_too_large``: the body is larger than the node's ``api.max_body_bytes``."""


class InsufficientData(SafeguardsError):
    """422 ``insufficient_data``: too little history to answer (usage patterns, predictions)."""


class RateLimited(SafeguardsError):
    """429 ``rate_limited``: over the agent's rate limit.

    Attributes:
        retry_after: seconds until the same request would be admitted (``None`` if the node did
            not say).
    """

    def __init__(
        self, code: str, status: int, detail: str, body: Optional[Mapping[str, Any]] = None,
        retry_after: Optional[int] = None,
    ) -> None:
        super().__init__(code, status, detail, body)
        self.retry_after = retry_after


class InternalError(SafeguardsError):
    """500 ``internal``: an unexpected failure in the node."""


class PeerUnreachable(SafeguardsError):
    """502 ``peer_unreachable``: the node could not reach the peer over the federation channel."""


class PeerRefused(SafeguardsError):
    """502 ``peer_refused``: the peer answered with an error, or its answer did not verify."""


class Unavailable(SafeguardsError):
    """503 ``unavailable``: the node could not make the change durable now; retry with the same key."""


class RemoteBudgetRejected(SafeguardsError):
    """The giver refused a remote budget request (the node answered 200 with ``rejected``).

    Attributes:
        transaction_id: the id both nodes store the refusal under.
        reason: the giver's reason (``insufficient_credit``, ``trust_too_low``,
            ``over_request_cap``...), also in ``code``.
    """

    def __init__(self, transaction_id: str, reason: str, body: Mapping[str, Any]) -> None:
        super().__init__(reason, 200, f"remote budget request {transaction_id} was rejected: {reason}", body)
        self.transaction_id = transaction_id
        self.reason = reason


class UnexpectedResponse(SafeguardsError):
    """An answer the client cannot read (not JSON, or not the documented shape)."""


_BY_CODE: Dict[str, Type[SafeguardsError]] = {
    "invalid_request": InvalidRequest,
    "invalid_amount": InvalidAmount,
    "unauthorized": Unauthorized,
    "forbidden": Forbidden,
    "insufficient_budget": InsufficientBudget,
    "not_found": NotFound,
    "unknown_peer": UnknownPeer,
    "conflict": Conflict,
    "federation_disabled": FederationDisabled,
    "closed": Closed,
    "reservations_pending": ReservationsPending,
    "payload_too_large": PayloadTooLarge,
    "insufficient_data": InsufficientData,
    "rate_limited": RateLimited,
    "internal": InternalError,
    "peer_unreachable": PeerUnreachable,
    "peer_refused": PeerRefused,
    "unavailable": Unavailable,
}

_BY_STATUS: Dict[int, Type[SafeguardsError]] = {
    400: InvalidRequest,
    401: Unauthorized,
    402: InsufficientBudget,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: InsufficientData,
    429: RateLimited,
    500: InternalError,
    503: Unavailable,
}


def error_from_problem(
    status: int, body: Optional[Mapping[str, Any]], retry_after_header: Optional[str],
) -> SafeguardsError:
    """The exception for an error answer: by the problem's ``code``, else by the HTTP status."""
    problem: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
    code = str(problem.get("code") or f"http_{status}")
    detail = str(problem.get("detail") or problem.get("title") or f"HTTP {status}")
    cls = _BY_CODE.get(code) or _BY_STATUS.get(status) or SafeguardsError
    if issubclass(cls, RateLimited):
        return cls(code, status, detail, body, retry_after=_retry_after(problem, retry_after_header))
    return cls(code, status, detail, body)


def _retry_after(problem: Mapping[str, Any], header: Optional[str]) -> Optional[int]:
    seconds = problem.get("retry_after_seconds")
    if isinstance(seconds, int) and not isinstance(seconds, bool):
        return seconds
    if header is not None and header.strip().isdigit():
        return int(header.strip())
    return None
