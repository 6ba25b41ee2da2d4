"""Canonical JSON and digests: the same data gives the same bytes on every machine.

Canonical data is what :func:`canonical_value` returns: dicts with ``str`` keys, lists, ``str``,
``bool``, ``None`` and integers a double holds exactly. Code that builds such data itself (the
result's ``to_dict``, the audit record) writes it with :func:`canonical_json_bytes` and
:func:`canonical_json_digest`, which do not walk it again. The public :func:`canonical_bytes`
and :func:`digest` accept any data: data that is canonical already is only checked (it is
written as it is), other data is canonicalised first.

Fast paths and their references, kept equal by ``tests/test_canonical.py`` (value for value,
type for type, byte for byte, on random data and on every shipped example's result and
record):

- The JSON writer (:func:`canonical_json_text`, indented JSON of plain data) / ``json.dumps``
  with the same arguments: data that is not plain, or too deep, is left to ``json.dumps``
  itself (by design, not counted: the reference is then what runs).
- :func:`canonical_value` by type, and canonical data written without a second walk / the
  project's earlier ``isinstance`` walk, kept verbatim in the test as the oracle.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

__all__ = [
    "canonical_bytes",
    "canonical_dict",
    "canonical_json_bytes",
    "canonical_json_digest",
    "canonical_json_text",
    "canonical_value",
    "decimal_text",
    "digest",
    "exact_decimal_text",
]

#: JSON numbers are safe for integers a double holds exactly; larger ones become text.
_SAFE_INT = 2**53

#: The canonical text of decimals already written, by value. The text depends on the value only
#: (``95.50`` and ``95.5`` are equal, hash alike and are written alike), and scores repeat a few
#: values many times. Bounded: cleared when full.
_TEXTS: dict[Decimal, str] = {}
_TEXTS_MAX = 65536


def _decimal_text(value: Decimal) -> str:
    if value == 0:
        return "0"
    # string work only: normalize() would round to the caller's decimal context precision
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def exact_decimal_text(value: Decimal) -> str:
    """:func:`decimal_text` of a value whose type is exactly ``Decimal`` (through the cache)."""
    try:
        return _TEXTS[value]
    except KeyError:
        pass
    except TypeError:  # a signalling NaN cannot be hashed
        return _decimal_text(value)
    text = _decimal_text(value)
    if value.is_finite():  # NaN is never equal to itself: no use keeping it
        if len(_TEXTS) >= _TEXTS_MAX:
            _TEXTS.clear()
        _TEXTS[value] = text
    return text


def decimal_text(value: Decimal | int) -> str:
    """Write a decimal in its canonical form: no exponent, no trailing zeros, no negative zero.

    ``95.50`` and ``95.5`` are the same number and are written the same way, so that a digest
    never depends on how a value was computed.

    Example:
        >>> [decimal_text(Decimal(t)) for t in ("1E+2", "-0.00", "2.50", "749.7500")]
        ['100', '0', '2.5', '749.75']
    """
    if type(value) is Decimal:
        return exact_decimal_text(value)
    if isinstance(value, int):
        return str(value)
    return _decimal_text(value)


def canonical_value(value: Any) -> Any:
    """Convert to JSON-ready data: decimals and dates as strings, tuples as lists.

    Example:
        >>> canonical_value({"total": Decimal("97.50"), "rank": 2, "on": date(2022, 1, 31)})
        {'total': '97.5', 'rank': 2, 'on': '2022-01-31'}
    """
    # the common types by their exact type, in one step each; subclasses take the general way
    cls = type(value)
    if cls is str or value is None or cls is bool:
        return value
    if cls is Decimal:
        return exact_decimal_text(value)
    if cls is dict:
        return canonical_dict(value)
    if cls is list or cls is tuple:
        return _canonical_list(value)
    if cls is int:
        return value if -_SAFE_INT < value < _SAFE_INT else str(value)
    return _canonical_other(value)


def canonical_dict(value: dict[Any, Any]) -> dict[str, Any]:
    """:func:`canonical_value` of a value whose type is exactly ``dict``."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        text = key if type(key) is str else str(key)
        cls = type(item)
        if cls is str or item is None or cls is bool:
            out[text] = item
        elif cls is Decimal:
            out[text] = exact_decimal_text(item)
        elif cls is int and -_SAFE_INT < item < _SAFE_INT:
            out[text] = item
        else:
            out[text] = canonical_value(item)
    return out


def _canonical_list(value: list[Any] | tuple[Any, ...]) -> list[Any]:
    out: list[Any] = []
    append = out.append
    for item in value:
        cls = type(item)
        if cls is str or item is None or cls is bool:
            append(item)
        elif cls is Decimal:
            append(exact_decimal_text(item))
        elif cls is int and -_SAFE_INT < item < _SAFE_INT:
            append(item)
        else:
            append(canonical_value(item))
    return out


def _canonical_other(value: Any) -> Any:
    """Subclasses of the canonical types (and dates), by ``isinstance``."""
    if isinstance(value, bool | str):
        return value
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, int):
        return value if abs(value) < _SAFE_INT else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): canonical_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical_value(v) for v in value]
    msg = f"cannot canonicalise {type(value).__name__}"
    raise TypeError(msg)


def canonical_json_bytes(data: Any) -> bytes:
    """Canonical JSON of data that is canonical already (as :func:`canonical_value` returns).

    It is not walked again: ``canonical_json_bytes(canonical_value(x)) == canonical_bytes(x)``.
    The data must hold no reference cycle (canonical data never does).
    """
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
    ).encode("utf-8")


def canonical_json_digest(data: Any) -> str:
    """``sha256:<hex>`` of :func:`canonical_json_bytes` (data canonical already)."""
    return "sha256:" + hashlib.sha256(canonical_json_bytes(data)).hexdigest()


def canonical_bytes(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no insignificant whitespace, UTF-8, no floats."""
    # data that is canonical already (a record read back, a result's to_dict) is only checked:
    # canonical_value would return an equal copy of it, with the same types
    return canonical_json_bytes(value if _is_canonical(value) else canonical_value(value))


def digest(value: Any) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``value``."""
    return "sha256:" + hashlib.sha256(canonical_bytes(value)).hexdigest()


def _is_canonical(value: Any) -> bool:
    """Whether ``canonical_value(value)`` would return an equal copy with the same types.

    Only exact types count (dicts with ``str`` keys, lists, ``str``, ``bool``, ``None``, safe
    ``int``); anything else, subclasses included, is left to :func:`canonical_value`.
    """
    cls = type(value)
    if cls is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            cls = type(item)
            if cls is str or item is None or cls is bool:
                continue
            if cls is int:
                if -_SAFE_INT < item < _SAFE_INT:
                    continue
                return False
            if (cls is dict or cls is list) and _is_canonical(item):
                continue
            return False
        return True
    if cls is list:
        for item in value:
            cls = type(item)
            if cls is str or item is None or cls is bool:
                continue
            if cls is int:
                if -_SAFE_INT < item < _SAFE_INT:
                    continue
                return False
            if (cls is dict or cls is list) and _is_canonical(item):
                continue
            return False
        return True
    if cls is int:
        return bool(-_SAFE_INT < value < _SAFE_INT)
    return cls is str or value is None or cls is bool


class _NotPlain(Exception):  # noqa: N818 - internal signal, never escapes
    """The data holds something :func:`canonical_json_text` leaves to the json module."""


def canonical_json_text(data: Any, indent: int | str | None, separators: tuple[str, str]) -> str:
    """``json.dumps(data, ensure_ascii=False, sort_keys=True, indent=..., separators=...)``.

    The same text, written faster for indented output of plain data (dicts with ``str`` keys,
    lists, tuples, ``str``, ``int``, ``bool``, ``None``): the json module writes indented JSON
    in pure Python, token by token. Anything else is left to the json module.
    """
    if indent is not None:
        try:
            return _indented(data, indent, separators)
        except (_NotPlain, RecursionError):
            pass
    return json.dumps(
        data, ensure_ascii=False, sort_keys=True, indent=indent, separators=separators
    )


def _indented(data: Any, indent: int | str, separators: tuple[str, str]) -> str:
    """Indented JSON of plain data, as the json module writes it; raises :class:`_NotPlain`.

    What repeats is written once: the JSON text of each string, and for each indentation and
    set of keys, the keys in sorted order with the text that leads each one in.
    """
    step = indent if isinstance(indent, str) else " " * indent
    item_separator, key_separator = separators
    chunks: list[str] = []
    append = chunks.append
    texts: dict[str, str] = {}
    #: indentation → keys of a dict (in its order) → [(key, text before its value)], sorted
    plans: dict[str, dict[tuple[str, ...], list[tuple[str, str]]]] = {}

    def scalar(value: Any) -> str:
        # the json module's order of checks
        if isinstance(value, str):
            return encode_basestring(value)
        if value is None:
            return "null"
        if value is True:
            return "true"
        if value is False:
            return "false"
        if isinstance(value, int):
            return int.__repr__(value)
        raise _NotPlain  # a float, or what the json module would refuse

    def write_list(value: list[Any] | tuple[Any, ...], newline: str) -> None:
        if not value:
            append("[]")
            return
        inner = newline + step
        separator = item_separator + inner
        append("[" + inner)
        first = True
        for item in value:
            if first:
                first = False
            else:
                append(separator)
            cls = type(item)
            if cls is str:
                text = texts.get(item)
                if text is None:
                    text = texts[item] = encode_basestring(item)
                append(text)
            elif cls is dict:
                write_dict(item, inner)
            elif cls is list:
                write_list(item, inner)
            else:
                write_any(item, inner)
        append(newline + "]")

    def write_dict(value: dict[Any, Any], newline: str) -> None:
        if not value:
            append("{}")
            return
        inner = newline + step
        shapes = plans.get(inner)
        if shapes is None:
            shapes = plans[inner] = {}
        keys = tuple(value)
        plan = shapes.get(keys)
        if plan is None:
            if any(type(key) is not str for key in keys):
                raise _NotPlain
            separator = item_separator + inner
            plan = shapes[keys] = [
                (
                    key,
                    ("{" + inner if n == 0 else separator) + encode_basestring(key) + key_separator,
                )
                for n, key in enumerate(sorted(keys))
            ]
        for key, lead in plan:
            append(lead)
            item = value[key]
            cls = type(item)
            if cls is str:
                text = texts.get(item)
                if text is None:
                    text = texts[item] = encode_basestring(item)
                append(text)
            elif cls is dict:
                write_dict(item, inner)
            elif cls is list:
                write_list(item, inner)
            else:
                write_any(item, inner)
        append(newline + "}")

    def write_any(value: Any, newline: str) -> None:
        cls = type(value)
        if cls is dict:
            write_dict(value, newline)
        elif isinstance(value, list | tuple):
            write_list(value, newline)  # the json module iterates them alike
        elif isinstance(value, dict):
            raise _NotPlain  # a dict subclass: its own items() decides
        else:
            append(scalar(value))

    write_any(data, "\n")
    return "".join(chunks)
