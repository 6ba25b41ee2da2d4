"""Strict JSON: exact decimals, no key twice, no NaN, NFC texts, located errors.

The JSON reader of every document (submissions, reviews, cluster facts, data in memory):
numbers become exact ``Decimal`` (never ``float``), a key given twice (after Unicode
normalisation) is ``duplicate-key``, ``NaN``/``Infinity`` are ``number-format``, and a syntax
error is ``yaml-syntax`` with its line and column.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import Any

from emulation_rules._support.i18n import N_
from emulation_rules._support.text import json_integer, nfc
from emulation_rules.errors import Issue

__all__ = ["DuplicateKeyError", "parse_strict_json", "reject_duplicates"]


def reject_duplicates(
    pairs: list[tuple[str, Any]],
) -> dict[str, Any]:
    """``json.loads``' object hook: NFC keys (interned), a key twice is DuplicateKeyError."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        # "giá" typed composed and decomposed is the same key; interned, it is the very object
        # the guide's validation plan looks values up with (InputPlan), which is faster
        normal = sys.intern(nfc(key))
        if normal in result:
            msg = N_("key {key} appears twice").format(key=repr(normal))
            raise DuplicateKeyError(msg)
        result[normal] = value
    return result


class DuplicateKeyError(ValueError):
    """A key given twice in one JSON object (after Unicode normalisation)."""


def _bad_constant(text: str) -> Any:
    msg = N_("{text} is not a number; give a finite decimal").format(text=text)
    raise _ConstantError(msg)


class _ConstantError(ValueError):
    pass


def parse_strict_json(text: str, name: str) -> tuple[Any, list[Issue]]:
    """The data of JSON ``text`` and no issue, or ``None`` and the issue that stops it."""
    try:
        data = json.loads(
            text,
            object_pairs_hook=reject_duplicates,
            parse_float=Decimal,
            parse_int=json_integer,
            parse_constant=_bad_constant,
        )
    except DuplicateKeyError as exc:
        return None, [Issue("duplicate-key", str(exc), source=name)]
    except _ConstantError as exc:
        return None, [Issue("number-format", str(exc), source=name)]
    except json.JSONDecodeError as exc:
        return None, [
            Issue(
                "yaml-syntax",
                N_("invalid JSON: {problem}").format(problem=exc.msg),
                source=name,
                line=exc.lineno,
                column=exc.colno,
            )
        ]
    except (RecursionError, ValueError) as exc:
        return None, [Issue("too-deep", f"invalid JSON: {type(exc).__name__}", source=name)]
    return _nfc_strings(data), []


#: The problems of Python's JSON parser (``JSONDecodeError.msg``), for the catalogs: an
#: "invalid JSON" message quotes them as they are.
_JSON_PROBLEMS = (
    N_("Expecting value"),
    N_("Expecting property name enclosed in double quotes"),
    N_("Expecting ',' delimiter"),
    N_("Expecting ':' delimiter"),
    N_("Extra data"),
    N_("Unterminated string starting at"),
    N_("Invalid control character at"),
    N_("Illegal trailing comma before end of object"),
    N_("Illegal trailing comma before end of array"),
)


def _nfc_strings(data: Any) -> Any:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if isinstance(value, str):
                    item[key] = nfc(value)
                else:
                    stack.append(value)
        elif isinstance(item, list):
            for index, value in enumerate(item):
                if isinstance(value, str):
                    item[index] = nfc(value)
                else:
                    stack.append(value)
    return data
