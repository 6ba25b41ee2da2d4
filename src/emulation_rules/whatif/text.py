"""Each change of a what-if in words: the input, old → new value, the points it moves.

A change is described on the cluster re-scored after it and the changes before it, so the
points of the steps add up to the whole change, cluster-phase items included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from emulation_rules._support.canonical import decimal_text

if TYPE_CHECKING:
    from emulation_rules.compiler import CompiledRuleset
    from emulation_rules.engine.scoring import ClusterResult
    from emulation_rules.whatif.search import Assignment, Search
    from emulation_rules.whatif.space import Var

__all__ = ["Change", "describe", "value_text"]


@dataclass(frozen=True, slots=True)
class Change:
    """One input changed, and what it does to the unit's items."""

    input: str
    label: str
    old: Any
    new: Any
    #: The size of the change in steps of the input's resolution.
    steps: int
    #: ``(criterion id, point change)`` of every leaf item the change moves.
    points: tuple[tuple[str, Decimal], ...]
    #: The change in words (Vietnamese).
    text: str


def value_text(var: Var, value: Any, unit: str | None) -> str:
    """A value of an input as people write it: decimal comma, dd/mm/yyyy, có/không.

    Example:
        >>> from emulation_rules.compiler.fields import InputField
        >>> f = InputField("x", "percent", "Tỷ lệ", False, 0, None, None, 1, (), False)
        >>> from emulation_rules.whatif.space import Var
        >>> value_text(Var("x", f, Decimal("97.7"), 0, 23, 0), Decimal("98.1"), "%")
        '98,1%'
    """
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, int | Decimal):
        text = decimal_text(value).replace(".", ",")
        if unit == "%" or (unit is None and var.field.type == "percent"):
            return text + "%"
        return f"{text} {unit}" if unit else text
    return f"“{value}”"


def _label(text: str) -> str:
    """A label inside a sentence: its first letter lower case, unless it is an acronym."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _verb(var: Var, steps: int, old: str, new: str) -> str:
    label = _label(var.field.label)
    if var.field.type in ("count", "decimal", "percent"):
        if steps > 0:
            return f"tăng {label} từ {old} lên {new}"
        return f"giảm {label} từ {old} xuống {new}"
    if var.field.type == "date":
        when = "muộn hơn" if steps > 0 else "sớm hơn"
        return f"đổi {label} từ {old} sang {new} ({when} {abs(steps)} ngày)"
    return f"đổi “{var.field.label}” từ {old} sang {new}"


def _points(
    compiled: CompiledRuleset, before: ClusterResult, after: ClusterResult, unit_id: str
) -> tuple[tuple[str, Decimal], ...]:
    old, new = before.unit(unit_id).items, after.unit(unit_id).items
    moved = []
    for item in compiled.order:
        if compiled.nodes[item].children:
            continue
        delta = new.get(item, Decimal(0)) - old.get(item, Decimal(0))
        if delta:
            moved.append((item, delta))
    return tuple(moved)


def _signed(value: Decimal) -> str:
    text = decimal_text(value).replace(".", ",")
    return text if text.startswith("-") else "+" + text


def describe(search: Search, found: Assignment) -> tuple[Change, ...]:
    """The changes of ``found``, in the guide's order, each with the points it moves."""
    compiled = search.compiled
    units = {name: spec.unit for name, spec in compiled.ruleset.inputs.items()}
    by_name = {v.name: v for v in search.variables}
    changes: list[Change] = []
    applied: list[tuple[str, int]] = []
    before = search.rescore(())
    for name, steps in found:
        var = by_name[name]
        applied.append((name, steps))
        after = search.rescore(tuple(applied))
        try:
            points = _points(compiled, before, after, search.unit_id)
        except KeyError:  # the unit is rejected half-way (a check between inputs)
            points = ()
        old = value_text(var, var.current, units.get(name))
        new = value_text(var, var.value(steps), units.get(name))
        text = _verb(var, steps, old, new)
        if points:
            text += ": " + ", ".join(f"{_signed(d)} điểm ở {item}" for item, d in points)
        else:
            text += ": điểm của đơn vị không đổi ở bước này"
        changes.append(
            Change(name, var.field.label, var.current, var.value(steps), abs(steps), points, text)
        )
        before = after
    return tuple(changes)
