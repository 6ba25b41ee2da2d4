"""Each change of a what-if in words: the input, old → new value, the points it moves.

A change is described on the cluster re-scored after it and the changes before it, so the
points of the steps add up to the whole change, cluster-phase items included.

A change's text and an answer's reason are kept in Vietnamese (the JSON form carries them,
language-neutral as the trace's notes are): they are made from the catalogs' Vietnamese
(context ``whatif``) and told in the language of the call when shown (:func:`told`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from emulation_rules._support.canonical import decimal_text
from emulation_rules._support.i18n import pgettext, retell, use_language

if TYPE_CHECKING:
    from emulation_rules.compiler import CompiledRuleset
    from emulation_rules.engine.scoring import ClusterResult
    from emulation_rules.whatif.search import Assignment, Search
    from emulation_rules.whatif.space import Var

__all__ = ["Change", "describe", "told", "value_text", "vietnamese"]


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
    #: The change in words (Vietnamese; :func:`told` in the language of the call).
    text: str


def _templates() -> tuple[str, ...]:
    """The texts a what-if keeps in Vietnamese, in the language of the call."""
    return (
        pgettext("whatif", "yes"),
        pgettext("whatif", "no"),
        pgettext("whatif", "raise {label} from {old} to {new}"),
        pgettext("whatif", "lower {label} from {old} to {new}"),
        pgettext("whatif", "change {label} from {old} to {new} ({days} days later)"),
        pgettext("whatif", "change {label} from {old} to {new} ({days} days earlier)"),
        pgettext("whatif", "change “{label}” from {old} to {new}"),
        pgettext("whatif", "{change}: {points}"),
        pgettext("whatif", "{amount} points on {item}"),
        pgettext("whatif", "{first}, {rest}"),
        pgettext("whatif", "{change}: the unit's points do not change at this step"),
        pgettext(
            "whatif",
            "not found within the time allowed ({seconds} seconds, {tried} candidates tried)",
        ),
        pgettext("whatif", "the highest total reachable is {total} < {goal}"),
        pgettext(
            "whatif", "the highest total reachable is {total}, still not enough for rank {rank}"
        ),
        pgettext(
            "whatif", "the highest total reachable is {total}, not enough for class “{label}”"
        ),
        pgettext("whatif", "the highest total reachable is {total}, still no award “{label}”"),
    )


def vietnamese(template: str) -> str:
    """The Vietnamese of a ``whatif`` msgid: the language a change's text is kept in."""
    with use_language("vi"):
        return pgettext("whatif", template)


def told(text: str) -> str:
    """A change's text or an answer's reason (kept in Vietnamese) in the language of the call."""
    return retell(text, _templates, kept=frozenset({"label", "item", "goal", "rank"}))


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
        return vietnamese("yes") if value else vietnamese("no")
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
            return vietnamese("raise {label} from {old} to {new}").format(
                label=label, old=old, new=new
            )
        return vietnamese("lower {label} from {old} to {new}").format(label=label, old=old, new=new)
    if var.field.type == "date":
        template = (
            "change {label} from {old} to {new} ({days} days later)"
            if steps > 0
            else "change {label} from {old} to {new} ({days} days earlier)"
        )
        return vietnamese(template).format(label=label, old=old, new=new, days=abs(steps))
    return vietnamese("change “{label}” from {old} to {new}").format(
        label=var.field.label, old=old, new=new
    )


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
            moved = vietnamese("{amount} points on {item}")
            said = ", ".join(moved.format(amount=_signed(d), item=item) for item, d in points)
            text = vietnamese("{change}: {points}").format(change=text, points=said)
        else:
            said = vietnamese("{change}: the unit's points do not change at this step")
            text = said.format(change=text)
        changes.append(
            Change(name, var.field.label, var.current, var.value(steps), abs(steps), points, text)
        )
        before = after
    return tuple(changes)
