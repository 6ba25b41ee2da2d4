"""The goals of a what-if: reading them, and judging a scored cluster against them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from emulation_rules._support.canonical import decimal_text
from emulation_rules._support.i18n import pgettext
from emulation_rules.engine.ranking import rank_key
from emulation_rules.errors import EmulationRulesError, Issue
from emulation_rules.guide.model import parse_number_text
from emulation_rules.whatif.search import Outcome

if TYPE_CHECKING:
    from collections.abc import Callable

    from emulation_rules.compiler import CompiledRuleset
    from emulation_rules.engine.evaluator import UnitScore
    from emulation_rules.engine.scoring import ClusterResult

__all__ = [
    "Goal",
    "check_goal",
    "goal_text",
    "goal_total",
    "judge",
    "parse_goal",
    "problem",
    "quick",
    "vn_number",
]

GoalKind = Literal["rank", "class", "award", "total"]
_GOAL = re.compile(r"(rank|class|award|total):(.+)", re.DOTALL)


def problem(message: str) -> EmulationRulesError:
    """A bad what-if request, as the error the command reports (``whatif-request``)."""
    return EmulationRulesError(message, (Issue("whatif-request", message),))


@dataclass(frozen=True, slots=True)
class Goal:
    """What the unit wants to reach."""

    #: ``rank`` (this rank or better), ``class`` (this classification or a better one),
    #: ``award`` (this award), ``total`` (at least this total).
    kind: GoalKind
    #: The rank, label, award id or total, as written.
    target: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.target}"


def parse_goal(text: str) -> Goal:
    """Read a goal written ``rank:N``, ``class:LABEL``, ``award:ID`` or ``total:X``.

    Raises:
        EmulationRulesError: ``whatif-request`` if the text is not a goal.

    Example:
        >>> parse_goal("rank:2")
        Goal(kind='rank', target='2')
    """
    match = _GOAL.fullmatch(text.strip())
    if match is None:
        message = f"{text!r} is not a goal: write rank:N, class:LABEL, award:ID or total:X"
        raise problem(message)
    kind, target = match.group(1), match.group(2).strip()
    goal = Goal(kind, target)  # type: ignore[arg-type]
    if kind == "rank" and not (target.isdigit() and int(target) >= 1):
        raise problem(f"the rank of goal {text!r} is not a whole number 1, 2, …")
    if kind == "total":
        goal_total(goal)
    return goal


def goal_total(goal: Goal) -> Decimal:
    """The number of a ``total:X`` goal, exactly."""
    try:
        return parse_number_text(goal.target)
    except ValueError:
        raise problem(f"the total of goal '{goal}' is not a number") from None


def vn_number(value: Decimal | int) -> str:
    """A number in Vietnamese notation: decimal comma, no exponent.

    Example:
        >>> vn_number(Decimal("97.70"))
        '97,7'
    """
    return decimal_text(value).replace(".", ",")


def goal_text(goal: Goal) -> str:
    """A goal in words."""
    if goal.kind == "rank":
        return pgettext("whatif", "rank {rank} or better").format(rank=goal.target)
    if goal.kind == "class":
        return pgettext("whatif", "class “{label}” or better").format(label=goal.target)
    if goal.kind == "award":
        return pgettext("whatif", "the award “{label}”").format(label=goal.target)
    said = pgettext("whatif", "a total of {total} or more")
    return said.format(total=vn_number(goal_total(goal)))


def _class_order(compiled: CompiledRuleset) -> dict[str, tuple[int, Decimal | None]]:
    """Each label's place (higher is better) and the lowest value that gives it."""
    if compiled.classification is None:
        return {}
    _, bands, otherwise = compiled.classification
    ordered = sorted(
        bands, key=lambda b: (b.low is not None, b.low if b.low is not None else Decimal(0))
    )
    places: dict[str, tuple[int, Decimal | None]] = {}
    if otherwise is not None:
        places[otherwise] = (-1, None)
    for place, band in enumerate(ordered):
        if band.label is not None:
            places[band.label] = (place, band.low)
    return places


def check_goal(compiled: CompiledRuleset, goal: Goal, units: int) -> None:
    """Refuse a goal the guide or the cluster cannot have (a rank beyond the units, …)."""
    if goal.kind == "rank" and int(goal.target) > units:
        raise problem(f"goal '{goal}': the cluster has {units} unit(s)")
    if goal.kind == "class" and goal.target not in _class_order(compiled):
        labels = ", ".join(_class_order(compiled)) or "none"
        raise problem(
            f"goal '{goal}': {goal.target!r} is not a classification of the guide ({labels})"
        )
    if goal.kind == "award":
        awards = [a.id for a in compiled.ruleset.awards]
        if goal.target not in awards:
            raise problem(
                f"goal '{goal}': {goal.target!r} is not an award of the guide "
                f"({', '.join(awards) or 'none'})"
            )


def judge(
    compiled: CompiledRuleset, goal: Goal, unit_id: str
) -> Callable[[ClusterResult], Outcome]:
    """A function judging a re-scored cluster against ``goal`` for ``unit_id``."""
    classes = _class_order(compiled)
    on = compiled.classification[0] if compiled.classification else "total"

    def judged(result: ClusterResult) -> Outcome:
        try:
            unit = result.unit(unit_id)
        except KeyError:
            return Outcome(reached=False, margin=None, total=None)
        total = unit.total
        if total is None or unit.status == "error":
            return Outcome(reached=False, margin=None, total=None)
        scored = unit.status == "scored"
        if goal.kind == "rank":
            wanted = int(goal.target)
            others = sorted(
                (
                    u.total
                    for u in result.units
                    if u.unit_id != unit_id and u.status == "scored" and u.total is not None
                ),
                reverse=True,
            )
            rival = others[wanted - 1] if len(others) >= wanted else None
            margin = total - rival if rival is not None else total
            reached = scored and unit.rank is not None and unit.rank <= wanted
            return Outcome(reached, margin, total)
        if goal.kind == "total":
            return Outcome(total >= goal_total(goal), total - goal_total(goal), total)
        if goal.kind == "class":
            place, low = classes[goal.target]
            measured = unit.percent if on == "percent" else total
            margin = (measured or Decimal(0)) - (low if low is not None else Decimal(0))
            own = classes.get(unit.classification or "", (-2, None))[0]
            return Outcome(scored and own >= place, margin, total)
        return Outcome(goal.target in unit.awards, total, total)

    return judged


def quick(
    compiled: CompiledRuleset, goal: Goal, base_unit: UnitScore, base: Outcome
) -> Callable[[UnitScore], Outcome | None]:
    """Judge a unit evaluated alone, when every other unit scores as before.

    Only a miss is decided here (a reached goal is always confirmed by the whole cluster
    re-scored); the rules are those of :func:`judge` with the other units fixed.
    """
    classes = _class_order(compiled)
    on = compiled.classification[0] if compiled.classification else "total"
    ranking = compiled.ruleset.ranking
    base_key = rank_key(base_unit, ranking) if base_unit.status == "scored" else None
    miss = Outcome(reached=False, margin=None, total=None)

    def quickly(unit: UnitScore) -> Outcome | None:
        total = unit.total
        if total is None or unit.status == "error":
            return miss
        if goal.kind == "rank":
            if unit.status != "scored":
                return miss
            if base_key is None or base.margin is None or base_unit.total is None:
                return None
            if rank_key(unit, ranking) >= base_key:  # ranks no better against the same units
                return Outcome(
                    reached=False, margin=base.margin + total - base_unit.total, total=total
                )
            return None
        if goal.kind == "total":
            wanted = goal_total(goal)
            return (
                Outcome(reached=False, margin=total - wanted, total=total)
                if total < wanted
                else None
            )
        if goal.kind == "class":
            place, low = classes[goal.target]
            own = classes.get(unit.classification or "", (-2, None))[0]
            if unit.status == "scored" and own >= place:
                return None
            measured = unit.percent if on == "percent" else total
            margin = (measured or Decimal(0)) - (low if low is not None else Decimal(0))
            return Outcome(reached=False, margin=margin, total=total)
        return None

    return quickly
