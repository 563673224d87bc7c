"""Amounts are exact: floats are refused before anything is sent, and answers are Decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import unique
from safeguards_client import SafeguardsClient


@pytest.mark.parametrize("call", [
    lambda c, agent, pool: c.spend(agent, 0.1),
    lambda c, agent, pool: c.reserve(agent, 1.5),
    lambda c, agent, pool: c.update_agent_budget(agent, 120.0, "float"),
    lambda c, agent, pool: c.create_budget_pool(unique("float"), 10.0, priority=1),
    lambda c, agent, pool: c.register_agent(unique("float"), pool.id, "LOW", 2.0),
    lambda c, agent, pool: c.spend(agent, True),
])
def test_floats_are_refused_and_nothing_moves(client: SafeguardsClient, funded_agent, call) -> None:
    pool, agent_id = funded_agent
    before = client.get_pool(pool.id), client.get_agent_budget(agent_id)
    with pytest.raises(TypeError, match="float|bool"):
        call(client, agent_id, pool)
    assert (client.get_pool(pool.id), client.get_agent_budget(agent_id)) == before


def test_a_settle_with_a_float_is_refused(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    with client.reserve(agent_id, "3") as held:
        with pytest.raises(TypeError):
            held.settle(1.0)
        assert held.refresh().state == "pending"


def test_decimals_in_any_notation_are_sent_exactly(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    assert client.spend(agent_id, Decimal("1E+1")).amount == Decimal("10")
    assert client.spend(agent_id, Decimal("0.000001")).amount == Decimal("0.000001")
    assert client.spend(agent_id, 3).amount == 3
    assert client.get_agent_budget(agent_id).spent == Decimal("13.000001")


def test_a_non_finite_decimal_is_refused(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    with pytest.raises(ValueError, match="finite"):
        client.spend(agent_id, Decimal("NaN"))


def test_amounts_come_back_as_decimals_not_floats(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    budget = client.get_agent_budget(agent_id)
    assert all(isinstance(value, Decimal) for value in vars(budget).values())
    assert client.spend(agent_id, "0.1").amount + client.spend(agent_id, "0.2").amount == Decimal("0.3")
