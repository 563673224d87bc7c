"""``transfers()`` follows the pages of the history; its filters reach the node."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from conftest import unique
from safeguards_client import SafeguardsClient


def count_pages(client: SafeguardsClient, path: str) -> list:
    """Records every request the client makes to ``path`` (its query included)."""
    seen = []
    original = client._call

    def spy(method, target, **options):
        if target == path:
            seen.append(dict((name, value) for name, value in options.get("query") or () if value is not None))
        return original(method, target, **options)

    client._call = spy
    return seen


def test_transfers_are_walked_across_several_pages(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    spent = [client.spend(agent_id, f"0.{index + 1:02d}").id for index in range(23)]
    pages = count_pages(client, "/v1/transfers")
    walked = list(client.transfers(agent_id=agent_id, kind="spend", page_size=5))
    assert [t.id for t in walked] == list(reversed(spent))
    assert len(pages) == 5
    assert pages[0] == {"agent_id": agent_id, "kind": "spend", "limit": 5}
    assert all(page["after"] for page in pages[1:])


def test_the_generator_fetches_a_page_only_when_it_is_needed(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    for _ in range(4):
        client.spend(agent_id, "1")
    pages = count_pages(client, "/v1/transfers")
    walk = client.transfers(agent_id=agent_id, page_size=2)
    assert pages == []
    next(walk)
    assert len(pages) == 1


def test_filters_by_pool_and_time(client: SafeguardsClient, funded_agent) -> None:
    pool, agent_id = funded_agent
    client.spend(agent_id, "1")
    kinds = {t.metadata["kind"] for t in client.transfers(pool_id=pool)}
    assert kinds == {"pool_funding", "agent_allocation", "spend"}
    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
    assert list(client.transfers(agent_id=agent_id, since=tomorrow)) == []
    assert len(list(client.transfers(agent_id=agent_id, until=tomorrow.isoformat()))) == 2


def test_a_naive_time_is_refused(client: SafeguardsClient) -> None:
    with pytest.raises(ValueError, match="aware"):
        list(client.transfers(since=datetime(2026, 12, 1)))


def test_other_lists_page_too(client: SafeguardsClient) -> None:
    pool = client.create_budget_pool(unique("paged"), "100", priority=3)
    agents = sorted(unique("a") for _ in range(5))
    for agent_id in agents:
        client.register_agent(agent_id, pool.id, "MEDIUM", "1")
    pages = count_pages(client, "/v1/agents")
    assert [a.agent_id for a in client.list_agents(pool_id=pool.id, page_size=2)] == agents
    assert len(pages) == 3
