"""``SafeguardsClient``: the node's HTTP API as Python methods, named as in the original library.

Every method sends one request (lists: one per page) and returns a record of
:mod:`safeguards_client.models`, or raises the :mod:`safeguards_client.errors` class of the
node's problem code. Mutating calls carry an idempotency key (the caller's, or a generated one)
that stays the same when the transport retries, so a retry never moves budget twice.
"""

from __future__ import annotations

import os
from datetime import timedelta
from types import TracebackType
from typing import Any, Dict, Iterator, Mapping, Optional, Type, Union

from .access import AccessMethods
from .federation import FederationMethods
from .models import Agent, AgentBudget, AgentClosed, AgentPriority, Alert, LedgerCheck, Pool, PoolClosed, PoolFunds, Transfer
from .reservation import Reservation
from .transport import RetryPolicy, Transport, tls_context
from .values import AmountLike, TimeLike, amount_text, id_of, metadata_body, path_segment, time_text

__all__ = ["SafeguardsClient"]

PoolRef = Union[str, Pool, Any]


class SafeguardsClient(FederationMethods, AccessMethods):
    """A client of one Safeguards node.

    Args:
        url: the node's API, ``http://host:port`` or ``https://host:port``.
        token: the admin token (``api.token``) or an API key.
        ca: for ``https://``, a CA file (PEM) to trust instead of the system's roots.
        client_cert: for a node that asks for client certificates, a certificate file (PEM)...
        client_key: ...and its key, unless it is in ``client_cert``.
        timeout: seconds to wait for a connection or an answer.
        retry: when to send a request again (default: up to 3 retries of transient failures,
            429 not retried; see :class:`~safeguards_client.transport.RetryPolicy`).

    A client keeps connections open (keep-alive); ``close()`` them, or use it in a ``with`` block.
    It may be shared by threads.
    """

    def __init__(
        self,
        url: str,
        token: str,
        ca: Optional[str] = None,
        *,
        client_cert: Optional[str] = None,
        client_key: Optional[str] = None,
        timeout: float = 30.0,
        retry: RetryPolicy = RetryPolicy(),
    ) -> None:
        context = tls_context(url, ca, client_cert, client_key)
        self._transport = Transport(url, token, context, timeout, retry)

    @classmethod
    def from_data_dir(cls, data_dir: str, **options: Any) -> "SafeguardsClient":
        """A client of the node whose data folder is ``data_dir``: its ``api-address`` and ``api-token`` files.

        ``SAFEGUARDS_API_TOKEN`` is used when the folder holds no token file.
        """
        with open(os.path.join(data_dir, "api-address"), encoding="utf-8") as file:
            address = file.read().strip()
        token_path = os.path.join(data_dir, "api-token")
        if os.path.exists(token_path):
            with open(token_path, encoding="utf-8") as file:
                token = file.read().strip()
        else:
            token = os.environ.get("SAFEGUARDS_API_TOKEN", "")
        url = address if "://" in address else f"http://{address}"
        return cls(url, token, **options)

    @property
    def url(self) -> str:
        """The node's API URL."""
        return self._transport.url

    def close(self) -> None:
        """Closes the idle connections."""
        self._transport.close()

    def __enter__(self) -> "SafeguardsClient":
        return self

    def __exit__(
        self, kind: Optional[Type[BaseException]], error: Optional[BaseException], trace: Optional[TracebackType],
    ) -> None:
        self.close()

    def health(self) -> Dict[str, Any]:
        """``{"status": "ok", "system_id": ...}``; needs no token."""
        return dict(self._transport.request("GET", "/healthz", authorized=False).body)

    # Pools and agents

    def create_budget_pool(
        self, name: str, initial_budget: AmountLike, priority: int, metadata: Optional[Mapping[str, str]] = None,
        budget_period: Optional[str] = None, period_timezone: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Pool:
        """Creates a pool (priority 1-10) funded with ``initial_budget``. Its id is ``.id``.
        ``budget_period`` (``"30d"``, ``"monthly"``...) returns its budget to the total at each
        boundary in ``period_timezone``.

        Raises:
            Conflict: a pool of that name exists (unless this is a retry with the same key).
            InvalidAmount: a malformed or negative budget.
        """
        body: Dict[str, Any] = {
            "name": name, "initial_budget": amount_text(initial_budget, "initial_budget"), "priority": priority,
        }
        if metadata is not None:
            body["metadata"] = metadata_body(metadata)
        _add_period(body, budget_period, period_timezone)
        return Pool.from_json(self._call("POST", "/v1/pools", body=self._with_key(body, idempotency_key)).body)

    def set_pool_period(self, pool_id: PoolRef, budget_period: Optional[str],
                        period_timezone: Optional[str] = None) -> Pool:
        """Sets or (with ``None``) removes the pool's budget period; a new period starts now.

        Raises:
            InvalidRequest: an unknown period or time zone. NotFound: no such pool.
        """
        body: Dict[str, Any] = {"budget_period": "none" if budget_period is None else budget_period}
        if period_timezone is not None:
            body["period_timezone"] = period_timezone
        path = f"/v1/pools/{path_segment(id_of(pool_id))}/period"
        return Pool.from_json(self._call("PUT", path, body=body).body)

    def get_pool(self, pool_id: PoolRef) -> Pool:
        """A pool and its balances. Raises ``NotFound``."""
        return Pool.from_json(self._call("GET", f"/v1/pools/{path_segment(id_of(pool_id))}").body)

    def list_pools(self, page_size: int = 100) -> Iterator[Pool]:
        """Every pool, by name (a generator over pages)."""
        return self._pages("/v1/pools", "pools", Pool.from_json, page_size)

    def top_up_pool(
        self, pool_id: PoolRef, amount: AmountLike, reason: str, idempotency_key: Optional[str] = None,
    ) -> PoolFunds:
        """Moves ``amount`` from ``funding`` into the pool's unallocated budget, with ``reason``.

        Raises:
            InvalidAmount: a zero, negative or malformed amount. Closed: the pool is closed.
            NotFound: no such pool. Conflict: the key was used with other fields.
        """
        return self._pool_funds(pool_id, "top-up", amount, reason, idempotency_key)

    def withdraw_from_pool(
        self, pool_id: PoolRef, amount: AmountLike, reason: str, idempotency_key: Optional[str] = None,
    ) -> PoolFunds:
        """Moves ``amount`` of the pool's unallocated budget back to ``funding``, with ``reason``.

        Raises:
            InsufficientBudget: the pool's unallocated budget is less than ``amount``.
            InvalidAmount: a zero, negative or malformed amount. Closed: the pool is closed.
        """
        return self._pool_funds(pool_id, "withdraw", amount, reason, idempotency_key)

    def _pool_funds(
        self, pool_id: PoolRef, action: str, amount: AmountLike, reason: str, idempotency_key: Optional[str],
    ) -> PoolFunds:
        body: Dict[str, Any] = {"amount": amount_text(amount, "amount"), "reason": reason}
        path = f"/v1/pools/{path_segment(id_of(pool_id))}/{action}"
        return PoolFunds.from_json(self._call("POST", path, body=self._with_key(body, idempotency_key)).body)

    def close_pool(self, pool_id: PoolRef, reason: str) -> PoolClosed:
        """Closes the pool and its open agents: their budgets return to the pool and the pool's
        to ``funding``, in one linked batch. Closing again moves nothing.

        Raises:
            ReservationsPending: a reservation of the pool's agents is pending. NotFound: no such pool.
        """
        path = f"/v1/pools/{path_segment(id_of(pool_id))}/close"
        return PoolClosed.from_json(self._call("POST", path, body={"reason": reason}).body)

    def register_agent(
        self, agent_id: str, pool_id: PoolRef, priority: Union[AgentPriority, str], initial_budget: AmountLike,
        budget_period: Optional[str] = None, period_timezone: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Agent:
        """Registers an agent in a pool, moving ``initial_budget`` from the pool to it.

        ``priority`` is ``CRITICAL``, ``HIGH``, ``MEDIUM``, ``LOW`` or ``MINIMAL``. On nodes with
        budget periods, ``budget_period`` (``"1d"``, ``"monthly"``...) resets the agent's budget
        at each boundary in ``period_timezone``.

        Raises:
            InsufficientBudget: the pool cannot cover ``initial_budget``.
            NotFound: no such pool. Conflict: the agent id is taken.
        """
        body: Dict[str, Any] = {
            "agent_id": agent_id, "pool_id": id_of(pool_id), "priority": _priority_text(priority),
            "initial_budget": amount_text(initial_budget, "initial_budget"),
        }
        _add_period(body, budget_period, period_timezone)
        return Agent.from_json(self._call("POST", "/v1/agents", body=self._with_key(body, idempotency_key)).body)

    def get_agent(self, agent_id: str) -> Agent:
        """An agent and its budget. Raises ``NotFound``."""
        return Agent.from_json(self._call("GET", f"/v1/agents/{path_segment(agent_id)}").body)

    def get_agent_budget(self, agent_id: str) -> AgentBudget:
        """An agent's budget: ``initial``, ``total``, ``available``, ``reserved``, ``spent``."""
        return self.get_agent(agent_id).budget

    def list_agents(self, pool_id: Optional[PoolRef] = None, page_size: int = 100) -> Iterator[Agent]:
        """Every agent (or those of one pool), by id (a generator over pages)."""
        query = [("pool_id", None if pool_id is None else id_of(pool_id))]
        return self._pages("/v1/agents", "agents", Agent.from_json, page_size, query=query)

    def update_agent_budget(
        self, agent_id: str, budget: AmountLike, reason: str, budget_period: Optional[str] = None,
        period_timezone: Optional[str] = None, idempotency_key: Optional[str] = None,
    ) -> Agent:
        """Sets the agent's total budget; the difference moves from or to its pool, with ``reason``.

        Raises:
            InsufficientBudget: the pool cannot cover a raise, or the agent has used more than the new budget.
        """
        body: Dict[str, Any] = {"budget": amount_text(budget, "budget"), "reason": reason}
        _add_period(body, budget_period, period_timezone)
        path = f"/v1/agents/{path_segment(agent_id)}/budget"
        return Agent.from_json(self._call("PUT", path, body=self._with_key(body, idempotency_key)).body)

    def close_agent(self, agent_id: str, reason: str) -> AgentClosed:
        """Closes the agent: its available budget returns to its pool (resource budgets to their
        funding), and it takes no more reservations or spends. Closing again moves nothing.

        Raises:
            ReservationsPending: the agent has a pending reservation. NotFound: no such agent.
        """
        path = f"/v1/agents/{path_segment(agent_id)}/close"
        return AgentClosed.from_json(self._call("POST", path, body={"reason": reason}).body)

    def set_rate_limit(
        self, agent_id: str, max_budget: AmountLike, time_window: Union[timedelta, int],
    ) -> Dict[str, Any]:
        """Allows the agent at most ``max_budget`` reserved or spent per sliding ``time_window``.

        Past it, ``reserve`` and ``spend`` raise ``RateLimited`` with ``retry_after``.
        """
        seconds = int(time_window.total_seconds()) if isinstance(time_window, timedelta) else int(time_window)
        body = {"max_budget": amount_text(max_budget, "max_budget"), "time_window_seconds": seconds}
        return dict(self._call("POST", f"/v1/agents/{path_segment(agent_id)}/rate-limit", body=body).body or {})

    def get_rate_limit(self, agent_id: str) -> Dict[str, Any]:
        """The agent's rate limit with what its window holds: ``max_budget``, ``time_window_seconds``,
        ``used`` and ``available``. Raises ``NotFound`` when the agent has no limit."""
        return dict(self._call("GET", f"/v1/agents/{path_segment(agent_id)}/rate-limit").body or {})

    def remove_rate_limit(self, agent_id: str) -> Dict[str, Any]:
        """Removes the agent's rate limit and returns it. Raises ``NotFound`` when it had none."""
        return dict(self._call("DELETE", f"/v1/agents/{path_segment(agent_id)}/rate-limit").body or {})

    def rate_limit_check(self, agent_id: str, amount: Optional[AmountLike] = None) -> Dict[str, Any]:
        """Whether ``amount`` (by default anything at all) would pass the agent's rate limit now:
        ``limited``, ``allowed`` and ``retry_after_seconds`` (0 when allowed, absent when never).
        Counts nothing."""
        query = [("amount", amount_text(amount, "amount") if amount is not None else None)]
        path = f"/v1/agents/{path_segment(agent_id)}/rate-limit/check"
        return dict(self._call("GET", path, query=query).body or {})

    def check_rate_limit(self, agent_id: str, amount: AmountLike) -> bool:
        """Whether ``amount`` would pass the agent's rate limit now (the original's ``check_rate_limit``)."""
        return bool(self.rate_limit_check(agent_id, amount).get("allowed"))

    def get_retry_after(self, agent_id: str, amount: Optional[AmountLike] = None) -> Optional[int]:
        """Seconds until ``amount`` (by default anything at all) would pass the agent's rate limit:
        0 when it passes now, ``None`` when it never can (more than the whole limit)."""
        return self.rate_limit_check(agent_id, amount).get("retry_after_seconds")

    # Spending

    def reserve(
        self, agent_id: str, amount: AmountLike, metadata: Optional[Mapping[str, str]] = None,
        timeout_seconds: Optional[int] = None, idempotency_key: Optional[str] = None,
    ) -> Reservation:
        """Holds ``amount`` of the agent's budget until it is settled or released.

        The answer is also a context manager that releases the hold if the block raises or
        leaves it unresolved: ``with client.reserve("coder", "2.0") as r: r.settle(cost)``.
        ``timeout_seconds``: when the node releases an unsettled hold (default: its
        ``reservations.default_timeout``).

        Raises:
            InsufficientBudget: the agent's available budget is short. RateLimited: over its rate limit.
        """
        body: Dict[str, Any] = {"amount": amount_text(amount)}
        if metadata is not None:
            body["metadata"] = metadata_body(metadata)
        if timeout_seconds is not None:
            body["timeout_seconds"] = int(timeout_seconds)
        path = f"/v1/agents/{path_segment(agent_id)}/reservations"
        return Reservation.from_json(self._call("POST", path, body=self._with_key(body, idempotency_key)).body, self)

    def settle(self, reservation_id: Union[str, Reservation], amount: AmountLike) -> Reservation:
        """Posts a reservation's real cost (> 0, at most what was reserved); the rest is released."""
        path = f"/v1/reservations/{path_segment(id_of(reservation_id))}/settle"
        return Reservation.from_json(self._call("POST", path, body={"amount": amount_text(amount)}).body, self)

    def release(self, reservation_id: Union[str, Reservation]) -> Reservation:
        """Releases a pending reservation in full."""
        path = f"/v1/reservations/{path_segment(id_of(reservation_id))}/release"
        return Reservation.from_json(self._call("POST", path).body, self)

    def get_reservation(self, reservation_id: Union[str, Reservation]) -> Reservation:
        """A reservation's current state."""
        path = f"/v1/reservations/{path_segment(id_of(reservation_id))}"
        return Reservation.from_json(self._call("GET", path).body, self)

    def spend(
        self, agent_id: str, amount: AmountLike, metadata: Optional[Mapping[str, str]] = None,
        idempotency_key: Optional[str] = None,
    ) -> Transfer:
        """Spends ``amount`` in one step (reserve and settle); returns the transfer.

        ``metadata`` (a string map: ``model``, ``input_tokens``...) is kept with the transfer on
        nodes that support it.

        Raises:
            InsufficientBudget: the agent's available budget is short. RateLimited: over its rate limit.
        """
        body: Dict[str, Any] = {"amount": amount_text(amount)}
        if metadata is not None:
            body["metadata"] = metadata_body(metadata)
        path = f"/v1/agents/{path_segment(agent_id)}/spend"
        return Transfer.from_json(self._call("POST", path, body=self._with_key(body, idempotency_key)).body)

    # The ledger

    def get_transfer(self, transfer_id: str) -> Transfer:
        """One ledger transfer (``spd:KEY``, ``rsv:KEY``, ``bud:KEY``, ``fund:<pool>``...)."""
        return Transfer.from_json(self._call("GET", f"/v1/transfers/{path_segment(transfer_id)}").body)

    def transfers(
        self, agent_id: Optional[str] = None, pool_id: Optional[PoolRef] = None, kind: Optional[str] = None,
        since: Optional[TimeLike] = None, until: Optional[TimeLike] = None, page_size: int = 100,
    ) -> Iterator[Transfer]:
        """The transfer history, newest first, filtered (AND), as a generator that follows the pages.

        ``kind``: ``spend``, ``reservation``, ``budget_update``, ``agent_allocation``...;
        ``since`` (inclusive) and ``until`` (exclusive) bound the creation time (aware
        ``datetime`` or RFC 3339). A walk sees every transfer that existed when it began exactly once.
        """
        query = [
            ("agent_id", agent_id), ("pool_id", None if pool_id is None else id_of(pool_id)), ("kind", kind),
            ("since", None if since is None else time_text(since, "since")),
            ("until", None if until is None else time_text(until, "until")),
        ]
        return self._pages("/v1/transfers", "transfers", Transfer.from_json, page_size, query=query)

    def alerts(self, agent_id: Optional[str] = None, page_size: int = 100) -> Iterator[Alert]:
        """Usage alerts (75% ``warning``, 90% ``critical``), newest first (a generator over pages)."""
        return self._pages("/v1/alerts", "alerts", Alert.from_json, page_size, query=[("agent_id", agent_id)])

    def ledger_check(self, full: bool = False) -> LedgerCheck:
        """The ledger's sums; ``balanced`` is the invariant every change keeps."""
        return LedgerCheck.from_json(self._call("GET", "/v1/ledger/check", query=[("full", full)]).body)


def _priority_text(priority: Union[AgentPriority, str]) -> str:
    return priority.value if isinstance(priority, AgentPriority) else str(priority)


def _add_period(body: Dict[str, Any], budget_period: Optional[str], period_timezone: Optional[str]) -> None:
    if budget_period is not None:
        body["budget_period"] = budget_period
    if period_timezone is not None:
        body["period_timezone"] = period_timezone
