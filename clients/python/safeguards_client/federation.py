"""The federation methods: remote systems (peers), federated pools, remote budget and gossip."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, Iterator, Mapping, Optional, Union

from .base import ClientBase
from .errors import RemoteBudgetRejected
from .federation_models import FederatedPool, FederationTransaction, Peer, SyncResult, SyncStatus
from .values import AmountLike, amount_text, metadata_body, path_segment

__all__ = ["FederationMethods"]

TrustLike = Union[Decimal, str, float]


class FederationMethods(ClientBase):
    """Mixed into :class:`~safeguards_client.SafeguardsClient`."""

    def register_remote_system(
        self, system_id: str, address: str, public_key: str, trust_level: TrustLike,
    ) -> Peer:
        """Registers (or updates) a peer: another system's node.

        The original ``register_remote_system(system_id, api_base_url, api_key, trust_level)``
        shared a secret; here the peer proves itself with a certificate of the federation CA and
        signs every message with the Ed25519 key pinned as ``public_key``.

        Args:
            system_id: the peer's system id, as its certificate names it.
            address: ``host:port`` of the peer's federation listener.
            public_key: base64 of its raw Ed25519 public key (its ``<id>.signing.pub`` file).
            trust_level: 0..1, at most four decimals. A float is taken at its shortest repr
                (``0.8`` is ``"0.8"``); trust is a ratio, not money.
        """
        trust = repr(trust_level) if isinstance(trust_level, float) else str(trust_level)
        body = {"system_id": system_id, "address": address, "trust_level": trust, "public_key": public_key}
        return Peer.from_json(self._call("POST", "/v1/peers", body=body).body)

    def get_peer(self, system_id: str) -> Peer:
        """One peer, its trust and its history. Raises ``UnknownPeer``."""
        return Peer.from_json(self._call("GET", f"/v1/peers/{path_segment(system_id)}").body)

    def list_peers(self, page_size: int = 100) -> Iterator[Peer]:
        """Every peer, by system id (a generator over pages)."""
        return self._pages("/v1/peers", "peers", Peer.from_json, page_size)

    def remove_peer(self, system_id: str) -> None:
        """Forgets a peer (one from the node's config comes back at its next start)."""
        self._call("DELETE", f"/v1/peers/{path_segment(system_id)}")

    def ping_peer(self, system_id: str) -> Dict[str, Any]:
        """A signed ping over the federation channel: ``{system_id, round_trip_ms, effective_trust}``."""
        return dict(self._call("POST", f"/v1/peers/{path_segment(system_id)}/ping").body)

    def create_federated_pool(
        self, name: str, local_budget: AmountLike, remote_allocations: Mapping[str, AmountLike], priority: int = 5,
        metadata: Optional[Mapping[str, str]] = None, idempotency_key: Optional[str] = None,
    ) -> FederatedPool:
        """Creates a pool funded with ``local_budget`` and asks each peer for its allocation.

        Each peer grants up to what it offers this node, scaled by trust; a peer that has not
        answered yet shows as a ``pending`` grant.
        """
        body: Dict[str, Any] = {
            "name": name, "local_budget": amount_text(local_budget, "local_budget"), "priority": priority,
            "remote_allocations": {
                peer: amount_text(amount, f"remote_allocations[{peer!r}]")
                for peer, amount in remote_allocations.items()
            },
        }
        if metadata is not None:
            body["metadata"] = metadata_body(metadata)
        answer = self._call("POST", "/v1/federated-pools", body=self._with_key(body, idempotency_key))
        return FederatedPool.from_json(answer.body)

    def get_federated_pool(self, pool_id: str) -> FederatedPool:
        """A federated pool and its grants."""
        return FederatedPool.from_json(self._call("GET", f"/v1/federated-pools/{path_segment(pool_id)}").body)

    def request_remote_budget(
        self, agent_id: str, remote_system_id: str, amount: AmountLike, metadata: Optional[Mapping[str, str]] = None,
        idempotency_key: Optional[str] = None,
    ) -> str:
        """Asks a peer for budget for one of this node's agents; returns the transaction id.

        When the giver accepted, the agent has the amount on return. When the giver has not
        answered within the node's ``answer_wait``, the id is returned while the request is
        still ``pending`` (the node keeps asking); ``get_federation_transaction(id).status``
        tells the outcome.

        Raises:
            RemoteBudgetRejected: the giver refused (``reason``: ``insufficient_credit``,
                ``over_request_cap``, ``trust_too_low``...); nothing moved.
        """
        body: Dict[str, Any] = {
            "agent_id": agent_id, "remote_system_id": remote_system_id, "amount": amount_text(amount),
        }
        if metadata is not None:
            body["metadata"] = metadata_body(metadata)
        answer = self._call("POST", "/v1/federation/requests", body=self._with_key(body, idempotency_key))
        return self._settled_id(answer.body)

    def return_remote_budget(
        self, agent_id: str, remote_system_id: str, amount: AmountLike, idempotency_key: Optional[str] = None,
    ) -> str:
        """Gives unused remote budget back to its giver; returns the transaction id.

        Raises:
            RemoteBudgetRejected: the giver refused the return.
            InsufficientBudget: more than was drawn from that peer and not yet returned.
        """
        body = {"agent_id": agent_id, "remote_system_id": remote_system_id, "amount": amount_text(amount)}
        answer = self._call("POST", "/v1/federation/returns", body=self._with_key(body, idempotency_key))
        return self._settled_id(answer.body)

    def get_federation_transaction(self, transaction_id: str) -> FederationTransaction:
        """This node's record of a remote transfer or return."""
        path = f"/v1/federation/transactions/{path_segment(transaction_id)}"
        return FederationTransaction.from_json(self._call("GET", path).body)

    def federation_transactions(
        self, peer: Optional[str] = None, page_size: int = 100,
    ) -> Iterator[FederationTransaction]:
        """This node's remote transfers and returns, newest first (a generator over pages)."""
        return self._pages(
            "/v1/federation/transactions", "transactions", FederationTransaction.from_json, page_size,
            query=[("peer", peer)])

    def synchronize(self) -> Dict[str, SyncResult]:
        """Runs a gossip exchange with every peer now; the outcome per peer system id."""
        results = (self._call("POST", "/v1/sync").body or {}).get("results", {})
        return {peer: SyncResult.from_json(result) for peer, result in results.items()}

    def sync_status(self) -> SyncStatus:
        """What gossip knows of each peer: liveness, last sync, versions behind, repairs."""
        return SyncStatus.from_json(self._call("GET", "/v1/sync/status").body)

    @staticmethod
    def _settled_id(body: Mapping[str, Any]) -> str:
        if body.get("status") == "rejected":
            raise RemoteBudgetRejected(body["transaction_id"], str(body.get("reason", "rejected")), body)
        return str(body["transaction_id"])
