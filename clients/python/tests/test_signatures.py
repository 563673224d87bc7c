"""``verify_webhook_signature``: HMAC-SHA256 of ``"<timestamp>.<body>"``, header ``sha256=<hex>``."""

from __future__ import annotations

import hashlib
import hmac

from safeguards_client import verify_webhook_signature, webhook_signature

SECRET = "whsec-test"
BODY = b'{"created_at":"2026-12-03T04:00:00.000Z","data":{"agent_id":"coder"},"id":"evt_1","type":"alert.warning"}'
TIMESTAMP = "1796270400"


def header(secret: str = SECRET, timestamp: str = TIMESTAMP, body: bytes = BODY) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def test_the_nodes_signature_is_accepted() -> None:
    assert webhook_signature(SECRET, TIMESTAMP, BODY) == header()
    assert verify_webhook_signature(SECRET, TIMESTAMP, BODY, header())
    assert verify_webhook_signature(SECRET.encode(), int(TIMESTAMP), BODY.decode(), header())


def test_another_secret_body_or_timestamp_is_refused() -> None:
    assert not verify_webhook_signature("other-secret", TIMESTAMP, BODY, header())
    assert not verify_webhook_signature(SECRET, TIMESTAMP, BODY.replace(b"coder", b"admin"), header())
    assert not verify_webhook_signature(SECRET, "1796270401", BODY, header())


def test_malformed_headers_are_refused() -> None:
    digest = header().split("=", 1)[1]
    for bad in (None, "", digest, "sha1=" + digest, "sha256=" + digest.upper(), header() + "00"):
        assert not verify_webhook_signature(SECRET, TIMESTAMP, BODY, bad)
    assert not verify_webhook_signature(SECRET, "not-a-time", BODY, header(timestamp="not-a-time"))


def test_a_tolerance_refuses_old_and_future_deliveries() -> None:
    sent = int(TIMESTAMP)
    assert verify_webhook_signature(SECRET, TIMESTAMP, BODY, header(), tolerance=300, now=sent + 300)
    assert not verify_webhook_signature(SECRET, TIMESTAMP, BODY, header(), tolerance=300, now=sent + 301)
    assert not verify_webhook_signature(SECRET, TIMESTAMP, BODY, header(), tolerance=300, now=sent - 301)
