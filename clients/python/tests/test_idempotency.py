"""Mutating calls carry an idempotency key; retries reuse it, so a lost answer never moves budget twice."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from conftest import unique
from fault_proxy import FaultProxy
from safeguards_client import RateLimited, RetryPolicy, SafeguardsClient, Unavailable


def test_a_repeat_with_the_same_key_returns_the_same_transfer_and_moves_nothing(client, funded_agent) -> None:
    _, agent_id = funded_agent
    key = unique("call")
    first = client.spend(agent_id, "3", idempotency_key=key)
    again = client.spend(agent_id, "3", idempotency_key=key)
    assert first.id == again.id == f"spd:{key}"
    assert first == again
    assert client.get_agent_budget(agent_id).spent == 3


def test_calls_without_a_key_get_a_fresh_one_each(client, funded_agent) -> None:
    _, agent_id = funded_agent
    first, second = client.spend(agent_id, "1"), client.spend(agent_id, "1")
    assert first.id != second.id and first.id.startswith("spd:py-")
    assert client.get_agent_budget(agent_id).spent == 2


def test_a_spend_whose_answer_was_lost_is_retried_with_the_same_key(node, client, funded_agent) -> None:
    _, agent_id = funded_agent
    with FaultProxy(node.url, ["drop"]) as proxy, SafeguardsClient(proxy.url, node.token) as flaky:
        transfer = flaky.spend(agent_id, "4")
    posts = [body for method, _, body in proxy.seen if method == "POST"]
    assert len(posts) == 2 and posts[0] == posts[1]
    assert transfer.id == f"spd:{posts[0]['idempotency_key']}"
    assert client.get_transfer(transfer.id).amount == 4
    assert client.get_agent_budget(agent_id).spent == 4
    assert [t.id for t in client.transfers(agent_id=agent_id, kind="spend")] == [transfer.id]


def test_a_reservation_whose_answer_was_lost_holds_once(node, client, funded_agent) -> None:
    _, agent_id = funded_agent
    with FaultProxy(node.url, ["drop", "drop"]) as proxy, SafeguardsClient(proxy.url, node.token) as flaky:
        held = flaky.reserve(agent_id, "9")
        assert len(proxy.seen) == 3
        held.settle("2")
    assert client.get_agent_budget(agent_id).spent == 2
    assert client.get_agent_budget(agent_id).reserved == 0
    assert len(list(client.transfers(agent_id=agent_id, kind="reservation"))) == 1


def test_an_unavailable_node_is_asked_again(node, client, funded_agent) -> None:
    pool, agent_id = funded_agent
    with FaultProxy(node.url, ["unavailable", "unavailable"]) as proxy:
        with SafeguardsClient(proxy.url, node.token) as flaky:
            agent = flaky.update_agent_budget(agent_id, "120", "raise after a failover")
    assert agent.budget.total == 120 and len(proxy.seen) == 3
    assert len({body["idempotency_key"] for _, _, body in proxy.seen}) == 1
    assert client.get_pool(pool.id).available == Decimal("880")


def test_retries_are_bounded(node, funded_agent) -> None:
    _, agent_id = funded_agent
    with FaultProxy(node.url, ["unavailable"] * 5) as proxy:
        with SafeguardsClient(proxy.url, node.token, retry=RetryPolicy(max_retries=2)) as flaky:
            with pytest.raises(Unavailable):
                flaky.spend(agent_id, "1")
    assert len(proxy.seen) == 3


def test_rate_limited_is_retried_only_when_asked(node, client, funded_agent) -> None:
    _, agent_id = funded_agent
    with FaultProxy(node.url, ["rate_limited"]) as proxy, SafeguardsClient(proxy.url, node.token) as plain:
        with pytest.raises(RateLimited) as refused:
            plain.spend(agent_id, "1")
    assert refused.value.retry_after == 0 and len(proxy.seen) == 1
    with FaultProxy(node.url, ["rate_limited"]) as proxy:
        with SafeguardsClient(proxy.url, node.token, retry=RetryPolicy(retry_rate_limited=True)) as patient:
            patient.spend(agent_id, "1")
    assert len(proxy.seen) == 2
    assert client.get_agent_budget(agent_id).spent == 1


def test_one_client_shared_by_threads_spends_each_call_once(client, funded_agent) -> None:
    _, agent_id = funded_agent
    spent: list = []
    errors: list = []

    def work() -> None:
        try:
            for _ in range(5):
                spent.append(client.spend(agent_id, "0.5").id)
        except Exception as error:  # noqa: BLE001 - collected, the assertion below names it
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(set(spent)) == 40
    assert client.get_agent_budget(agent_id).spent == 20
