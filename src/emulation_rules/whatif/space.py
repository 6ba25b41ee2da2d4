"""The search space of a what-if: each free input of a unit as a range of whole steps.

An input is searched at its *resolution*, and a value is written as a whole number of steps
``k`` away from the unit's current value (``k = 0`` is the current value):

* ``count``: one step is 1;
* ``decimal``, ``percent``: one step is ``10^-places``; without ``places``, ``0.01`` or the
  finer resolution of the current value;
* ``date``: one step is a day, within ten years of the current date (a guide's dates fall in
  the year it assesses);
* ``bool``: one step goes from false to true;
* ``enum``: one step is one position in the declared list of values.

Bounds are the input's declared ``min`` and ``max``; a count without ``max`` and a decimal
without bounds are searched up to the largest magnitude the engine accepts, a percent without
``max`` up to 100. The size of a change is the number of steps (``|k|``).
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

from emulation_rules.compiler.fields import NOT_APPLICABLE, coerce_value
from emulation_rules.guide.model import MAX_MAGNITUDE, MAX_PLACES

if TYPE_CHECKING:
    from collections.abc import Mapping

    from emulation_rules.compiler.fields import InputField

__all__ = ["DATE_WINDOW", "Var", "variables"]

#: Days either side of the current date that a date input is searched within.
DATE_WINDOW = 3653
#: Resolution of a decimal input without ``places`` (finer if the current value is finer).
_DEFAULT_PLACES = 2
_EXACT = decimal.Context(prec=60, traps=[decimal.Inexact, decimal.InvalidOperation])


@dataclass(frozen=True, slots=True)
class Var:
    """One input the search may change: its current value and its range of steps."""

    #: The input's name.
    name: str
    field: InputField
    #: The unit's current value (after reviews' corrections), already typed.
    current: Any
    #: The fewest (most negative) and most steps away from the current value.
    low: int
    high: int
    #: Position of the input in the guide's declaration order (ties are broken by it).
    order: int
    #: One step of a decimal or percent input (1 for the other types).
    quantum: Decimal = Decimal(1)

    @property
    def size(self) -> int:
        """How many values the input may take, its current value included."""
        return self.high - self.low + 1

    def value(self, steps: int) -> Any:
        """The value ``steps`` steps away from the current value."""
        kind = self.field.type
        if kind == "bool":
            return bool(int(self.current) + steps)
        if kind == "enum":
            return self.field.values[self.field.values.index(self.current) + steps]
        if kind == "count":
            return int(self.current) + steps
        if kind == "date":
            return self.current + timedelta(days=steps)
        with decimal.localcontext(_EXACT):
            value = self.current + steps * self.quantum
        return abs(value) if value == 0 else value


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _decimal_var(name: str, field: InputField, current: Decimal, order: int) -> Var:
    places = field.places
    if places is None:
        places = min(MAX_PLACES, max(_DEFAULT_PLACES, _places(current)))
    quantum = Decimal(1).scaleb(-places)
    low_value = field.min if field.min is not None else -MAX_MAGNITUDE + quantum
    if field.max is not None:
        high_value = field.max
    elif field.type == "percent":
        high_value = max(Decimal(100), current)
    else:
        high_value = MAX_MAGNITUDE - quantum
    with decimal.localcontext(_EXACT):
        low = ((low_value - current) / quantum).to_integral_value(ROUND_CEILING)
        high = ((high_value - current) / quantum).to_integral_value(ROUND_FLOOR)
    return Var(name, field, current, int(low), int(high), order, quantum)


def _var(name: str, field: InputField, current: Any, order: int) -> Var | None:
    kind = field.type
    if kind == "bool":
        return Var(name, field, current, -int(current), 1 - int(current), order)
    if kind == "enum":
        index = field.values.index(current)
        return Var(name, field, current, -index, len(field.values) - 1 - index, order)
    if kind == "count":
        low = int(field.min.to_integral_value(ROUND_CEILING)) if field.min is not None else 0
        high = (
            int(field.max.to_integral_value(ROUND_FLOOR))
            if field.max is not None
            else int(MAX_MAGNITUDE) - 1
        )
        return Var(name, field, current, low - current, high - current, order)
    if kind in ("decimal", "percent"):
        return _decimal_var(name, field, current, order)
    if kind == "date":
        first = max(date.min.toordinal(), current.toordinal() - DATE_WINDOW)
        last = min(date.max.toordinal(), current.toordinal() + DATE_WINDOW)
        ordinal = current.toordinal()
        return Var(name, field, current, first - ordinal, last - ordinal, order)
    return None  # free text is never searched


def variables(
    fields: Mapping[str, InputField], values: Mapping[str, Any], fixed: frozenset[str]
) -> tuple[Var, ...]:
    """The inputs the search may change, in declaration order.

    ``values`` are the unit's raw values (reviews' corrections applied); an input in
    ``fixed``, a text input, and an input that is missing as not applicable are left alone.
    """
    out: list[Var] = []
    for order, (name, field) in enumerate(fields.items()):
        if name in fixed:
            continue
        current = coerce_value(field, values[name]) if name in values else field.missing
        if current is None or current is NOT_APPLICABLE:
            continue
        if name not in values:
            current = coerce_value(field, current)
        var = _var(name, field, current, order)
        if var is not None and var.size > 1:
            out.append(var)
    return tuple(out)
