"""``https://`` with ``ca=`` and client certificates, against a TLS front of the node.

The node's API speaks plain HTTP in this version; a TLS proxy with certificates made by
``safeguards certs`` stands in for a node with ``api.tls`` (or for a TLS-terminating proxy).
"""

from __future__ import annotations

import ssl
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Dict

import pytest

from fault_proxy import FaultProxy
from node_process import binary_path
from safeguards_client import RetryPolicy, SafeguardsClient, SafeguardsConnectionError


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    """A CA with a server certificate for ``localhost`` and a client certificate, and a CA nobody trusts."""
    root = tmp_path_factory.mktemp("tls")
    binary = binary_path()
    for folder, name in (("ca", "pytest API CA"), ("other", "pytest untrusted CA")):
        subprocess.run([binary, "certs", "init-ca", "--dir", str(root / folder), "--name", name],
                       check=True, capture_output=True)
    for folder, system in (("ca", "localhost"), ("ca", "client_one"), ("other", "client_two")):
        subprocess.run([binary, "certs", "issue", "--system-id", system, "--dir", str(root / folder)],
                       check=True, capture_output=True)
    return {
        "ca": root / "ca" / "ca.pem", "server_cert": root / "ca" / "localhost.pem",
        "server_key": root / "ca" / "localhost.key", "client_cert": root / "ca" / "client_one.pem",
        "client_key": root / "ca" / "client_one.key", "stranger_cert": root / "other" / "client_two.pem",
        "stranger_key": root / "other" / "client_two.key",
    }


def server_context(files: Dict[str, Path], require_client_certificate: bool = False) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files["server_cert"], files["server_key"])
    if require_client_certificate:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(files["ca"])
    return context


def test_https_with_the_ca_reaches_the_node(node, certificates, funded_agent) -> None:
    _, agent_id = funded_agent
    with FaultProxy(node.url, [], tls=server_context(certificates)) as front:
        with SafeguardsClient(front.url, node.token, ca=str(certificates["ca"])) as client:
            assert client.url.startswith("https://localhost:")
            assert client.spend(agent_id, "1.5").amount == Decimal("1.5")
            assert client.get_agent_budget(agent_id).spent == Decimal("1.5")


def test_a_server_the_ca_does_not_vouch_for_is_refused_at_once(node, certificates) -> None:
    with FaultProxy(node.url, [], tls=server_context(certificates)) as front:
        with SafeguardsClient(front.url, node.token) as client:
            with pytest.raises(SafeguardsConnectionError) as failed:
                client.health()
    assert front.url in str(failed.value) and isinstance(failed.value.cause, ssl.SSLError)
    assert front.seen == []


def test_a_client_certificate_is_presented_when_the_server_asks(node, certificates) -> None:
    with FaultProxy(node.url, [], tls=server_context(certificates, require_client_certificate=True)) as front:
        with SafeguardsClient(
            front.url, node.token, ca=str(certificates["ca"]), client_cert=str(certificates["client_cert"]),
            client_key=str(certificates["client_key"]),
        ) as client:
            assert client.health()["status"] == "ok"
        for cert, key in ((None, None), (certificates["stranger_cert"], certificates["stranger_key"])):
            with SafeguardsClient(
                front.url, node.token, ca=str(certificates["ca"]), client_cert=cert and str(cert),
                client_key=key and str(key), retry=RetryPolicy(max_retries=1),
            ) as refused:
                with pytest.raises(SafeguardsConnectionError):
                    refused.health()
    assert len(front.seen) == 1
