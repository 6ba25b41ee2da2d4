"""Canonical JSON and digests: the same data gives the same bytes on every machine."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from typing import Any

__all__ = ["canonical_bytes", "canonical_value", "decimal_text", "digest"]


def decimal_text(value: Decimal | int) -> str:
    """Write a decimal in its canonical form: no exponent, no trailing zeros, no negative zero.

    ``95.50`` and ``95.5`` are the same number and are written the same way, so that a digest
    never depends on how a value was computed.

    Example:
        >>> [decimal_text(Decimal(t)) for t in ("1E+2", "-0.00", "2.50", "749.7500")]
        ['100', '0', '2.5', '749.75']
    """
    if isinstance(value, int):
        return str(value)
    if value == 0:
        return "0"
    # string work only: normalize() would round to the caller's decimal context precision
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def canonical_value(value: Any) -> Any:
    """Convert to JSON-ready data: decimals and dates as strings, tuples as lists.

    Example:
        >>> canonical_value({"total": Decimal("97.50"), "rank": 2, "on": date(2022, 1, 31)})
        {'total': '97.5', 'rank': 2, 'on': '2022-01-31'}
    """
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, int):
        # JSON numbers are safe for integers a double holds exactly; larger ones become text
        return value if abs(value) < 2**53 else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): canonical_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical_value(v) for v in value]
    msg = f"cannot canonicalise {type(value).__name__}"
    raise TypeError(msg)


def canonical_bytes(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no insignificant whitespace, UTF-8, no floats."""
    return json.dumps(
        canonical_value(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def digest(value: Any) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``value``."""
    return "sha256:" + hashlib.sha256(canonical_bytes(value)).hexdigest()
