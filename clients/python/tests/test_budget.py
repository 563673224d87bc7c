"""Pools, agents, budgets, spends and the ledger, against a real node."""

from __future__ import annotations

from decimal import Decimal

from conftest import unique
from safeguards_client import AgentPriority, SafeguardsClient


def test_health_needs_no_token(node) -> None:
    with SafeguardsClient(node.url, "not-the-token") as anonymous:
        assert anonymous.health() == {"status": "ok", "system_id": "local"}


def test_a_pool_is_created_read_and_listed_with_exact_amounts(client: SafeguardsClient) -> None:
    name = unique("research")
    pool = client.create_budget_pool(name, Decimal("1000.25"), priority=7, metadata={"team": "ml"})
    assert pool.name == name and pool.priority == 7 and pool.metadata == {"team": "ml"}
    assert pool.total == Decimal("1000.25") and isinstance(pool.total, Decimal)
    assert pool.available == Decimal("1000.25") and pool.allocated == 0 and pool.spent == 0
    assert client.get_pool(pool.id) == pool
    assert client.get_pool(pool) == pool
    listed = [p for p in client.list_pools(page_size=1) if p.id == pool.id]
    assert listed == [pool]


def test_an_agent_is_registered_from_its_pool(client: SafeguardsClient) -> None:
    pool = client.create_budget_pool(unique("pool"), "500", priority=5)
    agent_id = unique("coder")
    agent = client.register_agent(agent_id, pool, AgentPriority.CRITICAL, "150.5")
    assert agent.agent_id == agent_id and agent.pool_id == pool.id and agent.priority == "CRITICAL"
    assert agent.budget.initial == agent.budget.total == agent.budget.available == Decimal("150.5")
    assert client.get_agent_budget(agent_id) == agent.budget
    assert client.get_pool(pool.id).available == Decimal("349.5")
    assert [a.agent_id for a in client.list_agents(pool_id=pool.id)] == [agent_id]
    assert client.register_agent(unique("low"), pool.id, "low", "1").priority == "LOW"


def test_updating_a_budget_moves_the_difference_with_a_reason(client: SafeguardsClient, funded_agent) -> None:
    pool, agent_id = funded_agent
    agent = client.update_agent_budget(agent_id, "160", "quarterly top-up", idempotency_key=unique("topup"))
    assert agent.budget.total == 160 and agent.budget.initial == 100
    assert client.get_pool(pool.id).available == Decimal("840")
    (update,) = client.transfers(agent_id=agent_id, kind="budget_update")
    assert update.reason == "quarterly top-up" and update.amount == 60


def test_a_spend_moves_budget_to_the_spent_sink(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    transfer = client.spend(agent_id, Decimal("2.5"))
    assert transfer.amount == Decimal("2.5") and transfer.state == "posted"
    assert transfer.debit_account == f"agent:{agent_id}" and transfer.credit_account == f"spent:{agent_id}"
    assert client.get_transfer(transfer.id) == transfer
    budget = client.get_agent_budget(agent_id)
    assert (budget.available, budget.spent, budget.total) == (Decimal("97.5"), Decimal("2.5"), Decimal("100"))


def test_reserve_settle_release_and_read_a_reservation(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    held = client.reserve(agent_id, "10", timeout_seconds=300)
    assert held.state == "pending" and held.amount == 10
    assert client.get_agent_budget(agent_id).reserved == 10
    settled = client.settle(held.reservation_id, "4.25")
    assert settled.state == "posted" and settled.settled_amount == Decimal("4.25")
    assert client.get_reservation(held.reservation_id).state == "posted"
    other = client.reserve(agent_id, "5")
    assert client.release(other).state == "voided"
    budget = client.get_agent_budget(agent_id)
    assert (budget.available, budget.reserved, budget.spent) == (Decimal("95.75"), 0, Decimal("4.25"))


def test_alerts_are_listed_when_usage_crosses_a_level(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    client.spend(agent_id, "80")
    (alert,) = client.alerts(agent_id=agent_id)
    assert alert.level == "warning" and alert.used == 80 and alert.usage_percent == Decimal("80.00")
    client.spend(agent_id, "15")
    assert [a.level for a in client.alerts(agent_id=agent_id)] == ["critical", "warning"]


def test_the_ledger_stays_balanced(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    client.spend(agent_id, "1")
    check = client.ledger_check(full=True)
    assert check.balanced and check.debits == check.credits and check.overdrawn_accounts == []


def test_a_client_can_be_made_from_a_data_folder(node) -> None:
    with SafeguardsClient.from_data_dir(str(node.data_dir)) as from_folder:
        assert from_folder.url == node.url
        assert from_folder.health()["status"] == "ok"
