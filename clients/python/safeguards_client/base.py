"""What every group of client methods shares: the transport, idempotency keys and paging."""

from __future__ import annotations

import uuid
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence, Tuple, TypeVar

from .transport import Response, Transport

__all__ = ["ClientBase", "new_idempotency_key"]

T = TypeVar("T")


def new_idempotency_key() -> str:
    """A fresh idempotency key (``py-`` and 32 hex digits of a random UUID)."""
    return "py-" + uuid.uuid4().hex


class ClientBase:
    """The transport and the helpers the method groups of ``SafeguardsClient`` build on."""

    _transport: Transport

    def _call(
        self, method: str, path: str, *, body: Optional[Mapping[str, Any]] = None,
        query: Optional[Sequence[Tuple[str, Any]]] = None,
    ) -> Response:
        return self._transport.request(method, path, body=body, query=query)

    def _pages(
        self, path: str, key: str, read: Callable[[Mapping[str, Any]], T], page_size: int,
        query: Sequence[Tuple[str, Any]] = (),
    ) -> Iterator[T]:
        """Every item of a paged list, fetching the next page (``?after=next``) only when needed.

        The node's order is fixed, so a walk sees every item that existed when it began once.
        """
        after: Optional[str] = None
        while True:
            page = self._call("GET", path, query=[*query, ("limit", page_size), ("after", after)]).body or {}
            for item in page.get(key, []):
                yield read(item)
            after = page.get("next")
            if not after:
                return

    @staticmethod
    def _with_key(body: dict, idempotency_key: Optional[str]) -> dict:
        """``body`` with the caller's idempotency key, or a new one (the same on every retry)."""
        body["idempotency_key"] = idempotency_key or new_idempotency_key()
        return body
