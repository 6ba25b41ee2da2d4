"""The cluster phase: criteria whose value depends on the other units of the cluster.

After every unit's submission is validated, each cluster-phase criterion is *measured* for
every unit (its result and target, or the value it is ranked on), then the cohort values are
computed once (the leader, the leader's exceed %, each unit's rank), and every unit is then
evaluated with its own value of those criteria. The cohort values are written into each unit's
trace, so the explanation of a unit shows the leader it was compared with.

The cohort is every unit whose submission is valid, whatever its later status.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from emulation_rules._support.numbers import ENGINE_CONTEXT
from emulation_rules.compiler.fields import NOT_APPLICABLE, as_plain
from emulation_rules.compiler.nodes import RankPointsC, TargetC
from emulation_rules.compiler.sandbox import CheckedExpression, evaluate_expression
from emulation_rules.errors import EvaluationError, Issue

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from emulation_rules.compiler.nodes import CompiledRuleset, Node

__all__ = ["CohortEntry", "cohort_values"]

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class CohortEntry:
    """One unit's value of one cluster-phase criterion, and the cohort facts behind it."""

    value: Decimal
    applicable: bool
    #: ``(label, value)`` pairs shown in the trace: the unit's own measure, the leader, its rank.
    facts: tuple[tuple[str, Any], ...]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class _Measure:
    achieved: Decimal | None
    target: Decimal | None
    applicable: bool


def _names(compiled: CompiledRuleset, values: Mapping[str, Any]) -> dict[str, Any]:
    names: dict[str, Any] = dict(compiled.constants)
    names.update(as_plain(values))
    return names


def _number(
    expression: CheckedExpression, names: Mapping[str, Any], *, reference: bool
) -> Decimal | None:
    """Evaluate a measure; ``None`` when an input it reads does not apply."""
    if any(names.get(n) is NOT_APPLICABLE for n in expression.names):
        return None
    value = evaluate_expression(expression, names, _no_score, reference=reference)
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise EvaluationError(
            "not a number", (Issue("eval-error", f"{expression.source!r} did not give a number"),)
        )
    return Decimal(value)


def _no_score(ident: str) -> Decimal:  # pragma: no cover - the compiler forbids score() here
    raise EvaluationError(
        "no score()", (Issue("eval-error", f"score({ident!r}) in cluster phase"),)
    )


def _applicable(node: Node, names: Mapping[str, Any], *, reference: bool) -> bool:
    if node.applicable_if is None:
        return True
    if any(names.get(n) is NOT_APPLICABLE for n in node.applicable_if.names):
        return False
    return bool(evaluate_expression(node.applicable_if, names, _no_score, reference=reference))


def cohort_values(
    compiled: CompiledRuleset,
    units: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    reference: bool = False,
) -> tuple[dict[str, dict[str, CohortEntry]], dict[str, Issue]]:
    """Compute every cluster-phase criterion for every unit.

    Returns ``entries[unit_id][criterion_id]`` and the units whose measures failed (a unit with
    a failure is left out of the cohort and reported with a located issue). With
    ``reference=True`` simpleeval evaluates the measures instead of the compiled closures.
    """
    cluster_nodes = [compiled.nodes[i] for i in compiled.order if compiled.nodes[i].cluster]
    entries: dict[str, dict[str, CohortEntry]] = {unit_id: {} for unit_id, _ in units}
    failures: dict[str, Issue] = {}
    if not cluster_nodes:
        return entries, failures
    with decimal.localcontext(ENGINE_CONTEXT):
        # first measure every criterion for every unit, so that a unit failing on any of them
        # is left out of every cohort, whatever the order of the criteria
        measured: dict[str, dict[str, _Measure | Decimal | None]] = {}
        for node in cluster_nodes:
            measures: dict[str, _Measure | Decimal | None] = {}
            for unit_id, values in units:
                if unit_id in failures:
                    continue
                try:
                    measures[unit_id] = _measure(
                        node, _names(compiled, values), reference=reference
                    )
                except EvaluationError as exc:
                    failures[unit_id] = exc.issues[0].evolve(
                        unit_id=unit_id,
                        rule_id=node.id,
                        source=compiled.source,
                        line=node.line,
                        path=node.path,
                    )
            measured[node.id] = measures
        for node in cluster_nodes:
            measures = {u: m for u, m in measured[node.id].items() if u not in failures}
            if isinstance(node.construct, TargetC):
                computed = _target(node, measures)  # type: ignore[arg-type]
            else:
                computed = _rank_points(node, measures)  # type: ignore[arg-type]
            for unit_id, entry in computed.items():
                entries[unit_id][node.id] = entry
    return entries, failures


def _measure(node: Node, names: Mapping[str, Any], *, reference: bool) -> _Measure | Decimal | None:
    construct = node.construct
    applicable = _applicable(node, names, reference=reference)
    if isinstance(construct, TargetC):
        if not applicable:
            return _Measure(None, None, applicable=False)
        achieved = _number(construct.achieved, names, reference=reference)
        target = _number(construct.target, names, reference=reference)
        if target is not None and target <= 0:
            raise EvaluationError(
                "zero target",
                (Issue("eval-div-zero", f"the target {construct.target.source!r} is {target}"),),
            )
        return _Measure(achieved, target, applicable=achieved is not None)
    assert isinstance(construct, RankPointsC)
    if not applicable:
        return None
    if construct.rank is not None:
        return _given_rank(construct.rank, names, reference=reference)
    if construct.of is not None:
        return _number(construct.of, names, reference=reference)
    present = [
        Decimal(names[n])
        for n in construct.average_of
        if names.get(n) is not NOT_APPLICABLE and names.get(n) is not None
    ]
    return sum(present, ZERO) / len(present) if present else None


def _given_rank(
    expression: CheckedExpression, names: Mapping[str, Any], *, reference: bool
) -> Decimal | None:
    """A rank given from outside: a whole number from 1 (``None`` when it does not apply)."""
    rank = _number(expression, names, reference=reference)
    if rank is not None and (rank < 1 or rank != rank.to_integral_value()):
        raise EvaluationError(
            "bad rank",
            (
                Issue(
                    "eval-error",
                    f"the rank {expression.source!r} is {rank}: a rank is a whole number from 1",
                ),
            ),
        )
    return rank


def _target(node: Node, measures: Mapping[str, _Measure]) -> dict[str, CohortEntry]:
    construct = node.construct
    assert isinstance(construct, TargetC)
    assert node.max is not None
    scale = node.max
    half = scale / 2
    # exceed ratios compared exactly (as fractions), so that the leader never depends on rounding
    exceed: dict[str, Fraction] = {}
    for unit_id, m in measures.items():
        if (
            m.applicable
            and m.target is not None
            and m.achieved is not None
            and m.achieved > m.target
        ):
            exceed[unit_id] = Fraction(m.achieved - m.target) / Fraction(m.target)
    leader = max(exceed.values(), default=None)
    leaders = sorted(u for u, e in exceed.items() if e == leader)
    no_target = {
        u: m.achieved
        for u, m in measures.items()
        if m.applicable and m.target is None and m.achieved is not None
    }
    leader_no_target = max(no_target.values(), default=None)
    out: dict[str, CohortEntry] = {}
    for unit_id, m in measures.items():
        if not m.applicable or m.achieved is None:
            out[unit_id] = CohortEntry(ZERO, applicable=False, facts=(), note="không áp dụng")
            continue
        achieved = m.achieved
        if m.target is None:
            if construct.no_target != "leader":
                out[unit_id] = CohortEntry(
                    ZERO,
                    applicable=False,
                    facts=(("kết quả", achieved),),
                    note="không được giao chỉ tiêu: không chấm, trừ khỏi điểm tối đa",
                )
                continue
            top = leader_no_target or ZERO
            value = scale * achieved / top if top > 0 else ZERO
            out[unit_id] = CohortEntry(
                value,
                applicable=True,
                facts=(
                    ("kết quả", achieved),
                    ("kết quả dẫn đầu (đơn vị không giao chỉ tiêu)", top),
                ),
                note="không được giao chỉ tiêu: chấm theo mức dẫn đầu cụm",
            )
            continue
        target = m.target
        facts: list[tuple[str, Any]] = [("chỉ tiêu", target), ("kết quả", achieved)]
        if achieved < target:
            value, note = half * achieved / target, "chưa đạt chỉ tiêu: ½·S·A/T"
        elif achieved == target:
            value, note = half, "đạt chỉ tiêu: ½·S"
        else:
            own = exceed[unit_id]
            assert leader is not None
            facts += [
                ("tỷ lệ vượt %", _percent(own)),
                ("tỷ lệ vượt % dẫn đầu cụm", _percent(leader)),
                ("đơn vị dẫn đầu", ", ".join(leaders)),
            ]
            if own == leader:
                value, note = scale, "vượt chỉ tiêu, dẫn đầu cụm: S"
            else:
                share = own / leader  # exact; one division below
                value = half + half * Decimal(share.numerator) / Decimal(share.denominator)
                note = "vượt chỉ tiêu, không dẫn đầu: ½·S + (tỷ lệ vượt / tỷ lệ vượt dẫn đầu)·½·S"
        out[unit_id] = CohortEntry(value, applicable=True, facts=tuple(facts), note=note)
    return out


def _percent(ratio: Fraction) -> Decimal:
    """An exceed ratio as a percent, for the trace."""
    return Decimal(ratio.numerator) * HUNDRED / Decimal(ratio.denominator)


def _rank_points(node: Node, measures: Mapping[str, Decimal | None]) -> dict[str, CohortEntry]:
    construct = node.construct
    assert isinstance(construct, RankPointsC)
    if construct.rank is not None:
        return _points_of_given_ranks(construct, measures)
    present = {u: v for u, v in measures.items() if v is not None}
    out: dict[str, CohortEntry] = {}
    for unit_id, value in measures.items():
        if value is None:
            out[unit_id] = CohortEntry(
                ZERO, applicable=False, facts=(), note="không có giá trị để xếp hạng"
            )
            continue
        if construct.order == "desc":
            better = sum(1 for v in present.values() if v > value)
        else:
            better = sum(1 for v in present.values() if v < value)
        rank = better + 1
        tied = sorted(u for u, v in present.items() if v == value)
        points = (
            construct.points[rank - 1] if rank <= len(construct.points) else construct.otherwise
        )
        facts: tuple[tuple[str, Any], ...] = (
            ("giá trị xếp hạng", value),
            ("thứ hạng trong cụm", rank),
            ("số đơn vị xếp hạng", len(present)),
        )
        if len(tied) > 1:
            facts += (("đồng hạng với", ", ".join(t for t in tied if t != unit_id)),)
        out[unit_id] = CohortEntry(points, applicable=True, facts=facts, note=f"hạng {rank}")
    return out


def _points_of_given_ranks(
    construct: RankPointsC, ranks: Mapping[str, Decimal | None]
) -> dict[str, CohortEntry]:
    """``rank_points`` with ``rank``: each unit's points by the rank given, alone."""
    out: dict[str, CohortEntry] = {}
    for unit_id, given in ranks.items():
        if given is None:
            out[unit_id] = CohortEntry(
                ZERO, applicable=False, facts=(), note="không có thứ hạng cho từ ngoài"
            )
            continue
        rank = int(given)
        points = (
            construct.points[rank - 1] if rank <= len(construct.points) else construct.otherwise
        )
        out[unit_id] = CohortEntry(
            points,
            applicable=True,
            facts=(("thứ hạng cho từ ngoài", rank),),
            note=f"hạng {rank} (thứ hạng cho từ ngoài, không xếp lại trong cụm)",
        )
    return out
