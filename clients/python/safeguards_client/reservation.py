"""A reservation: budget held for an agent until it is settled with the real cost or released.

``client.reserve(...)`` answers a :class:`Reservation` bound to its client. Used as a context
manager, the hold never outlives the block by accident::

    with client.reserve("coder", "2.0") as r:
        cost = run_the_model()
        r.settle(cost)

On leaving the block the reservation is released if the block raised, or if it was neither
settled nor released inside it. The node would release it at its timeout anyway; releasing at
once gives the budget back now.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Type

from .errors import Conflict, SafeguardsError
from .values import AmountLike, parse_amount, parse_time

if TYPE_CHECKING:
    from .client import SafeguardsClient

__all__ = ["Reservation"]

_log = logging.getLogger("safeguards_client")


@dataclass
class Reservation:
    """A reservation as the node last answered it, and the handle to settle or release it.

    ``state`` is ``pending`` until it is ``posted`` (settled), ``voided`` (released) or
    ``expired``. ``settle``, ``release`` and ``refresh`` update this object from the node's answer.
    """

    reservation_id: str
    agent_id: str
    amount: Decimal
    state: str
    settled_amount: Decimal
    created_at: Optional[datetime]
    expires_at: Optional[datetime] = None
    resolved_at: Optional[datetime] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _client: Optional["SafeguardsClient"] = field(default=None, repr=False, compare=False)

    @property
    def id(self) -> str:
        """The reservation's id (its ledger transfer's id)."""
        return self.reservation_id

    @property
    def pending(self) -> bool:
        """Whether the budget is still held."""
        return self.state == "pending"

    @classmethod
    def from_json(cls, body: Mapping[str, Any], client: Optional["SafeguardsClient"] = None) -> "Reservation":
        return cls(
            reservation_id=body["reservation_id"], agent_id=body["agent_id"], amount=parse_amount(body["amount"]),
            state=body["state"], settled_amount=parse_amount(body.get("settled_amount", "0")),
            created_at=parse_time(body.get("created_at")), expires_at=parse_time(body.get("expires_at")),
            resolved_at=parse_time(body.get("resolved_at")), raw=dict(body), _client=client)

    def settle(self, amount: AmountLike) -> "Reservation":
        """Posts the real cost (> 0 and at most the amount reserved); the rest is released.

        Raises:
            InvalidAmount: the cost is not positive or exceeds the reservation.
            Conflict: the reservation is no longer pending (released, expired, settled with another cost).
        """
        return self._update(self._bound().settle(self.reservation_id, amount))

    def release(self) -> "Reservation":
        """Gives the whole hold back to the agent. Releasing twice answers the same.

        Raises:
            Conflict: the reservation was settled or expired.
        """
        return self._update(self._bound().release(self.reservation_id))

    def refresh(self) -> "Reservation":
        """Reads the reservation's current state from the node."""
        return self._update(self._bound().get_reservation(self.reservation_id))

    def __enter__(self) -> "Reservation":
        return self

    def __exit__(
        self, kind: Optional[Type[BaseException]], error: Optional[BaseException], trace: Optional[TracebackType],
    ) -> None:
        if not self.pending:
            return
        if error is not None:
            # The block's exception is the one the caller must see; a failed release only
            # leaves the hold to expire at its timeout.
            try:
                self.release()
            except (SafeguardsError, OSError) as release_error:
                _log.warning("could not release reservation %s after an error: %s", self.reservation_id, release_error)
            return
        try:
            self.release()
        except Conflict:
            # Settled or released through another handle, or expired meanwhile: nothing is held.
            if self.refresh().pending:
                raise

    def _bound(self) -> "SafeguardsClient":
        if self._client is None:
            raise RuntimeError("this reservation is not bound to a client")
        return self._client

    def _update(self, answer: "Reservation") -> "Reservation":
        for name in ("state", "settled_amount", "expires_at", "resolved_at", "raw", "amount"):
            setattr(self, name, getattr(answer, name))
        return self

    def snapshot(self) -> "Reservation":
        """A copy not bound to the client (for storing or comparing)."""
        return replace(self, _client=None)
