"""The federation's records: peers, federated pools and their grants, remote transactions, gossip status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Optional

from .models import Pool, raw_field
from .values import parse_amount, parse_time

__all__ = ["Peer", "Grant", "FederatedPool", "FederationTransaction", "PeerSyncStatus", "SyncStatus", "SyncResult"]


@dataclass(frozen=True)
class Peer:
    """Another system's node as this node knows it (a registered remote system)."""

    system_id: str
    address: str
    public_key: str
    trust_level: Decimal
    effective_trust: Decimal
    good_messages: int
    bad_messages: int
    source: str
    created_at: Optional[datetime]
    last_contact: Optional[datetime] = None
    last_offense_at: Optional[datetime] = None
    raw: Dict[str, Any] = raw_field()

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "Peer":
        return cls(
            system_id=body["system_id"], address=body["address"], public_key=body["public_key"],
            trust_level=Decimal(body["trust_level"]), effective_trust=Decimal(body["effective_trust"]),
            good_messages=int(body["good_messages"]), bad_messages=int(body["bad_messages"]),
            source=body["source"], created_at=parse_time(body.get("created_at")),
            last_contact=parse_time(body.get("last_contact")), last_offense_at=parse_time(body.get("last_offense_at")),
            raw=dict(body))


@dataclass(frozen=True)
class Grant:
    """A peer's answer to a federated pool's proposal: ``pending``, ``accepted`` or ``rejected``."""

    proposal_id: str
    requested: Decimal
    granted: Decimal
    status: str
    reason: Optional[str] = None

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "Grant":
        return cls(
            proposal_id=body["proposal_id"], requested=parse_amount(body["requested"]),
            granted=parse_amount(body["granted"]), status=body["status"], reason=body.get("reason"))


@dataclass(frozen=True)
class FederatedPool:
    """A pool funded locally and by remote allocations, with each peer's grant."""

    pool_id: str
    pool: Pool
    grants: Dict[str, Grant]
    raw: Dict[str, Any] = raw_field()

    @property
    def id(self) -> str:
        """The pool's id (so a federated pool can be passed where a pool id is expected)."""
        return self.pool_id

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "FederatedPool":
        return cls(
            pool_id=body["pool_id"], pool=Pool.from_json(body["pool"]),
            grants={peer: Grant.from_json(grant) for peer, grant in (body.get("grants") or {}).items()},
            raw=dict(body))


@dataclass(frozen=True)
class FederationTransaction:
    """This node's record of a remote transfer or return (``pending``, ``accepted``, ``rejected``, ``returned``)."""

    transaction_id: str
    direction: str
    kind: str
    peer: str
    agent_id: str
    amount: Decimal
    status: str
    created_at: Optional[datetime]
    reason: Optional[str] = None
    settled_at: Optional[datetime] = None
    receipt: Optional[Dict[str, Any]] = None
    raw: Dict[str, Any] = raw_field()

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "FederationTransaction":
        return cls(
            transaction_id=body["transaction_id"], direction=body["direction"], kind=body["kind"],
            peer=body["peer"], agent_id=body["agent_id"], amount=parse_amount(body["amount"]),
            status=body["status"], created_at=parse_time(body.get("created_at")), reason=body.get("reason"),
            settled_at=parse_time(body.get("settled_at")), receipt=body.get("receipt"), raw=dict(body))


@dataclass(frozen=True)
class PeerSyncStatus:
    """What gossip knows of one peer: liveness (``alive``, ``suspect``, ``dead``), trust, lag, repairs."""

    system_id: str
    state: str
    trust_level: Decimal
    effective_trust: Decimal
    versions_behind: int
    pending_transfers: int
    disagreements_found: int
    disagreements_repaired: int
    balances: Dict[str, Decimal]
    last_sync: Optional[datetime] = None
    last_seen_version: Optional[str] = None
    last_error: Optional[str] = None

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "PeerSyncStatus":
        return cls(
            system_id=body["system_id"], state=body["state"], trust_level=Decimal(body["trust_level"]),
            effective_trust=Decimal(body["effective_trust"]), versions_behind=int(body["versions_behind"]),
            pending_transfers=int(body["pending_transfers"]), disagreements_found=int(body["disagreements_found"]),
            disagreements_repaired=int(body["disagreements_repaired"]),
            balances={pool: parse_amount(amount) for pool, amount in (body.get("balances") or {}).items()},
            last_sync=parse_time(body.get("last_sync")), last_seen_version=body.get("last_seen_version"),
            last_error=body.get("last_error"))


@dataclass(frozen=True)
class SyncStatus:
    """``sync_status()``: this node's gossip record version and each peer's status."""

    system_id: str
    generation: str
    version: str
    peers: List[PeerSyncStatus]
    raw: Dict[str, Any] = raw_field()

    def peer(self, system_id: str) -> Optional[PeerSyncStatus]:
        """The status of one peer, or ``None``."""
        return next((peer for peer in self.peers if peer.system_id == system_id), None)

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "SyncStatus":
        return cls(
            system_id=body["system_id"], generation=str(body["generation"]), version=str(body["version"]),
            peers=[PeerSyncStatus.from_json(peer) for peer in body.get("peers", [])], raw=dict(body))


@dataclass(frozen=True)
class SyncResult:
    """One peer's outcome of ``synchronize()``."""

    success: bool
    last_sync: Optional[datetime] = None
    error: Optional[str] = None

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "SyncResult":
        return cls(success=bool(body["success"]), last_sync=parse_time(body.get("last_sync")), error=body.get("error"))
