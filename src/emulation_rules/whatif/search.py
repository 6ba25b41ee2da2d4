"""The search of a what-if: the fewest inputs, then the fewest steps, that reach a goal.

Every candidate is judged on a full re-scoring of the cluster with :func:`score`, except a
candidate that provably scores like the current submission: when the unit's own evaluation
and every unit's cluster-phase values are unchanged, the cluster's result is unchanged too, and
the candidate is known to miss the goal without scoring the cluster again.

Order of the search (see docs/whatif.md):

1. each input alone: every value of a small range, by distance; otherwise the two ends of the
   range, then a bisection towards the current value for the nearest value that still reaches
   the goal (exact when the goal, along that input, is reached from a threshold on);
2. sets of 2, 3, … inputs: every combination of values when there are few, otherwise each
   input at its best value and then reduced one by one;
3. every input at its best value, then dropped and reduced while the goal stays reached.

A level in which every set of inputs was searched exhaustively proves that no answer changes
fewer inputs; when every level was exhaustive, a goal that was not reached is unreachable.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from emulation_rules.engine.cluster import cohort_values
from emulation_rules.engine.evaluator import evaluate_values
from emulation_rules.engine.ranking import rank_key
from emulation_rules.engine.scoring import score
from emulation_rules.inputs.cluster_data import unit_facts
from emulation_rules.inputs.submissions import validate_submission

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from emulation_rules.compiler import CompiledRuleset
    from emulation_rules.engine.evaluator import UnitScore
    from emulation_rules.engine.scoring import ClusterResult
    from emulation_rules.inputs.cluster_data import ClusterData
    from emulation_rules.inputs.reviews import Review
    from emulation_rules.inputs.submissions import Submission
    from emulation_rules.whatif.space import Var

__all__ = ["Limits", "Outcome", "Search", "SearchEnd"]

#: An assignment: steps away from the current value, by input, sorted by input order.
Assignment = tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Limits:
    """How far the search goes before it turns to heuristics."""

    #: Inputs with at most this many other values are tried at every value.
    small_range: int = 32
    #: A set of inputs is searched exhaustively when it has at most this many combinations.
    exhaustive: int = 4096
    #: Sets of inputs of one size are tried only when there are at most this many.
    subsets: int = 300
    #: Inputs taken into sets of 2 or more (the most promising first) in a large guide.
    combine: int = 14


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a candidate gives: whether the goal is reached, and how close it comes."""

    reached: bool
    #: The unit's margin towards the goal (larger is better), None if it is not scored.
    margin: Decimal | None
    #: The unit's total, None if it is not scored.
    total: Decimal | None


class SearchEnd(Exception):  # noqa: N818 - internal signal: the time budget is spent
    """The time budget is spent."""


@dataclass
class Search:
    """The state of one what-if search over one unit's inputs."""

    compiled: CompiledRuleset
    submissions: Sequence[Submission]
    unit_id: str
    variables: tuple[Var, ...]
    #: Judges a re-scored cluster: whether the goal is reached and the unit's margin.
    judge: Callable[[ClusterResult], Outcome]
    #: Judges the unit's own evaluation when nothing else in the cluster moves: an outcome
    #: that misses the goal, or None when only the whole cluster re-scored can tell.
    quick: Callable[[UnitScore], Outcome | None]
    cluster: ClusterData | None
    reviews: tuple[Review, ...]
    deadline: float
    limits: Limits
    #: Typed values of every unit, as the cluster phase reads them (the unit's replaced).
    typed: dict[str, dict[str, Any]]
    corrections: dict[str, Any]
    overridden: bool
    base_unit: UnitScore
    base_cohort: Any
    base: Outcome
    evaluations: int = 0
    rescored: int = 0
    best_total: Decimal | None = None
    #: Answers found so far (returned, the cheapest, if the time runs out).
    partial: list[Assignment] = field(default_factory=list)
    _memo: dict[Assignment, Outcome] = field(default_factory=dict)
    _by_name: dict[str, Var] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_name = {v.name: v for v in self.variables}
        self.best_total = self.base.total

    # ---------------------------------------------------------------- candidates

    def key(self, changes: dict[str, int]) -> Assignment:
        """The canonical form of a set of changes (zero steps dropped)."""
        order = {v.name: v.order for v in self.variables}
        return tuple(sorted(((n, k) for n, k in changes.items() if k), key=lambda c: order[c[0]]))

    def submissions_with(self, assignment: Assignment) -> list[Submission]:
        """The cluster's submissions with the unit's inputs changed."""
        changed = {name: self._by_name[name].value(k) for name, k in assignment}
        return [
            s.model_copy(update={"values": {**s.values, **changed}})
            if s.unit_id == self.unit_id
            else s
            for s in self.submissions
        ]

    def rescore(self, assignment: Assignment) -> ClusterResult:
        """The cluster re-scored with the unit's inputs changed."""
        return score(
            self.compiled,
            self.submissions_with(assignment),
            trace=False,
            cluster=self.cluster,
            reviews=self.reviews,
        )

    def outcome(self, assignment: Assignment) -> Outcome:
        """Judge a candidate (memoised); raises :class:`SearchEnd` when time is up."""
        if not assignment:
            return self.base
        known = self._memo.get(assignment)
        if known is not None:
            return known
        if time.monotonic() > self.deadline:
            raise SearchEnd
        self.evaluations += 1
        result = self._unchanged(assignment)
        if result is None:
            self.rescored += 1
            result = self.judge(self.rescore(assignment))
        if result.total is not None and (self.best_total is None or result.total > self.best_total):
            self.best_total = result.total
        self._memo[assignment] = result
        return result

    def _unchanged(self, assignment: Assignment) -> Outcome | None:
        """The base outcome if the candidate provably scores like the current values.

        A rejected candidate (its values break a check of the guide) misses the goal. When the
        cluster-phase values of every unit are unchanged, the other units score as before and
        ``quick`` may tell from the unit's own evaluation that the goal is missed.
        """
        sub = next(s for s in self.submissions if s.unit_id == self.unit_id)
        changed = {name: self._by_name[name].value(k) for name, k in assignment}
        candidate = sub.model_copy(update={"values": {**sub.values, **changed, **self.corrections}})
        values, _ = validate_submission(self.compiled, candidate)
        if values is not None and self.compiled.cluster_facts:  # the unit's facts (format v2)
            facts, _ = unit_facts(self.compiled, self.cluster, self.unit_id)
            values = None if facts is None else {**values, **facts}
        if values is None:
            return Outcome(reached=False, margin=None, total=None)
        units = [(u, values if u == self.unit_id else v) for u, v in self.typed.items()]
        cohort, failures = cohort_values(self.compiled, units)
        if failures or cohort != self.base_cohort:
            return None
        unit = evaluate_values(
            self.compiled, self.unit_id, sub.name, values, trace=False, cohort=cohort[self.unit_id]
        )
        if _fingerprint(self.compiled, unit) == _fingerprint(self.compiled, self.base_unit):
            return self.base
        return None if self.overridden else self.quick(unit)

    # ---------------------------------------------------------------- one input

    def single(self, var: Var) -> tuple[int | None, int]:
        """The nearest value of ``var`` alone that reaches the goal, and its best value.

        Returns ``(steps reaching the goal or None, steps with the largest margin)``.
        """
        ends = [k for k in (var.low, var.high) if k]
        if var.size - 1 <= self.limits.small_range:
            probes = sorted(
                (k for k in range(var.low, var.high + 1) if k), key=lambda k: (abs(k), k)
            )
        else:
            probes = ends
        outcomes = {k: self.outcome(((var.name, k),)) for k in probes}
        best = max(probes, key=lambda k: (_margin(outcomes[k]), -abs(k), k))
        reaching = [k for k in probes if outcomes[k].reached]
        if not reaching:
            return None, best
        if var.size - 1 <= self.limits.small_range:
            return reaching[0], best
        found = [self.bisect({}, var, end) for end in reaching]
        return min(found, key=lambda k: (abs(k), k)), best

    def bisect(self, others: dict[str, int], var: Var, end: int) -> int:
        """The fewest steps towards ``end`` (which reaches the goal) that still reach it."""
        near, far = 0, end
        while abs(far - near) > 1:
            middle = (near + far) // 2 if far > 0 else -((-near - far) // 2)
            if self.outcome(self.key({**others, var.name: middle})).reached:
                far = middle
            else:
                near = middle
        return far

    # ---------------------------------------------------------------- several inputs

    def exhaustive(self, chosen: Sequence[Var]) -> Assignment | None:
        """The cheapest combination of changes of every input of ``chosen`` that reaches."""
        ranges = [[k for k in range(v.low, v.high + 1) if k] for v in chosen]
        combos = sorted(itertools.product(*ranges), key=lambda ks: (sum(abs(k) for k in ks), ks))
        for ks in combos:
            assignment = self.key({v.name: k for v, k in zip(chosen, ks, strict=True)})
            if self.outcome(assignment).reached:
                return assignment
        return None

    def reduced(self, chosen: Sequence[Var], best: dict[str, int]) -> Assignment | None:
        """Every input of ``chosen`` at its best value, then each reduced; None if it misses."""
        changes = {v.name: best[v.name] for v in chosen}
        if 0 in changes.values() or not self.outcome(self.key(changes)).reached:
            return None
        for var in chosen:
            rest = {n: k for n, k in changes.items() if n != var.name}
            changes[var.name] = self.bisect(rest, var, changes[var.name])
        return self.key(changes)

    def combinations(self, chosen: Sequence[Var]) -> int:
        """How many combinations of changed values ``chosen`` has."""
        count = 1
        for var in chosen:
            count *= var.size - 1
        return count

    def reached(self, assignment: Assignment) -> bool:
        """Whether a candidate judged already reaches the goal (False if never judged)."""
        known = self._memo.get(assignment)
        return known is not None and known.reached


def cost(assignment: Iterable[tuple[str, int]]) -> tuple[int, int]:
    """The size of a change: the number of inputs changed, then the steps in total."""
    steps = [abs(k) for _, k in assignment]
    return len(steps), sum(steps)


def _margin(outcome: Outcome) -> tuple[int, Decimal]:
    if outcome.margin is None:
        return (0, Decimal(0))
    return (1 if not outcome.reached else 2, outcome.margin)


def _fingerprint(compiled: CompiledRuleset, unit: UnitScore) -> tuple[Any, ...]:
    """What of a unit's evaluation the ranking, the classification and the awards read."""
    return (
        unit.status,
        unit.total,
        unit.max,
        unit.percent,
        dict(unit.items),
        unit.not_applicable,
        unit.deductions,
        unit.reasons,
        unit.classification,
        unit.eligible,
        unit.eligibility_reasons,
        rank_key(unit, compiled.ruleset.ranking) if unit.status == "scored" else None,
    )


# ---------------------------------------------------------------- the levels


def _priority(search: Search) -> list[Var]:
    """The inputs, those feeding the items with the most room to gain first."""
    room: dict[str, Decimal] = {}
    items = search.base_unit.items
    for node in search.compiled.nodes.values():
        value = items.get(node.id, Decimal(0))
        if node.cluster:
            gain = Decimal(10) ** 6  # scored against the others: may move them too
        elif node.kind == "deduction":
            gain = -value
        elif node.max is not None:
            gain = node.max - value
        else:
            gain = Decimal(1)
        for name in node.reads:
            room[name] = room.get(name, Decimal(0)) + max(gain, Decimal(0))
    return sorted(search.variables, key=lambda v: (-room.get(v.name, Decimal(0)), v.order))


def run(search: Search) -> tuple[tuple[tuple[str, int], ...] | None, bool, str | None]:
    """Run the levels of the search; returns the answer, whether it is fewest, the proof."""
    ordered = _priority(search)
    best: dict[str, int] = {}
    singles: list[tuple[tuple[int, int], int, tuple[tuple[str, int], ...]]] = []
    for var in ordered:
        reaching, best[var.name] = search.single(var)
        if reaching is not None:
            found = ((var.name, reaching),)
            singles.append((cost(found), var.order, found))
            search.partial.append(found)
    if singles:
        return min(singles)[2], True, None
    gains = {
        v.name: search.outcome(((v.name, best[v.name]),)).margin for v in ordered if best[v.name]
    }
    helpful = [v for v in ordered if _helps(search, gains.get(v.name))]
    # a few inputs: every set of them; many: the most promising of those that help alone
    exact = len(ordered) <= search.limits.combine
    useful = ordered if exact else helpful[: search.limits.combine]
    for size in range(2, len(useful) + 1):
        sets = _subsets(useful, size, search.limits.subsets)
        if not sets:
            exact = False
            break
        level: list[tuple[tuple[int, int], tuple[tuple[str, int], ...]]] = []
        for chosen in sets:
            if search.combinations(chosen) <= search.limits.exhaustive:
                found_set = search.exhaustive(chosen)
            else:
                exact = False
                found_set = search.reduced(chosen, best)
            if found_set is not None:
                level.append((cost(found_set), found_set))
                search.partial.append(found_set)
        if level:
            return min(level)[1], exact, None
    if exact:
        return None, True, "exhaustive"
    return _greedy(search, helpful or ordered, best), False, "best-values"


def _helps(search: Search, margin: Decimal | None) -> bool:
    base = search.base.margin
    return margin is not None and (base is None or margin > base)


def _subsets(useful: Sequence[Var], size: int, most: int) -> list[tuple[Var, ...]]:
    """Every set of ``size`` inputs, or none when there are more than ``most``."""
    if math.comb(len(useful), size) > most:
        return []
    return list(itertools.combinations(useful, size))


def _greedy(
    search: Search, useful: Sequence[Var], best: dict[str, int]
) -> tuple[tuple[str, int], ...] | None:
    """Every useful input at its best value; then drop and reduce while the goal holds."""
    changes = {v.name: best[v.name] for v in useful if best.get(v.name)}
    if not changes or not search.outcome(search.key(changes)).reached:
        return None
    search.partial.append(search.key(changes))
    by_gain = sorted(
        (v for v in useful if v.name in changes),
        key=lambda v: (_margin_of(search, v, best), -v.order),
    )
    for var in by_gain:
        rest = {n: k for n, k in changes.items() if n != var.name}
        if rest and search.outcome(search.key(rest)).reached:
            changes = rest
            search.partial.append(search.key(changes))
    for var in sorted((v for v in useful if v.name in changes), key=lambda v: v.order):
        rest = {n: k for n, k in changes.items() if n != var.name}
        changes[var.name] = search.bisect(rest, var, changes[var.name])
        search.partial.append(search.key(changes))
    return search.key(changes)


def _margin_of(search: Search, var: Var, best: dict[str, int]) -> Decimal:
    margin = search.outcome(((var.name, best[var.name]),)).margin
    return margin if margin is not None else Decimal(0)


def partial(search: Search) -> tuple[tuple[str, int], ...] | None:
    """The cheapest answer found before the time ran out, if any."""
    found = [a for a in search.partial if search.reached(a)]
    return min(found, key=cost) if found else None
