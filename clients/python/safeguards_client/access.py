"""Scoped API keys and webhook subscriptions (the node's access and notification routes)."""

from __future__ import annotations

from typing import Any, Dict, Iterator, Optional, Sequence

from .base import ClientBase
from .models import ApiKey, Webhook, WebhookDelivery
from .values import TimeLike, path_segment, time_text

__all__ = ["AccessMethods"]


class AccessMethods(ClientBase):
    """Mixed into :class:`~safeguards_client.SafeguardsClient`. Managing keys and webhooks needs an admin token."""

    def create_api_key(
        self, name: str, role: str, agent_ids: Optional[Sequence[str]] = None, pool_ids: Optional[Sequence[str]] = None,
        expires_at: Optional[TimeLike] = None, idempotency_key: Optional[str] = None,
    ) -> ApiKey:
        """Creates an API key. ``role`` is ``"admin"`` or ``"agent"``; an agent key may only reserve,
        spend and read for the agents listed, or the agents of the pools listed.

        The answer's ``key`` is the secret, shown only this once: the node keeps its hash.
        """
        body: Dict[str, Any] = {"name": name, "role": role}
        if agent_ids is not None:
            body["agent_ids"] = list(agent_ids)
        if pool_ids is not None:
            body["pool_ids"] = list(pool_ids)
        if expires_at is not None:
            body["expires_at"] = time_text(expires_at, "expires_at")
        return ApiKey.from_json(self._call("POST", "/v1/api-keys", body=self._with_key(body, idempotency_key)).body)

    def list_api_keys(self, page_size: int = 100) -> Iterator[ApiKey]:
        """Every API key, without key material (a generator over pages)."""
        return self._pages("/v1/api-keys", "api_keys", ApiKey.from_json, page_size)

    def revoke_api_key(self, key_id: str) -> None:
        """Revokes a key at once: its next request is ``Unauthorized``."""
        self._call("DELETE", f"/v1/api-keys/{path_segment(key_id)}")

    def create_webhook(
        self, url: str, events: Sequence[str], secret: str, idempotency_key: Optional[str] = None,
    ) -> Webhook:
        """Subscribes ``url`` to events (``alert.warning``, ``reservation.expired``... or ``*``).

        Each delivery is signed with ``secret``: check it with
        :func:`~safeguards_client.verify_webhook_signature`. The secret is never shown again.
        """
        body = {"url": url, "events": list(events), "secret": secret}
        return Webhook.from_json(self._call("POST", "/v1/webhooks", body=self._with_key(body, idempotency_key)).body)

    def list_webhooks(self, page_size: int = 100) -> Iterator[Webhook]:
        """Every webhook subscription (a generator over pages)."""
        return self._pages("/v1/webhooks", "webhooks", Webhook.from_json, page_size)

    def delete_webhook(self, webhook_id: str) -> None:
        """Ends a subscription."""
        self._call("DELETE", f"/v1/webhooks/{path_segment(webhook_id)}")

    def webhook_deliveries(
        self, webhook_id: Optional[str] = None, status: Optional[str] = None, page_size: int = 100,
    ) -> Iterator[WebhookDelivery]:
        """Deliveries, newest first, with their attempts; ``status`` is ``pending``, ``delivered`` or ``failed``."""
        return self._pages(
            "/v1/webhooks/deliveries", "deliveries", WebhookDelivery.from_json, page_size,
            query=[("webhook_id", webhook_id), ("status", status)])
