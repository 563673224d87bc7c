"""The records the node answers with, as small frozen dataclasses.

Amounts are ``decimal.Decimal``, times aware ``datetime`` in UTC. Every record keeps the whole
JSON object it was read from in ``raw``, so fields a newer node adds are reachable before this
client models them. Reservations are in :mod:`safeguards_client.reservation`, the federation's
records in :mod:`safeguards_client.federation_models`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Dict, List, Mapping, Optional, Tuple

from .values import optional_amount, parse_amount, parse_time

__all__ = [
    "AgentPriority", "Pool", "AgentBudget", "Agent", "Transfer", "Alert", "LedgerCheck", "ApiKey", "Webhook",
    "WebhookDelivery",
]


def raw_field() -> Any:
    """The ``raw`` field every record has: the JSON object it was read from."""
    return field(default_factory=dict, repr=False, compare=False)


class AgentPriority(str, Enum):
    """An agent's priority, as the node spells it (``CRITICAL`` highest)."""

    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"
    MINIMAL = "MINIMAL"


def _strings(value: Any) -> Dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}


@dataclass(frozen=True)
class Pool:
    """A budget pool: ``total = available + allocated + spent_this_period``; ``spent`` is lifetime.

    The period fields are set only when the pool has a budget period."""

    id: str
    name: str
    priority: int
    total: Decimal
    available: Decimal
    allocated: Decimal
    spent: Decimal
    metadata: Dict[str, str]
    created_at: Optional[datetime]
    budget_period: Optional[str] = None
    period_timezone: Optional[str] = None
    period_started_at: Optional[datetime] = None
    period_resets_at: Optional[datetime] = None
    spent_this_period: Optional[Decimal] = None
    closed_at: Optional[datetime] = None
    raw: Dict[str, Any] = raw_field()

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "Pool":
        return cls(
            id=body["id"], name=body["name"], priority=int(body["priority"]), total=parse_amount(body["total"]),
            available=parse_amount(body["available"]), allocated=parse_amount(body["allocated"]),
            spent=parse_amount(body["spent"]), metadata=_strings(body.get("metadata")),
            created_at=parse_time(body.get("created_at")), **_period_fields(body, body.get("spent_this_period")),
            closed_at=parse_time(body.get("closed_at")), raw=dict(body))


@dataclass(frozen=True)
class AgentBudget:
    """An agent's budget: ``total = available + reserved + spent``; ``initial`` as registered."""

    initial: Decimal
    total: Decimal
    available: Decimal
    reserved: Decimal
    spent: Decimal

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "AgentBudget":
        return cls(*(parse_amount(body[name]) for name in ("initial", "total", "available", "reserved", "spent")))


@dataclass(frozen=True)
class Agent:
    """An agent and its budget. The period fields are set only on nodes with budget periods."""

    agent_id: str
    pool_id: str
    priority: str
    budget: AgentBudget
    alert_level: str
    created_at: Optional[datetime]
    budget_period: Optional[str] = None
    period_timezone: Optional[str] = None
    period_started_at: Optional[datetime] = None
    period_resets_at: Optional[datetime] = None
    spent_this_period: Optional[Decimal] = None
    closed_at: Optional[datetime] = None
    raw: Dict[str, Any] = raw_field()

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "Agent":
        return cls(
            agent_id=body["agent_id"], pool_id=body["pool_id"], priority=body["priority"],
            budget=AgentBudget.from_json(body["budget"]), alert_level=body.get("alert_level", "normal"),
            created_at=parse_time(body.get("created_at")),
            **_period_fields(body, body["budget"].get("spent_this_period")),
            closed_at=parse_time(body.get("closed_at")), raw=dict(body))


def _period_fields(body: Mapping[str, Any], spent_this_period: Any) -> Dict[str, Any]:
    """The budget period fields of an agent or a pool body (all None without a period)."""
    return {
        "budget_period": body.get("budget_period"), "period_timezone": body.get("period_timezone"),
        "period_started_at": parse_time(body.get("period_started_at")),
        "period_resets_at": parse_time(body.get("period_resets_at")),
        "spent_this_period": optional_amount(spent_this_period),
    }


@dataclass(frozen=True)
class Transfer:
    """A ledger transfer: the only way budget moves."""

    id: str
    debit_account: str
    credit_account: str
    amount: Decimal
    posted_amount: Decimal
    two_phase: bool
    state: str
    reason: str
    metadata: Dict[str, str]
    created_at: Optional[datetime]
    expires_at: Optional[datetime] = None
    resolved_at: Optional[datetime] = None
    raw: Dict[str, Any] = raw_field()

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "Transfer":
        return cls(
            id=body["id"], debit_account=body["debit_account"], credit_account=body["credit_account"],
            amount=parse_amount(body["amount"]), posted_amount=parse_amount(body["posted_amount"]),
            two_phase=bool(body["two_phase"]), state=body["state"], reason=body.get("reason", ""),
            metadata=_strings(body.get("metadata")), created_at=parse_time(body.get("created_at")),
            expires_at=parse_time(body.get("expires_at")), resolved_at=parse_time(body.get("resolved_at")),
            raw=dict(body))


@dataclass(frozen=True)
class PoolFunds:
    """The answer to a top-up or a withdrawal: the pool as it now stands and the transfer that moved."""

    pool: Pool
    transfer: Transfer

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "PoolFunds":
        return cls(pool=Pool.from_json(body["pool"]), transfer=Transfer.from_json(body["transfer"]))


@dataclass(frozen=True)
class AgentClosed:
    """The answer to closing an agent: the agent, closed, and the transfers that returned its
    budget (none when it held nothing or was closed before)."""

    agent: Agent
    transfers: List[Transfer]

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "AgentClosed":
        return cls(agent=Agent.from_json(body["agent"]),
                   transfers=[Transfer.from_json(item) for item in body.get("transfers") or []])


@dataclass(frozen=True)
class PoolClosed:
    """The answer to closing a pool: the pool, closed; how many of its agents closed with it; and
    the transfer that returned its budget to funding (``None`` when it held nothing)."""

    pool: Pool
    agents_closed: int
    transfer: Optional[Transfer]

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "PoolClosed":
        transfer = body.get("transfer")
        return cls(pool=Pool.from_json(body["pool"]), agents_closed=int(body["agents_closed"]),
                   transfer=None if transfer is None else Transfer.from_json(transfer))


@dataclass(frozen=True)
class Alert:
    """A usage alert: an agent's use first reached 75% (``warning``) or 90% (``critical``)."""

    id: str
    agent_id: str
    pool_id: str
    level: str
    usage_percent: Decimal
    used: Decimal
    budget: Decimal
    transfer_id: str
    created_at: Optional[datetime]
    raw: Dict[str, Any] = raw_field()

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "Alert":
        return cls(
            id=body["id"], agent_id=body["agent_id"], pool_id=body["pool_id"], level=body["level"],
            usage_percent=Decimal(body["usage_percent"]), used=parse_amount(body["used"]),
            budget=parse_amount(body["budget"]), transfer_id=body["transfer_id"],
            created_at=parse_time(body.get("created_at")), raw=dict(body))


@dataclass(frozen=True)
class LedgerCheck:
    """The ledger's sums: ``balanced`` when debits equal credits and nothing is overdrawn."""

    balanced: bool
    debits: Decimal
    credits: Decimal
    debits_pending: Decimal
    credits_pending: Decimal
    accounts: int
    overdrawn_accounts: List[str]
    raw: Dict[str, Any] = raw_field()

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "LedgerCheck":
        return cls(
            balanced=bool(body["balanced"]), debits=parse_amount(body["debits"]),
            credits=parse_amount(body["credits"]), debits_pending=parse_amount(body["debits_pending"]),
            credits_pending=parse_amount(body["credits_pending"]), accounts=int(body["accounts"]),
            overdrawn_accounts=list(body.get("overdrawn_accounts", [])), raw=dict(body))


@dataclass(frozen=True)
class ApiKey:
    """A scoped API key. ``key`` (the secret) is set only in the answer that created it."""

    id: str
    name: str
    role: str
    agent_ids: List[str]
    pool_ids: List[str]
    expires_at: Optional[datetime]
    created_at: Optional[datetime]
    key: Optional[str] = field(default=None, repr=False)
    raw: Dict[str, Any] = raw_field()

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "ApiKey":
        return cls(
            id=body["id"], name=body["name"], role=body["role"], agent_ids=list(body.get("agent_ids") or []),
            pool_ids=list(body.get("pool_ids") or []), expires_at=parse_time(body.get("expires_at")),
            created_at=parse_time(body.get("created_at")), key=body.get("key"), raw=dict(body))


@dataclass(frozen=True)
class Webhook:
    """A webhook subscription (its secret is never shown again)."""

    id: str
    url: str
    events: Tuple[str, ...]
    created_at: Optional[datetime]
    raw: Dict[str, Any] = raw_field()

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "Webhook":
        return cls(
            id=body["id"], url=body["url"], events=tuple(body.get("events") or ()),
            created_at=parse_time(body.get("created_at")), raw=dict(body))


@dataclass(frozen=True)
class WebhookDelivery:
    """One event's delivery to one webhook: ``pending``, ``delivered`` or ``failed``, with its attempts."""

    id: str
    event_id: str
    webhook_id: str
    type: str
    status: str
    attempts: int
    last_status: Optional[int] = None
    last_error: Optional[str] = None
    next_attempt_at: Optional[datetime] = None
    delivered_at: Optional[datetime] = None
    raw: Dict[str, Any] = raw_field()

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> "WebhookDelivery":
        return cls(
            id=body["id"], event_id=body["event_id"], webhook_id=body["webhook_id"], type=body["type"],
            status=body["status"], attempts=int(body.get("attempts", 0)), last_status=body.get("last_status"),
            last_error=body.get("last_error"), next_attempt_at=parse_time(body.get("next_attempt_at")),
            delivered_at=parse_time(body.get("delivered_at")), raw=dict(body))
