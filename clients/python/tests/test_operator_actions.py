"""The client against the operator's actions: pool top-ups and withdrawals, closing agents and pools."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import unique
from safeguards_client import (
    Closed, InsufficientBudget, InvalidAmount, NotFound, ReservationsPending, SafeguardsClient,
)


def test_a_top_up_and_a_withdrawal_move_exact_amounts_through_the_ledger(client: SafeguardsClient, funded_agent) -> None:
    pool, _ = funded_agent
    topped = client.top_up_pool(pool, "250.125", "q3 budget")
    assert topped.pool.total == Decimal("1250.125") and topped.pool.available == Decimal("1150.125")
    assert topped.transfer.amount == Decimal("250.125") and topped.transfer.reason == "q3 budget"
    assert client.ledger_check(full=True).balanced

    taken = client.withdraw_from_pool(pool.id, "0.125", "rounding back")
    assert taken.pool.total == Decimal("1250") and taken.pool.available == Decimal("1150")
    assert taken.transfer.debit_account != topped.transfer.debit_account
    assert client.ledger_check(full=True).balanced


def test_a_retried_top_up_with_its_key_moves_the_budget_once(client: SafeguardsClient, funded_agent) -> None:
    pool, _ = funded_agent
    key = unique("topup")
    first = client.top_up_pool(pool, "10", "retry me", idempotency_key=key)
    again = client.top_up_pool(pool, "10", "retry me", idempotency_key=key)
    assert again.transfer.id == first.transfer.id
    assert client.get_pool(pool.id).total == Decimal("1010")


def test_refused_funding_changes_nothing(client: SafeguardsClient, funded_agent) -> None:
    pool, _ = funded_agent
    with pytest.raises(InsufficientBudget):
        client.withdraw_from_pool(pool, "900.000001", "more than is unallocated")
    for amount in ("0", "-3"):
        with pytest.raises(InvalidAmount):
            client.top_up_pool(pool, amount, "bad")
    with pytest.raises(NotFound):
        client.top_up_pool("pool_does_not_exist", "1", "nobody")
    after = client.get_pool(pool.id)
    assert after.total == Decimal("1000") and after.available == Decimal("900")
    assert client.ledger_check(full=True).balanced


def test_closing_an_agent_returns_its_budget_and_refuses_it_afterwards(client: SafeguardsClient, funded_agent) -> None:
    pool, agent_id = funded_agent
    client.spend(agent_id, "10")
    held = client.reserve(agent_id, "5", timeout_seconds=120)
    with pytest.raises(ReservationsPending):
        client.close_agent(agent_id, "retired")
    held.release()

    closed = client.close_agent(agent_id, "retired")
    assert closed.agent.closed_at is not None
    assert sum(t.amount for t in closed.transfers) == Decimal("90")
    assert client.get_pool(pool.id).available == Decimal("990")
    with pytest.raises(Closed):
        client.spend(agent_id, "1")
    assert client.close_agent(agent_id, "retired").transfers == []
    assert client.ledger_check(full=True).balanced


def test_closing_a_pool_closes_its_agents_and_returns_everything_to_funding(client: SafeguardsClient) -> None:
    pool = client.create_budget_pool(unique("closing"), "500", priority=3)
    for name in ("one", "two"):
        client.register_agent(unique(name), pool.id, "LOW", "50")
    closed = client.close_pool(pool, "project ended")
    assert closed.agents_closed == 2 and closed.pool.closed_at is not None
    assert closed.transfer is not None and closed.transfer.amount == Decimal("500")
    assert all(agent.closed_at is not None for agent in client.list_agents(pool.id))
    with pytest.raises(Closed):
        client.top_up_pool(pool, "1", "too late")
    assert client.ledger_check(full=True).balanced
