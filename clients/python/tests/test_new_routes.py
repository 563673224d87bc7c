"""The client against the node's API keys, spend metadata, budget periods, webhooks and HTTPS."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, List, Tuple

import pytest

from conftest import TOKEN, unique
from node_process import NodeProcess, binary_path
from safeguards_client import (
    Forbidden, InvalidRequest, SafeguardsClient, Unauthorized, verify_webhook_signature,
)



def test_an_agent_key_spends_for_its_agent_and_nothing_else(node, client: SafeguardsClient, funded_agent) -> None:
    pool, agent_id = funded_agent
    created = client.create_api_key(unique("coder-key"), "agent", agent_ids=[agent_id],
                                    expires_at=datetime.now(timezone.utc) + timedelta(days=1))
    assert created.key and created.role == "agent" and created.agent_ids == [agent_id]
    assert created.expires_at is not None and created.created_at is not None
    with SafeguardsClient(node.url, created.key) as agent_client:
        assert agent_client.spend(agent_id, "2").amount == 2
        with agent_client.reserve(agent_id, "1") as held:
            held.settle("1")
        with pytest.raises(Forbidden) as refused:
            agent_client.create_budget_pool(unique("pool"), "1", priority=1)
        assert refused.value.status == 403 and refused.value.code == "forbidden"
    assert client.get_agent_budget(agent_id).spent == 3
    assert client.get_pool(pool.id).total == 1000


def test_keys_are_listed_without_their_secret_and_revoked_at_once(node, client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    created = client.create_api_key(unique("revoked"), "agent", pool_ids=[funded_agent[0].id])
    listed = [key for key in client.list_api_keys(page_size=1) if key.id == created.id]
    assert len(listed) == 1 and listed[0].key is None and listed[0].pool_ids == [funded_agent[0].id]
    client.revoke_api_key(created.id)
    with SafeguardsClient(node.url, created.key) as revoked:
        with pytest.raises(Unauthorized):
            revoked.spend(agent_id, "1")
    assert client.get_agent_budget(agent_id).spent == 0


def test_spend_and_reserve_metadata_is_kept_with_the_transfer(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    labels = {"model": "claude", "input_tokens": "1200", "output_tokens": "350"}
    spent = client.spend(agent_id, "0.42", metadata=labels)
    assert {k: spent.metadata[k] for k in labels} == labels
    assert client.get_transfer(spent.id).metadata["model"] == "claude"
    held = client.reserve(agent_id, "1", metadata={"operation": "summarize"}, timeout_seconds=120)
    held.settle("0.5")
    (reservation,) = client.transfers(agent_id=agent_id, kind="reservation")
    assert reservation.metadata["operation"] == "summarize"
    with pytest.raises(InvalidRequest):
        client.spend(agent_id, "1", metadata={"kind": "not-yours"})
    assert client.get_agent_budget(agent_id).spent == Decimal("0.92")


def test_an_agent_with_a_budget_period_shows_its_period(client: SafeguardsClient) -> None:
    pool = client.create_budget_pool(unique("periodic"), "100", priority=5)
    agent = client.register_agent(unique("daily"), pool.id, "HIGH", "10", budget_period="daily",
                                  period_timezone="Europe/Berlin")
    assert agent.budget_period == "daily" and agent.period_timezone == "Europe/Berlin"
    assert agent.period_started_at is not None and agent.period_resets_at > agent.period_started_at
    assert agent.spent_this_period == 0
    client.spend(agent.agent_id, "4")
    assert client.get_agent(agent.agent_id).spent_this_period == 4
    changed = client.update_agent_budget(agent.agent_id, "12", "hourly now", budget_period="1h")
    assert changed.budget_period == "1h"
    with pytest.raises(InvalidRequest):
        client.register_agent(unique("bad"), pool.id, "LOW", "1", budget_period="fortnightly")
    with pytest.raises(InvalidRequest):
        client.register_agent(unique("bad"), pool.id, "LOW", "1", budget_period="daily", period_timezone="Mars/Base")


def test_a_pool_period_is_set_shown_and_removed(client: SafeguardsClient) -> None:
    pool = client.create_budget_pool(unique("monthly"), "500", priority=4, budget_period="monthly",
                                     period_timezone="Europe/Berlin")
    assert pool.budget_period == "monthly" and pool.period_timezone == "Europe/Berlin"
    assert pool.period_resets_at > pool.period_started_at and pool.spent_this_period == 0
    changed = client.set_pool_period(pool, "30d")
    assert changed.budget_period == "30d" and client.get_pool(pool.id).budget_period == "30d"
    with pytest.raises(InvalidRequest):
        client.set_pool_period(pool, "daily", period_timezone="Mars/Base")
    assert client.get_pool(pool.id).budget_period == "30d"
    removed = client.set_pool_period(pool, None)
    assert removed.budget_period is None and removed.period_resets_at is None
    assert removed.total == 500


class Receiver:
    """A local HTTP endpoint that records webhook deliveries and answers 204."""

    def __init__(self) -> None:
        self.deliveries: List[Tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.deliveries.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    yield endpoint
    endpoint.server.shutdown()
    endpoint.server.server_close()


def test_a_webhook_delivery_is_signed_and_listed(client: SafeguardsClient, funded_agent, receiver: Receiver) -> None:
    _, agent_id = funded_agent
    secret = "whsec-" + unique("secret")
    hook = client.create_webhook(receiver.url, ["alert.warning"], secret)
    assert hook.url == receiver.url and hook.events == ("alert.warning",)
    assert hook.id in [h.id for h in client.list_webhooks()]
    client.spend(agent_id, "80")
    for _ in range(300):
        if receiver.deliveries:
            break
        time.sleep(0.1)
    headers, body = receiver.deliveries[0]
    assert verify_webhook_signature(secret, headers["safeguards-timestamp"], body, headers["safeguards-signature"])
    event = json.loads(body)
    assert event["type"] == "alert.warning" and headers["safeguards-event-id"] == event["id"]
    deliveries = list(client.webhook_deliveries(webhook_id=hook.id))
    assert deliveries and deliveries[0].event_id == event["id"] and deliveries[0].attempts >= 1
    client.delete_webhook(hook.id)


def test_a_node_serving_https_is_reached_with_its_ca(tmp_path) -> None:
    binary = binary_path()
    subprocess.run([binary, "certs", "init-ca", "--dir", str(tmp_path / "ca")], check=True, capture_output=True)
    subprocess.run([binary, "certs", "api", "--host", "localhost", "--ip", "127.0.0.1", "--dir", str(tmp_path / "ca")],
                   check=True, capture_output=True)
    # The generated config ends in the `api` section, so these lines go into it.
    tls = (f"  tls:\n    certificate: {tmp_path / 'ca' / 'api.pem'}\n"
           f"    private_key: {tmp_path / 'ca' / 'api.key'}\n")
    https_node = NodeProcess(tmp_path / "node", TOKEN, extra_config=tls)
    try:
        url = https_node.start()
        assert url.startswith("https://")
        with SafeguardsClient(url.replace("127.0.0.1", "localhost"), TOKEN, ca=str(tmp_path / "ca" / "ca.pem")) as c:
            assert c.health()["status"] == "ok"
    finally:
        https_node.stop()
