"""The function table: the only functions an expression may call, and the arithmetic helpers.

Both evaluators use these same implementations: the closures (:mod:`.closures`), simpleeval
(:mod:`.reference`) and the generated code (:mod:`emulation_rules.engine.codegen`), so a
function or a division can never mean two things.
"""

from __future__ import annotations

import ast
import decimal
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from emulation_rules.compiler.sandbox.expression import ExprType

__all__ = ["COMPARISONS", "FUNCTIONS", "ROUNDING_MODES", "Function", "divide", "number_value"]

#: Rounding modes accepted by ``round(x, places, mode)``.
ROUNDING_MODES: dict[str, str] = {
    "half_up": decimal.ROUND_HALF_UP,
    "half_even": decimal.ROUND_HALF_EVEN,
    "half_down": decimal.ROUND_HALF_DOWN,
    "up": decimal.ROUND_UP,
    "down": decimal.ROUND_DOWN,
    "ceiling": decimal.ROUND_CEILING,
    "floor": decimal.ROUND_FLOOR,
}


def _round(value: Decimal, places: int | Decimal = 0, mode: str = "half_up") -> Decimal:
    exponent = Decimal(1).scaleb(-int(places))
    return Decimal(value).quantize(exponent, rounding=ROUNDING_MODES[mode])


def _clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, value))


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return divide(Decimal(part) * 100, whole)


def _ratio(part: Decimal, whole: Decimal) -> Decimal:
    return divide(part, whole)


def _floor(value: Decimal) -> Decimal:
    return Decimal(value).to_integral_value(rounding=decimal.ROUND_FLOOR)


def _ceil(value: Decimal) -> Decimal:
    return Decimal(value).to_integral_value(rounding=decimal.ROUND_CEILING)


def _days_between(start: date, end: date) -> Decimal:
    return Decimal((end - start).days)


def _date(text: str) -> date:
    return date.fromisoformat(text)


def _min(*values: Decimal) -> Decimal:
    return min(values)


def _max(*values: Decimal) -> Decimal:
    return max(values)


def _abs(value: Decimal) -> Decimal:
    return abs(value)


@dataclass(frozen=True, slots=True)
class Function:
    """A function of the guide language: its implementation and its signature."""

    impl: Callable[..., Any]
    args: tuple[ExprType, ...]
    returns: ExprType
    #: Whether the last argument type repeats (min, max).
    variadic: bool = False
    #: How many trailing arguments are optional.
    optional: int = 0
    doc: str = ""


#: The functions expressions may call. Nothing else is callable.
FUNCTIONS: dict[str, Function] = {
    "min": Function(_min, ("number", "number"), "number", variadic=True, doc="smallest value"),
    "max": Function(_max, ("number", "number"), "number", variadic=True, doc="largest value"),
    "abs": Function(_abs, ("number",), "number", doc="absolute value"),
    "clamp": Function(_clamp, ("number", "number", "number"), "number", doc="clamp(x, low, high)"),
    "ratio": Function(_ratio, ("number", "number"), "number", doc="ratio(part, whole)"),
    "percent": Function(
        _percent, ("number", "number"), "number", doc="percent(part, whole) = part*100/whole"
    ),
    "round": Function(
        _round,
        ("number", "number", "text"),
        "number",
        optional=2,
        doc="round(x, places=0, mode='half_up')",
    ),
    "floor": Function(_floor, ("number",), "number", doc="largest integer ≤ x"),
    "ceil": Function(_ceil, ("number",), "number", doc="smallest integer ≥ x"),
    "days_between": Function(
        _days_between, ("date", "date"), "number", doc="days_between(start, end) = end - start"
    ),
    "date": Function(_date, ("text",), "date", doc="date('YYYY-MM-DD'), a literal date"),
    "score": Function(
        lambda _ident: Decimal(0), ("text",), "number", doc="score('a1.2'): another criterion"
    ),
}


def divide(left: Decimal, right: Decimal) -> Decimal:
    """``left / right`` exactly; a zero divisor (also ``0 / 0``) raises ``ZeroDivisionError``."""
    if right == 0:  # also 0 / 0, which Decimal reports as an invalid operation
        msg = "division by zero"
        raise ZeroDivisionError(msg)
    return Decimal(left) / Decimal(right)


def number_value(value: Any) -> Any:
    """``value`` itself if it is a number (Decimal or int, not bool); else ``TypeError``."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(type(value).__name__)
    return value


#: The comparison operators, as both evaluators apply them (the closures and simpleeval).
COMPARISONS: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
