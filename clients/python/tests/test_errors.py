"""Each refusal raises the class of the node's problem code, and changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import unique
from node_process import free_port
from safeguards_client import (
    Conflict, FederationDisabled, InsufficientBudget, InvalidAmount, InvalidRequest, NotFound, RateLimited,
    RetryPolicy, SafeguardsClient, SafeguardsConnectionError, SafeguardsError, Unauthorized,
)


def test_spending_more_than_is_available_raises_insufficient_budget(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    with pytest.raises(InsufficientBudget) as refused:
        client.spend(agent_id, "100.000001")
    assert refused.value.status == 402 and refused.value.code == "insufficient_budget"
    assert refused.value.body["code"] == "insufficient_budget" and refused.value.detail
    assert client.get_agent_budget(agent_id).available == 100
    with pytest.raises(InsufficientBudget):
        client.reserve(agent_id, "500")
    assert client.get_agent_budget(agent_id).reserved == 0


def test_an_unknown_agent_raises_not_found(client: SafeguardsClient) -> None:
    with pytest.raises(NotFound) as refused:
        client.get_agent(unique("nobody"))
    assert refused.value.status == 404
    with pytest.raises(NotFound):
        client.spend(unique("nobody"), "1")


def test_a_bad_amount_raises_invalid_amount_an_invalid_request(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    for text in ("abc", "1.0000001", "-3", "1e3"):
        with pytest.raises(InvalidRequest) as refused:
            client.spend(agent_id, text)
        assert isinstance(refused.value, InvalidAmount) and refused.value.code == "invalid_amount"
    assert client.get_agent_budget(agent_id).spent == 0


def test_a_malformed_request_raises_invalid_request(client: SafeguardsClient) -> None:
    with pytest.raises(InvalidRequest) as refused:
        client.create_budget_pool(unique("pool"), "1", priority=11)
    assert refused.value.code == "invalid_request" and not isinstance(refused.value, InvalidAmount)


def test_a_wrong_token_raises_unauthorized(node) -> None:
    with SafeguardsClient(node.url, "wrong-token") as stranger:
        with pytest.raises(Unauthorized) as refused:
            list(stranger.list_pools())
    assert refused.value.status == 401


def test_a_duplicate_pool_name_raises_conflict(client: SafeguardsClient) -> None:
    name = unique("twice")
    client.create_budget_pool(name, "1", priority=1)
    with pytest.raises(Conflict):
        client.create_budget_pool(name, "1", priority=1)


def test_over_a_rate_limit_raises_rate_limited_with_retry_after(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    client.set_rate_limit(agent_id, "5", 3600)
    client.spend(agent_id, "5")
    with pytest.raises(RateLimited) as refused:
        client.spend(agent_id, "1")
    assert refused.value.status == 429 and refused.value.retry_after is not None
    assert 0 < refused.value.retry_after <= 3600
    assert client.get_agent_budget(agent_id).spent == Decimal("5")


def test_a_rate_limit_is_checked_without_counting_shown_and_removed(client: SafeguardsClient, funded_agent) -> None:
    _, agent_id = funded_agent
    assert client.rate_limit_check(agent_id, "1000")["limited"] is False
    with pytest.raises(NotFound):
        client.get_rate_limit(agent_id)
    client.set_rate_limit(agent_id, "10", 3600)
    client.spend(agent_id, "6")
    for _ in range(3):
        assert client.check_rate_limit(agent_id, "4") is True
    assert client.get_retry_after(agent_id, "4") == 0
    assert client.check_rate_limit(agent_id, "5") is False
    assert 0 < client.get_retry_after(agent_id, "5") <= 3600
    assert client.get_retry_after(agent_id, "11") is None
    shown = client.get_rate_limit(agent_id)
    assert Decimal(shown["used"]) == Decimal("6") and Decimal(shown["available"]) == Decimal("4")
    assert Decimal(client.remove_rate_limit(agent_id)["max_budget"]) == Decimal("10")
    with pytest.raises(NotFound):
        client.remove_rate_limit(agent_id)
    client.spend(agent_id, "5")


def test_a_node_without_federation_raises_federation_disabled(client: SafeguardsClient) -> None:
    with pytest.raises(FederationDisabled) as refused:
        client.sync_status()
    assert isinstance(refused.value, Conflict) and refused.value.code == "federation_disabled"


def test_no_node_raises_a_connection_error_naming_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with SafeguardsClient(url, "token", retry=RetryPolicy(max_retries=1)) as nowhere:
        with pytest.raises(SafeguardsConnectionError) as failed:
            nowhere.health()
    assert url in str(failed.value) and failed.value.url == url
    assert isinstance(failed.value, ConnectionError) and isinstance(failed.value, SafeguardsError)


def test_a_bad_url_is_refused_before_any_request() -> None:
    with pytest.raises(ValueError, match="http"):
        SafeguardsClient("ftp://127.0.0.1:21", "token")
    with pytest.raises(ValueError, match="https"):
        SafeguardsClient("http://127.0.0.1:8080", "token", ca="/nonexistent/ca.pem")
