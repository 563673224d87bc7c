"""Checking that a webhook delivery came from the node: ``Safeguards-Signature`` verification.

The node signs each delivery with the subscription's secret: the header
``Safeguards-Signature: sha256=<hex>`` is HMAC-SHA256 of ``"<timestamp>.<body>"``, where
``timestamp`` is the ``Safeguards-Timestamp`` header (unix seconds) and ``body`` the raw request
body, byte for byte as received (never re-encoded JSON).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Optional, Union

__all__ = ["verify_webhook_signature", "webhook_signature"]


def webhook_signature(secret: Union[str, bytes], timestamp: Union[str, int], body: Union[str, bytes]) -> str:
    """The ``Safeguards-Signature`` header value for a delivery (``sha256=<hex>``)."""
    key = secret.encode() if isinstance(secret, str) else secret
    payload = str(timestamp).encode() + b"." + (body.encode() if isinstance(body, str) else body)
    return "sha256=" + hmac.new(key, payload, hashlib.sha256).hexdigest()


def verify_webhook_signature(
    secret: Union[str, bytes],
    timestamp: Union[str, int],
    body: Union[str, bytes],
    signature_header: Optional[str],
    tolerance: Optional[float] = None,
    now: Optional[float] = None,
) -> bool:
    """Whether ``signature_header`` is the node's signature of this delivery.

    The comparison is constant-time. With ``tolerance`` (seconds), a delivery whose timestamp is
    further than that from ``now`` (default: the current time) is refused too, so a captured
    delivery cannot be replayed later.
    """
    if not signature_header:
        return False
    try:
        sent = int(str(timestamp).strip())
    except ValueError:
        return False
    if tolerance is not None:
        current = time.time() if now is None else now
        if abs(current - sent) > tolerance:
            return False
    expected = webhook_signature(secret, str(timestamp).strip(), body)
    return hmac.compare_digest(expected.encode(), signature_header.strip().encode())
