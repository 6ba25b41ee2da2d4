"""What must a unit change to reach a goal? The least change of its inputs, verified (issue 21).

:func:`whatif` searches the unit's inputs, within their declared types and bounds, for the
least change that reaches a goal: a rank, a classification, an award or a total. The other
units' submissions stay as they are, but every candidate is judged on the whole cluster
re-scored with :func:`~emulation_rules.engine.scoring.score`, so items scored against the
other units (targets against the leader, points by rank) move as they would. An answer is
returned only when the re-scored cluster reaches the goal; it carries the changed submission
and the result.

*Least* means the fewest inputs changed, then the fewest steps in total, a step being the
resolution of the input (see :mod:`emulation_rules.whatif.space`), then the inputs declared
first. :func:`compare` says which items decide the order of two units.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from emulation_rules._support.canonical import canonical_value, decimal_text
from emulation_rules._support.i18n import pgettext
from emulation_rules.engine.cluster import cohort_values
from emulation_rules.engine.evaluator import evaluate_values
from emulation_rules.engine.scoring import score
from emulation_rules.errors import EmulationRulesError, SubmissionError
from emulation_rules.inputs.cluster_data import unit_facts
from emulation_rules.inputs.reviews import merge_reviews
from emulation_rules.inputs.submissions import validate_submission
from emulation_rules.whatif.goals import (
    Goal,
    check_goal,
    goal_text,
    goal_total,
    parse_goal,
    problem,
    quick,
    vn_number,
)
from emulation_rules.whatif.goals import judge as judge_goal
from emulation_rules.whatif.search import Limits, Search, SearchEnd, partial, run
from emulation_rules.whatif.space import variables
from emulation_rules.whatif.text import Change, describe, told, vietnamese

if TYPE_CHECKING:
    from collections.abc import Iterable

    from emulation_rules.compiler import CompiledRuleset
    from emulation_rules.engine.evaluator import UnitScore
    from emulation_rules.engine.scoring import ClusterResult
    from emulation_rules.inputs.cluster_data import ClusterData
    from emulation_rules.inputs.reviews import Review
    from emulation_rules.inputs.submissions import Submission

__all__ = [
    "Change",
    "Comparison",
    "Goal",
    "ItemDifference",
    "Standing",
    "WhatIfAnswer",
    "compare_units",
    "parse_goal",
    "whatif",
]

#: Seconds a search may take unless told otherwise.
DEFAULT_BUDGET = Decimal(10)
WhatIfStatus = Literal["already", "reached", "unreachable", "not_found"]


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a unit stands in a scored cluster."""

    status: str
    total: Decimal | None
    rank: int | None
    classification: str | None
    awards: tuple[str, ...]

    @classmethod
    def of(cls, result: ClusterResult, unit_id: str) -> Standing:
        """The unit's standing in ``result`` (status ``rejected`` if it was not scored)."""
        try:
            unit = result.unit(unit_id)
        except KeyError:
            return cls("rejected", None, None, None, ())
        return cls(unit.status, unit.total, unit.rank, unit.classification, unit.awards)


@dataclass(frozen=True, slots=True)
class WhatIfAnswer:
    """The answer of :func:`whatif`."""

    unit_id: str
    goal: Goal
    #: ``already`` (no change needed), ``reached`` (the changes reach the goal),
    #: ``unreachable`` (no change within the bounds does) or ``not_found`` (time ran out).
    status: WhatIfStatus
    changes: tuple[Change, ...]
    before: Standing
    #: The standing after the changes, re-scored (None when no answer was found).
    after: Standing | None
    #: The unit's submission with the changes (None when no answer was found).
    submission: Submission | None
    #: The whole cluster re-scored with the changed submission.
    result: ClusterResult | None
    #: Whether no answer changes fewer inputs (every smaller set was searched exhaustively).
    fewest: bool
    #: Why the goal is not reached (Vietnamese), for ``unreachable`` and ``not_found``.
    reason: str | None
    #: How an ``unreachable`` answer is known: ``exhaustive`` (every combination was
    #: scored) or ``best-values`` (every input at its best value misses the goal).
    proof: str | None
    #: Candidates judged, and how many of them needed the cluster re-scored.
    evaluations: int
    rescored: int

    def to_dict(self) -> dict[str, Any]:
        """The answer as JSON-ready data (decimals as strings)."""
        data = {
            "unit_id": self.unit_id,
            "goal": {"kind": self.goal.kind, "target": self.goal.target},
            "status": self.status,
            "changes": [
                {
                    "input": c.input,
                    "label": c.label,
                    "old": c.old,
                    "new": c.new,
                    "steps": c.steps,
                    "points": [list(p) for p in c.points],
                    "text": c.text,
                }
                for c in self.changes
            ],
            "before": _standing_dict(self.before),
            "after": _standing_dict(self.after) if self.after else None,
            "values": dict(self.submission.values) if self.submission else None,
            "fewest_inputs": self.fewest,
            "reason": self.reason,
            "proof": self.proof,
            "evaluations": self.evaluations,
            "rescored": self.rescored,
        }
        return canonical_value(data)  # type: ignore[no-any-return]

    def render_text(self) -> str:
        """The answer in words, in the language of the call."""
        lines = [
            pgettext("whatif", "Unit {unit} — goal: {goal}").format(
                unit=self.unit_id, goal=goal_text(self.goal)
            ),
            pgettext("whatif", "Now: {standing}").format(standing=standing_text(self.before)),
        ]
        if self.status == "already":
            lines.append(pgettext("whatif", "The unit has reached the goal; nothing to change."))
        elif self.status == "reached":
            said = (
                pgettext("whatif", "{count} inputs must change (the fewest possible):")
                if self.fewest
                else pgettext("whatif", "{count} inputs must change:")
            )
            lines.append(said.format(count=len(self.changes)))
            lines.extend(f"  {i}. {told(c.text)}" for i, c in enumerate(self.changes, 1))
            assert self.after is not None
            said = pgettext("whatif", "After the whole cluster is scored again: {standing}")
            lines.append(said.format(standing=standing_text(self.after)))
        elif self.status == "unreachable":
            said = pgettext("whatif", "The goal cannot be reached within the bounds: {reason}")
            lines.append(said.format(reason=told(self.reason or "")))
        else:
            said = pgettext("whatif", "Not found: {reason}")
            lines.append(said.format(reason=told(self.reason or "")))
        return "\n".join(lines) + "\n"


def _standing_dict(standing: Standing) -> dict[str, Any]:
    return {
        "status": standing.status,
        "total": standing.total,
        "rank": standing.rank,
        "classification": standing.classification,
        "awards": list(standing.awards),
    }


def standing_text(standing: Standing) -> str:
    """A standing in words."""
    if standing.status == "rejected":
        return pgettext("whatif", "the submission is rejected")
    parts = []
    if standing.rank is not None:
        parts.append(pgettext("whatif", "rank {rank}").format(rank=standing.rank))
    if standing.total is not None:
        parts.append(
            pgettext("whatif", "total {total} points").format(total=vn_number(standing.total))
        )
    if standing.classification:
        said = pgettext("whatif", "classified {classification}")
        parts.append(said.format(classification=standing.classification))
    if standing.status == "not_classified":
        parts.append(pgettext("whatif", "not classified"))
    if standing.awards:
        said = pgettext("whatif", "awards: {awards}")
        parts.append(said.format(awards=", ".join(standing.awards)))
    return ", ".join(parts)


# ------------------------------------------------------------------------------- whatif


def whatif(
    compiled: CompiledRuleset,
    submissions: Iterable[Submission],
    unit_id: str,
    goal: Goal | str,
    *,
    cluster: ClusterData | None = None,
    reviews: Iterable[Review] = (),
    keep: Iterable[str] = (),
    budget: Decimal | float = DEFAULT_BUDGET,
    limits: Limits | None = None,
) -> WhatIfAnswer:
    """Find the least change of ``unit_id``'s inputs that reaches ``goal``.

    Args:
        compiled: The guide.
        submissions: Every unit's submission; the others' stay as they are.
        unit_id: The unit whose inputs may change.
        goal: A :class:`Goal`, or its text (``rank:2``, ``class:Xuất sắc``, ``award:ID``,
            ``total:98``).
        cluster: Cluster facts (members, votes), as for :func:`score`.
        reviews: Reviews, as for :func:`score`; inputs a review corrects stay as corrected.
        keep: Inputs that cannot change.
        budget: Seconds the search may take; when they are spent, the best answer found so
            far is returned, or ``not_found``.
        limits: How far the search tries every combination (see
            :class:`~emulation_rules.whatif.search.Limits`).

    Returns:
        The answer; a ``reached`` answer is verified by re-scoring the whole cluster.

    Raises:
        EmulationRulesError: ``whatif-request`` for an unknown unit, input, label or award.
        SubmissionError: if the unit's own submission cannot be scored.
    """
    goal = parse_goal(goal) if isinstance(goal, str) else goal
    subs = list(submissions)
    reviews = tuple(reviews)
    start = time.monotonic()
    search, base_result = _prepare(compiled, subs, unit_id, goal, cluster, reviews, frozenset(keep))
    search.deadline = start + float(budget)
    search.limits = limits or Limits()
    before = Standing.of(base_result, unit_id)
    if search.base.reached:
        return _answer(search, goal, "already", (), before, base_result, fewest=True)
    try:
        found, fewest, proof = run(search)
    except SearchEnd:
        found, fewest, proof = partial(search), False, None
        if found is None:
            reason = vietnamese(
                "not found within the time allowed ({seconds} seconds, {tried} candidates tried)"
            ).format(seconds=decimal_text(Decimal(budget)), tried=search.evaluations)
            return _failed(search, goal, before, "not_found", reason, None)
    if found is None:
        return _failed(search, goal, before, "unreachable", _why(search, goal), proof)
    return _answer(search, goal, "reached", found, before, None, fewest=fewest)


def _prepare(
    compiled: CompiledRuleset,
    subs: list[Submission],
    unit_id: str,
    goal: Goal,
    cluster: ClusterData | None,
    reviews: tuple[Review, ...],
    keep: frozenset[str],
) -> tuple[Search, ClusterResult]:
    mine = [s for s in subs if s.unit_id == unit_id]
    if len(mine) != 1:
        known = ", ".join(s.unit_id for s in subs) or "none"
        raise problem(f"no single submission of unit {unit_id!r} (units: {known})")
    unknown = sorted(keep - set(compiled.inputs))
    if unknown:
        raise problem(f"--keep names inputs the guide does not declare: {', '.join(unknown)}")
    check_goal(compiled, goal, len(subs))
    merged = merge_reviews([r for r in reviews if r.unit_id == unit_id]) if reviews else None
    corrections = dict(merged.corrections) if merged else {}
    sub = mine[0]
    raw = {**sub.values, **corrections}
    typed: dict[str, dict[str, Any]] = {}
    by_unit: dict[str, dict[str, Any]] = {}
    for review in reviews:
        by_unit.setdefault(review.unit_id, {}).update(review.corrections)
    for other in subs:
        values = {**other.values, **by_unit.get(other.unit_id, {})}
        checked, issues = validate_submission(compiled, other.model_copy(update={"values": values}))
        if checked is not None and compiled.cluster_facts:  # the unit's facts (format v2)
            facts, problems = unit_facts(compiled, cluster, other.unit_id)
            checked, issues = (None, problems) if facts is None else ({**checked, **facts}, [])
        if checked is not None:
            typed[other.unit_id] = checked
        elif other.unit_id == unit_id:
            raise SubmissionError(f"the submission of unit {unit_id!r} is invalid", tuple(issues))
    cohort, _ = cohort_values(compiled, list(typed.items()))
    base_unit = evaluate_values(
        compiled, unit_id, sub.name, typed[unit_id], trace=False, cohort=cohort[unit_id]
    )
    judge = judge_goal(compiled, goal, unit_id)
    base_result = score(compiled, subs, trace=False, cluster=cluster, reviews=reviews)
    base = judge(base_result)
    search = Search(
        compiled=compiled,
        submissions=subs,
        unit_id=unit_id,
        variables=variables(compiled.inputs, raw, keep | frozenset(corrections)),
        judge=judge,
        quick=quick(compiled, goal, base_unit, base),
        cluster=cluster,
        reviews=reviews,
        deadline=0.0,
        limits=Limits(),
        typed=typed,
        corrections=corrections,
        overridden=bool(merged and merged.overrides),
        base_unit=base_unit,
        base_cohort=cohort,
        base=base,
    )
    return search, base_result


def _why(search: Search, goal: Goal) -> str:
    best = search.best_total
    shown = vn_number(best) if best is not None else "—"
    if goal.kind == "total":
        said = vietnamese("the highest total reachable is {total} < {goal}")
        return said.format(total=shown, goal=vn_number(goal_total(goal)))
    if goal.kind == "rank":
        said = vietnamese(
            "the highest total reachable is {total}, still not enough for rank {rank}"
        )
        return said.format(total=shown, rank=goal.target)
    if goal.kind == "class":
        said = vietnamese("the highest total reachable is {total}, not enough for class “{label}”")
        return said.format(total=shown, label=goal.target)
    said = vietnamese("the highest total reachable is {total}, still no award “{label}”")
    return said.format(total=shown, label=goal.target)


def _failed(
    search: Search,
    goal: Goal,
    before: Standing,
    status: WhatIfStatus,
    reason: str,
    proof: str | None,
) -> WhatIfAnswer:
    return WhatIfAnswer(
        unit_id=search.unit_id,
        goal=goal,
        status=status,
        changes=(),
        before=before,
        after=None,
        submission=None,
        result=None,
        fewest=False,
        reason=reason,
        proof=proof,
        evaluations=search.evaluations,
        rescored=search.rescored,
    )


def _answer(
    search: Search,
    goal: Goal,
    status: WhatIfStatus,
    found: tuple[tuple[str, int], ...],
    before: Standing,
    result: ClusterResult | None,
    *,
    fewest: bool,
) -> WhatIfAnswer:

    subs = search.submissions_with(found)
    final = search.rescore(found)
    if not search.judge(final).reached:  # pragma: no cover - judged the same way in the search
        msg = f"internal error: the answer for {search.unit_id!r} does not reach {goal}"
        raise EmulationRulesError(msg)
    changes = describe(search, found) if found else ()
    submission = next(s for s in subs if s.unit_id == search.unit_id)
    return WhatIfAnswer(
        unit_id=search.unit_id,
        goal=goal,
        status=status,
        changes=changes,
        before=before,
        after=Standing.of(final, search.unit_id),
        submission=submission,
        result=result or final,
        fewest=fewest,
        reason=None,
        proof=None,
        evaluations=search.evaluations,
        rescored=search.rescored,
    )


# ------------------------------------------------------------------------------- compare


@dataclass(frozen=True, slots=True)
class ItemDifference:
    """One leaf item's points for two units."""

    item: str
    title: str
    first: Decimal
    second: Decimal
    #: ``first - second``.
    difference: Decimal
    #: Whether the item is one of the fewest items in the leader's favour, the largest first,
    #: that make up the gap: were the units equal on them, the order would change (or tie).
    decisive: bool


@dataclass(frozen=True, slots=True)
class Comparison:
    """Which items decide the order of two units."""

    first: Standing
    second: Standing
    first_id: str
    second_id: str
    #: ``first total - second total``.
    gap: Decimal
    #: Items where the units differ, the largest difference first.
    items: tuple[ItemDifference, ...]

    def to_dict(self) -> dict[str, Any]:
        """The comparison as JSON-ready data."""
        return canonical_value(  # type: ignore[no-any-return]
            {
                "units": [self.first_id, self.second_id],
                "first": _standing_dict(self.first),
                "second": _standing_dict(self.second),
                "gap": self.gap,
                "items": [
                    {
                        "item": d.item,
                        "title": d.title,
                        "first": d.first,
                        "second": d.second,
                        "difference": d.difference,
                        "decisive": d.decisive,
                    }
                    for d in self.items
                ],
            }
        )

    def render_text(self) -> str:
        """The comparison in words, in the language of the call."""
        lines = [
            f"{self.first_id}: {standing_text(self.first)}",
            f"{self.second_id}: {standing_text(self.second)}",
            pgettext("whatif", "Difference of the totals: {gap}").format(gap=_signed(self.gap)),
            pgettext("whatif", "The items that differ (the ones that decide the order marked *):"),
        ]
        lines.extend(
            f"  {'*' if d.decisive else ' '} {d.item} {d.title}: {vn_number(d.first)} / "
            f"{vn_number(d.second)} ({_signed(d.difference)})"
            for d in self.items
        )
        if not self.items:
            lines.append("  " + pgettext("whatif", "(none)"))
        return "\n".join(lines) + "\n"


def _decisive(differences: list[tuple[str, Decimal]], gap: Decimal) -> set[str]:
    """The fewest items in the leader's favour, the largest first, that make up ``gap``."""
    if gap == 0:
        return set()
    sign = 1 if gap > 0 else -1
    favour = sorted((d * sign, item) for item, d in differences if d * sign > 0)
    chosen: set[str] = set()
    covered = Decimal(0)
    for amount, item in reversed(favour):
        if covered >= abs(gap):
            break
        chosen.add(item)
        covered += amount
    return chosen


def _signed(value: Decimal) -> str:
    text = vn_number(value)
    return text if text.startswith("-") or value == 0 else "+" + text


def compare_units(
    compiled: CompiledRuleset,
    submissions: Iterable[Submission],
    first: str,
    second: str,
    *,
    cluster: ClusterData | None = None,
    reviews: Iterable[Review] = (),
) -> Comparison:
    """Which leaf items decide the order of units ``first`` and ``second``, point by point.

    Raises:
        EmulationRulesError: ``whatif-request`` if a unit is not scored in the cluster.
    """
    result = score(compiled, submissions, trace=False, cluster=cluster, reviews=reviews)
    units: list[UnitScore] = []
    for unit_id in (first, second):
        try:
            unit = result.unit(unit_id)
        except KeyError:
            raise problem(f"unit {unit_id!r} is not scored in the cluster") from None
        units.append(unit)
    a, b = units
    gap = (a.total or Decimal(0)) - (b.total or Decimal(0))
    leaves = [i for i in compiled.order if not compiled.nodes[i].children]
    found = [
        (item, a.items.get(item, Decimal(0)), b.items.get(item, Decimal(0))) for item in leaves
    ]
    found = [(item, x, y) for item, x, y in found if x != y]
    decisive = _decisive([(item, x - y) for item, x, y in found], gap)
    diffs = [
        ItemDifference(item, compiled.nodes[item].title, x, y, x - y, item in decisive)
        for item, x, y in found
    ]
    diffs.sort(key=lambda d: (-abs(d.difference), compiled.order.index(d.item)))
    return Comparison(
        Standing.of(result, first), Standing.of(result, second), first, second, gap, tuple(diffs)
    )
