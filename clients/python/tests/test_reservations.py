"""``reserve`` as a context manager: settled inside, released when the block raises or leaves it open."""

from __future__ import annotations

from decimal import Decimal

import pytest

from safeguards_client import Conflict, SafeguardsClient


class ToolFailed(Exception):
    pass


def test_a_reservation_settled_in_the_block_stays_settled(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    with client.reserve(agent_id, "2.0") as r:
        assert client.get_agent_budget(agent_id).reserved == Decimal("2")
        r.settle(Decimal("1.25"))
        assert r.state == "posted" and r.settled_amount == Decimal("1.25")
    assert client.get_reservation(r.id).state == "posted"
    budget = client.get_agent_budget(agent_id)
    assert (budget.available, budget.reserved, budget.spent) == (Decimal("98.75"), 0, Decimal("1.25"))


def test_a_block_that_raises_releases_the_reservation(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    with pytest.raises(ToolFailed):
        with client.reserve(agent_id, "30") as r:
            assert client.get_agent_budget(agent_id).available == 70
            raise ToolFailed("the model call failed")
    assert r.state == "voided"
    assert client.get_reservation(r.id).state == "voided"
    budget = client.get_agent_budget(agent_id)
    assert (budget.available, budget.reserved, budget.spent) == (Decimal("100"), 0, 0)


def test_a_block_that_neither_settles_nor_releases_gives_the_hold_back(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    with client.reserve(agent_id, "7") as r:
        pass
    assert client.get_reservation(r.id).state == "voided"
    assert client.get_agent_budget(agent_id).available == 100


def test_a_block_that_released_explicitly_is_left_as_it_is(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    with client.reserve(agent_id, "7") as r:
        r.release()
    assert r.state == "voided" and client.get_agent_budget(agent_id).available == 100


def test_a_reservation_settled_through_the_client_is_not_released(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    with client.reserve(agent_id, "4") as r:
        client.settle(r.reservation_id, "4")
    assert client.get_reservation(r.id).state == "posted"
    assert client.get_agent_budget(agent_id).spent == 4


def test_a_block_that_raises_after_settling_keeps_the_settlement(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    with pytest.raises(ToolFailed):
        with client.reserve(agent_id, "5") as r:
            r.settle("5")
            raise ToolFailed("after the cost was known")
    assert client.get_reservation(r.id).state == "posted"
    assert client.get_agent_budget(agent_id).spent == 5


def test_settling_a_released_reservation_is_a_conflict(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    r = client.reserve(agent_id, "1")
    r.release()
    with pytest.raises(Conflict):
        r.settle("1")
    assert client.get_agent_budget(agent_id).spent == 0
