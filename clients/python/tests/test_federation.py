"""Federation methods against two node processes over mutual TLS (``system_a`` asks, ``system_b`` gives)."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Callable, Iterator, TypeVar

import pytest

from conftest import Federation, unique
from safeguards_client import (
    FederatedPool, Peer, RemoteBudgetRejected, SafeguardsClient, UnknownPeer,
)

T = TypeVar("T")


def eventually(read: Callable[[], T], done: Callable[[T], bool], attempts: int = 300) -> T:
    """``read()`` until ``done`` holds for its value (every 100 ms, at most ``attempts`` times)."""
    for _ in range(attempts):
        value = read()
        if done(value):
            return value
        time.sleep(0.1)
    raise AssertionError(f"never reached: {value!r}")


@pytest.fixture(scope="module")
def side_a(federation: Federation) -> Iterator[SafeguardsClient]:
    with federation.client("system_a") as client:
        yield client


@pytest.fixture(scope="module")
def side_b(federation: Federation) -> Iterator[SafeguardsClient]:
    with federation.client("system_b") as client:
        yield client


@pytest.fixture(scope="module")
def peer_b(federation: Federation, side_a: SafeguardsClient) -> Peer:
    return side_a.register_remote_system(
        "system_b", federation.address("system_b"), federation.public_key("system_b"), Decimal("0.8"))


@pytest.fixture(scope="module")
def shared_pool(side_a: SafeguardsClient, peer_b: Peer) -> FederatedPool:
    pool = side_a.create_federated_pool(unique("cross_system_pool"), "100", {"system_b": Decimal("500")}, priority=8)
    if pool.grants["system_b"].status == "pending":
        pool = eventually(lambda: side_a.get_federated_pool(pool.pool_id),
                          lambda p: p.grants["system_b"].status != "pending")
    return pool


def test_a_remote_system_is_registered_and_listed(federation: Federation, side_a: SafeguardsClient, peer_b) -> None:
    assert peer_b.system_id == "system_b" and peer_b.address == federation.address("system_b")
    assert peer_b.trust_level == Decimal("0.8") and peer_b.source == "api"
    assert side_a.get_peer("system_b").public_key == federation.public_key("system_b")
    assert [p.system_id for p in side_a.list_peers()] == ["system_b"]
    assert side_a.ping_peer("system_b")["system_id"] == "system_b"
    with pytest.raises(UnknownPeer):
        side_a.get_peer("system_z")


def test_a_federated_pool_is_granted_by_the_peer(side_a: SafeguardsClient, shared_pool: FederatedPool) -> None:
    grant = shared_pool.grants["system_b"]
    assert grant.status == "accepted" and grant.requested == 500 and grant.granted == 500
    assert shared_pool.pool.total == 100
    assert side_a.get_federated_pool(shared_pool.pool_id).grants["system_b"].granted == 500


def test_remote_budget_is_granted_under_one_transaction_id_on_both_sides(
    side_a: SafeguardsClient, side_b: SafeguardsClient, shared_pool: FederatedPool,
) -> None:
    agent_id = unique("planner")
    side_a.register_agent(agent_id, shared_pool, "CRITICAL", "10")
    transaction_id = side_a.request_remote_budget(agent_id, "system_b", Decimal("20"), metadata={"purpose": "pytest"})
    mine = eventually(lambda: side_a.get_federation_transaction(transaction_id), lambda t: t.status != "pending")
    assert mine.status == "accepted" and mine.amount == 20 and mine.direction == "outgoing"
    theirs = side_b.get_federation_transaction(transaction_id)
    assert (theirs.status, theirs.amount, theirs.direction) == ("accepted", Decimal("20"), "incoming")
    assert side_a.get_agent_budget(agent_id).total == 30
    assert transaction_id in [t.transaction_id for t in side_a.federation_transactions(peer="system_b", page_size=1)]

    returned = side_a.return_remote_budget(agent_id, "system_b", "5")
    back = eventually(lambda: side_a.get_federation_transaction(returned), lambda t: t.status != "pending")
    assert back.status == "returned" and side_a.get_agent_budget(agent_id).total == 25


def test_a_request_over_the_givers_cap_is_rejected_and_moves_nothing(
    side_a: SafeguardsClient, shared_pool: FederatedPool,
) -> None:
    agent_id = unique("greedy")
    side_a.register_agent(agent_id, shared_pool.pool_id, "HIGH", "1")
    with pytest.raises(RemoteBudgetRejected) as refused:
        side_a.request_remote_budget(agent_id, "system_b", Decimal(Federation.PER_REQUEST_CAP) + 1)
    assert refused.value.reason == "over_request_cap" and refused.value.code == "over_request_cap"
    assert side_a.get_federation_transaction(refused.value.transaction_id).status == "rejected"
    assert side_a.get_agent_budget(agent_id).total == 1


def test_synchronize_and_sync_status_report_the_peer(side_a: SafeguardsClient, peer_b: Peer) -> None:
    results = side_a.synchronize()
    assert results["system_b"].success, results["system_b"].error
    assert results["system_b"].last_sync is not None
    status = eventually(side_a.sync_status, lambda s: getattr(s.peer("system_b"), "state", None) == "alive")
    assert status.system_id == "system_a"
    peer = status.peer("system_b")
    assert peer.trust_level == Decimal("0.8") and peer.last_sync is not None
