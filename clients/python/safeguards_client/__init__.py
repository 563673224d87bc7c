"""A Python client for a Safeguards budget node.

::

    from decimal import Decimal
    from safeguards_client import SafeguardsClient

    with SafeguardsClient("http://127.0.0.1:8080", token) as client:
        pool = client.create_budget_pool("research", Decimal("1000"), priority=7)
        client.register_agent("coder", pool.id, "HIGH", "150")
        with client.reserve("coder", "2.0") as r:
            r.settle(Decimal("1.25"))

Amounts are ``decimal.Decimal`` (or decimal strings), never floats. Refusals raise the
:class:`SafeguardsError` subclass of the node's problem code.
"""

from .client import SafeguardsClient
from .errors import (
    Closed,
    Conflict,
    FederationDisabled,
    Forbidden,
    InsufficientBudget,
    InsufficientData,
    InternalError,
    InvalidAmount,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    PeerRefused,
    PeerUnreachable,
    RateLimited,
    RemoteBudgetRejected,
    ReservationsPending,
    SafeguardsConnectionError,
    SafeguardsError,
    Unauthorized,
    Unavailable,
    UnexpectedResponse,
    UnknownPeer,
)
from .base import new_idempotency_key
from .federation_models import FederatedPool, FederationTransaction, Grant, Peer, PeerSyncStatus, SyncResult, SyncStatus
from .models import (
    Agent, AgentBudget, AgentClosed, AgentPriority, Alert, ApiKey, LedgerCheck, Pool, PoolClosed, PoolFunds, Transfer,
    Webhook, WebhookDelivery,
)
from .reservation import Reservation
from .signatures import verify_webhook_signature, webhook_signature
from .transport import RetryPolicy

__version__ = "0.1.0"

__all__ = [
    "SafeguardsClient", "RetryPolicy", "Reservation", "new_idempotency_key", "verify_webhook_signature",
    "webhook_signature",
    "Agent", "AgentBudget", "AgentClosed", "AgentPriority", "Alert", "ApiKey", "LedgerCheck", "Pool", "PoolClosed",
    "PoolFunds", "Transfer", "Webhook",
    "WebhookDelivery", "FederatedPool", "FederationTransaction", "Grant", "Peer", "PeerSyncStatus", "SyncResult",
    "SyncStatus",
    "SafeguardsError", "SafeguardsConnectionError", "InvalidRequest", "InvalidAmount", "Unauthorized", "Forbidden",
    "InsufficientBudget", "NotFound", "UnknownPeer", "Conflict", "Closed", "ReservationsPending", "FederationDisabled",
    "PayloadTooLarge",
    "InsufficientData", "RateLimited", "InternalError", "PeerUnreachable", "PeerRefused", "Unavailable",
    "RemoteBudgetRejected", "UnexpectedResponse",
]
