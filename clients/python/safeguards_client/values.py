"""Conversions between Python values and the node's JSON: amounts, times, ids and metadata.

Money is exact. Amounts go to the node as decimal strings (``"12.5"``) and come back as
``decimal.Decimal``; a ``float`` is refused with ``TypeError``, since a binary float cannot
hold most decimal amounts (``0.1``) exactly. The node refuses, never rounds, more than six
decimals, so this module never rounds either.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Dict, Mapping, Optional, Union
from urllib.parse import quote

__all__ = ["AmountLike", "TimeLike", "amount_text", "parse_amount", "parse_time", "time_text"]

#: What the client takes as an amount: a ``Decimal``, a decimal string or an ``int``. Never a float.
AmountLike = Union[Decimal, str, int]
#: What the client takes as a time: an aware ``datetime`` or an RFC 3339 string.
TimeLike = Union[datetime, str]


def amount_text(value: AmountLike, name: str = "amount") -> str:
    """The decimal string the node reads for ``value``.

    Raises:
        TypeError: ``value`` is a float (or a bool, or not a number at all).
        ValueError: ``value`` is a ``Decimal`` NaN or infinity.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(
            f"{name} must be a decimal.Decimal, a string or an int, not {type(value).__name__} {value!r}: "
            "a float cannot hold an amount of money exactly (write Decimal(\"0.1\") or \"0.1\")")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{name} must be a finite amount, not {value}")
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    raise TypeError(f"{name} must be a decimal.Decimal, a string or an int, not {type(value).__name__}")


def parse_amount(value: Any) -> Decimal:
    """An amount the node wrote (a decimal string) as a ``Decimal``."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return Decimal(value)
    raise ValueError(f"not an amount: {value!r}")


def optional_amount(value: Any) -> Optional[Decimal]:
    """``parse_amount`` of a field that may be absent."""
    return None if value is None else parse_amount(value)


def parse_time(value: Any) -> Optional[datetime]:
    """A node timestamp (``2026-11-29T19:42:44.121Z``) as an aware ``datetime`` in UTC, or ``None``."""
    if value is None:
        return None
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)


def time_text(value: TimeLike, name: str) -> str:
    """RFC 3339 text of a time for a query or body, in the node's own form (UTC, milliseconds, ``Z``).

    The node keeps times to the millisecond, so finer fractions are cut, as the node would cut them.

    Raises:
        ValueError: a naive ``datetime`` (its zone would be a guess).
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be an aware datetime (with tzinfo), not a naive one")
        utc = value.astimezone(timezone.utc)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    if isinstance(value, str):
        return value
    raise TypeError(f"{name} must be a datetime or an RFC 3339 string, not {type(value).__name__}")


def metadata_body(metadata: Optional[Mapping[str, str]], name: str = "metadata") -> Optional[Dict[str, str]]:
    """A string-to-string map for the node, checked for types (the node checks sizes).

    Raises:
        TypeError: a key or value that is not a string.
    """
    if metadata is None:
        return None
    if not isinstance(metadata, Mapping):
        raise TypeError(f"{name} must be a mapping of strings to strings, not {type(metadata).__name__}")
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"{name} must map strings to strings; {key!r}: {value!r} is not")
    return dict(metadata)


def path_segment(value: str) -> str:
    """An id escaped for a URL path (``:`` kept, as the node's ids use it: ``rsv:job-42``)."""
    return quote(str(value), safe=":")


def id_of(value: Any, attribute: str = "id") -> str:
    """An id given as a string, or as a record that carries it (a ``Pool`` for a pool id)."""
    if isinstance(value, str):
        return value
    found = getattr(value, attribute, None)
    if isinstance(found, str):
        return found
    raise TypeError(f"expected an id string or a record with .{attribute}, not {type(value).__name__}")
