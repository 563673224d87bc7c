"""Fixtures: a real node process for the session, clients of it, and a two-node federation."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Dict, Iterator, Tuple

import pytest

from node_process import STARTED, NodeProcess, binary_path, free_port
from safeguards_client import Pool, SafeguardsClient

TOKEN = "pytest-admin-token-0123456789abcdef"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test's report carries the end of every node's log; a passing one shows none."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for node in STARTED:
            report.sections.append((f"log of node {node.system_id} ({node.log_path})", node.log()))


def unique(prefix: str) -> str:
    """A name no other test of the session uses (they share one node)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    """One node for the session, ended by its pid afterwards."""
    process = NodeProcess(tmp_path_factory.mktemp("node"), TOKEN)
    try:
        process.start()
        yield process
    finally:
        process.stop()


@pytest.fixture
def client(node: NodeProcess) -> Iterator[SafeguardsClient]:
    with SafeguardsClient(node.url, node.token) as safeguards:
        yield safeguards


@pytest.fixture
def funded_agent(client: SafeguardsClient) -> Tuple[Pool, str]:
    """A pool of 1000 and an agent in it with 100."""
    pool = client.create_budget_pool(unique("pool"), "1000", priority=5)
    agent_id = unique("agent")
    client.register_agent(agent_id, pool.id, "HIGH", "100")
    return pool, agent_id


class Federation:
    """Two nodes over mutual TLS with a CA and identities made by ``safeguards certs``.

    ``system_b`` lists ``system_a`` as a peer and offers it a credit line of 1000 (at most 100 per
    request); ``system_a`` starts without peers, so the tests register ``system_b`` on it.
    """

    OFFER = "1000"
    PER_REQUEST_CAP = "100"

    def __init__(self, root: Path) -> None:
        self.ca = root / "ca"
        binary = binary_path()
        subprocess.run([binary, "certs", "init-ca", "--dir", str(self.ca), "--name", "pytest federation CA"],
                       check=True, capture_output=True)
        for system in ("system_a", "system_b"):
            subprocess.run([binary, "certs", "issue", "--system-id", system, "--dir", str(self.ca)],
                           check=True, capture_output=True)
        self.ports = {system: free_port() for system in ("system_a", "system_b")}
        peer_a = (
            "  peers:\n"
            "    - system_id: system_a\n"
            f"      address: 127.0.0.1:{self.ports['system_a']}\n"
            "      trust_level: 0.8\n"
            f"      public_key: {self.public_key('system_a')}\n"
            "  offers:\n"
            f"    system_a: \"{self.OFFER}\"\n"
            "  settlement:\n"
            f"    per_request_cap: \"{self.PER_REQUEST_CAP}\"\n")
        self.nodes: Dict[str, NodeProcess] = {
            "system_a": NodeProcess(root / "system_a", TOKEN, "system_a", self._section("system_a")),
            "system_b": NodeProcess(root / "system_b", TOKEN, "system_b", self._section("system_b") + peer_a),
        }

    def public_key(self, system: str) -> str:
        return (self.ca / f"{system}.signing.pub").read_text().strip()

    def address(self, system: str) -> str:
        return f"127.0.0.1:{self.ports[system]}"

    def _section(self, system: str) -> str:
        return (
            "gossip:\n"
            "  interval: 200ms\n"
            "federation:\n"
            f"  listen: {self.address(system)}\n"
            f"  ca: {self.ca / 'ca.pem'}\n"
            f"  certificate: {self.ca / (system + '.pem')}\n"
            f"  private_key: {self.ca / (system + '.key')}\n"
            f"  signing_key: {self.ca / (system + '.signing.key')}\n"
            "  request_timeout: 5s\n")

    def client(self, system: str) -> SafeguardsClient:
        node = self.nodes[system]
        return SafeguardsClient(node.url, node.token)

    def stop(self) -> None:
        for node in self.nodes.values():
            node.stop()


@pytest.fixture(scope="session")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    setup = Federation(tmp_path_factory.mktemp("federation"))
    try:
        setup.nodes["system_b"].start()
        setup.nodes["system_a"].start()
        yield setup
    finally:
        setup.stop()
