"""What the client sends, seen by a proxy between it and the node: the exact bodies and queries.

``test_new_routes.py`` checks the node's answers to the same calls.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from fault_proxy import FaultProxy
from safeguards_client import RetryPolicy, SafeguardsClient, SafeguardsError


@pytest.fixture
def watched(node):
    with FaultProxy(node.url, []) as proxy:
        with SafeguardsClient(proxy.url, node.token, retry=RetryPolicy(max_retries=0)) as client:
            yield proxy, client


def test_spend_and_reserve_send_metadata_and_timeout(watched, funded_agent) -> None:
    proxy, client = watched
    _, agent_id = funded_agent
    client.spend(agent_id, "1", metadata={"model": "claude", "input_tokens": "1200"})
    client.reserve(agent_id, "2", metadata={"operation": "summarize"}, timeout_seconds=60).release()
    spend, reserve = [body for method, _, body in proxy.seen if method == "POST"][:2]
    assert spend["metadata"] == {"model": "claude", "input_tokens": "1200"} and spend["amount"] == "1"
    assert reserve["metadata"] == {"operation": "summarize"} and reserve["timeout_seconds"] == 60
    assert spend["idempotency_key"] != reserve["idempotency_key"]


def test_metadata_must_map_strings_to_strings(watched, funded_agent) -> None:
    proxy, client = watched
    with pytest.raises(TypeError, match="strings"):
        client.spend(funded_agent[1], "1", metadata={"input_tokens": 1200})
    assert proxy.seen == []


def test_register_agent_sends_the_budget_period(watched, funded_agent) -> None:
    proxy, client = watched
    pool, _ = funded_agent
    client.register_agent("periodic-" + pool.id[-8:], pool.id, "LOW", "1", budget_period="monthly",
                          period_timezone="Europe/Berlin")
    (body,) = [body for method, path, body in proxy.seen if path == "/v1/agents"]
    assert (body["budget_period"], body["period_timezone"]) == ("monthly", "Europe/Berlin")


def test_api_key_and_webhook_calls_send_the_agreed_bodies(watched) -> None:
    proxy, client = watched
    expires = datetime(2027, 1, 1, 1, 0, 0, 250999, tzinfo=timezone(timedelta(hours=1)))

    def send(call) -> None:
        """Makes the call; the node's answer (these ids do not exist) is not what is checked here."""
        try:
            result = call()
            if hasattr(result, "__next__"):
                list(result)
        except SafeguardsError:
            pass

    send(lambda: client.create_api_key("coder-key", "agent", agent_ids=["coder"], pool_ids=["p1"], expires_at=expires))
    send(lambda: client.revoke_api_key("key_1"))
    send(lambda: client.list_api_keys(page_size=5))
    send(lambda: client.create_webhook("https://hooks.example/budget", ["alert.warning", "peer.dead"], "s3cret"))
    send(lambda: client.webhook_deliveries(webhook_id="wh_1", status="failed"))
    (method, path, key), (_, revoke, _), (_, keys, _), (_, hooks, hook), (_, deliveries, _) = proxy.seen
    assert (method, path) == ("POST", "/v1/api-keys")
    assert {k: v for k, v in key.items() if k != "idempotency_key"} == {
        "name": "coder-key", "role": "agent", "agent_ids": ["coder"], "pool_ids": ["p1"],
        "expires_at": "2027-01-01T00:00:00.250Z"}
    assert revoke == "/v1/api-keys/key_1" and proxy.seen[1][0] == "DELETE"
    assert keys == "/v1/api-keys?limit=5"
    assert hooks == "/v1/webhooks" and hook.pop("idempotency_key").startswith("py-") and hook == {
        "url": "https://hooks.example/budget", "events": ["alert.warning", "peer.dead"], "secret": "s3cret"}
    assert deliveries == "/v1/webhooks/deliveries?webhook_id=wh_1&status=failed&limit=100"
    for stored in client.list_webhooks():
        if stored.url == "https://hooks.example/budget":
            client.delete_webhook(stored.id)
