"""Score a cluster: validate every submission, evaluate each unit, rank, assemble the result."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from emulation_rules._canonical import canonical_value
from emulation_rules._version import __version__
from emulation_rules.awards import AwardResult, ClusterData, decide_awards, result_dict
from emulation_rules.cluster import cohort_values
from emulation_rules.errors import EvaluationError, Issue, SubmissionError
from emulation_rules.evaluator import TraceNode, UnitScore, evaluate_values, failed_unit
from emulation_rules.ranking import Tie, rank
from emulation_rules.submissions import Rejected, Submission, validate_submission

if TYPE_CHECKING:
    from collections.abc import Iterable

    from emulation_rules.compiler import CompiledRuleset

__all__ = ["ClusterResult", "evaluate", "score", "trace_to_dict"]


@dataclass(frozen=True, slots=True)
class ClusterResult:
    """The result of scoring a cluster against one guide."""

    ruleset_id: str
    ruleset_version: str
    ruleset_title: str
    ruleset_digest: str
    ruleset_source_digest: str | None
    engine_version: str
    #: Every unit that was scored, in rank order; units that were not ranked follow.
    units: tuple[UnitScore, ...]
    #: Units whose submission could not be scored, with the reasons.
    rejected: tuple[Rejected, ...]
    ties: tuple[Tie, ...]
    #: Warnings about the cluster (ties) and file-level problems.
    issues: tuple[Issue, ...]
    #: The decision on every award of the guide, in the guide's order.
    awards: tuple[AwardResult, ...] = ()
    #: Cluster facts given with the submissions (members, meeting, next year's heads).
    cluster: ClusterData | None = None

    def unit(self, unit_id: str) -> UnitScore:
        """Return the score of ``unit_id``.

        Raises:
            KeyError: if no unit has that id (rejected units included).
        """
        for unit in self.units:
            if unit.unit_id == unit_id:
                return unit
        raise KeyError(unit_id)

    @property
    def ok(self) -> bool:
        """Whether every unit was scored (none rejected or failed) and no file failed."""
        return (
            not self.rejected
            and all(u.status != "error" for u in self.units)
            and not any(i.severity == "error" for i in self.issues)
        )

    def to_dict(self, *, trace: bool = False) -> dict[str, Any]:
        """The result as JSON-ready data: decimals as strings, sorted by the result order."""
        data: dict[str, Any] = {
            "ruleset": {
                "id": self.ruleset_id,
                "version": self.ruleset_version,
                "title": self.ruleset_title,
                "digest": self.ruleset_digest,
                "source_digest": self.ruleset_source_digest,
            },
            "engine": {"name": "emulation-rules", "version": self.engine_version},
            "units": [_unit_dict(u, trace=trace) for u in self.units],
            "rejected": [
                {
                    "unit_id": r.unit_id,
                    "name": r.name,
                    "status": "rejected",
                    "issues": [i.as_dict() for i in r.issues],
                }
                for r in self.rejected
            ],
            "ties": [
                {"rank": t.rank, "unit_ids": list(t.unit_ids), "keys": dict(t.keys)}
                for t in self.ties
            ],
            "issues": [i.as_dict() for i in self.issues],
            "awards": [result_dict(a) for a in self.awards],
            "cluster": self.cluster.model_dump(mode="json") if self.cluster else None,
        }
        return canonical_value(data)  # type: ignore[no-any-return]

    def to_json(self, *, trace: bool = False, indent: int | None = 2) -> str:
        """The result as JSON text (sorted keys, decimals as strings)."""
        separators = (",", ": ") if indent else (",", ":")
        return json.dumps(
            self.to_dict(trace=trace),
            ensure_ascii=False,
            sort_keys=True,
            indent=indent,
            separators=separators,
        )


def _unit_dict(unit: UnitScore, *, trace: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "unit_id": unit.unit_id,
        "name": unit.name,
        "status": unit.status,
        "rank": unit.rank,
        "total": unit.total,
        "max": unit.max,
        "percent": unit.percent,
        "classification": unit.classification,
        "reasons": list(unit.reasons),
        "deductions": unit.deductions,
        "items": dict(unit.items),
        "not_applicable": list(unit.not_applicable),
        "rank_keys": dict(unit.rank_keys),
        "rank_decided_by": unit.rank_decided_by,
        "eligible": unit.eligible,
        "eligibility_reasons": list(unit.eligibility_reasons),
        "awards": list(unit.awards),
        "self_scores": dict(unit.self_scores),
        "issues": [i.as_dict() for i in unit.issues],
    }
    if trace and unit.trace is not None:
        data["trace"] = trace_to_dict(unit.trace)
    return data


def trace_to_dict(node: TraceNode) -> dict[str, Any]:
    """A trace tree as JSON-ready data."""
    out: dict[str, Any] = {}
    stack: list[tuple[TraceNode, dict[str, Any]]] = [(node, out)]
    while stack:
        current, target = stack.pop()
        target.update(
            {
                "id": current.id,
                "title": current.title,
                "kind": current.kind,
                "rule": current.rule,
                "inputs": dict(current.inputs),
                "parts": [[label, amount] for label, amount in current.parts],
                "adjustments": [[code, amount, note] for code, amount, note in current.adjustments],
                "value": current.value,
                "max": current.max,
                "applicable": current.applicable,
                "status": current.status,
                "note": current.note,
                "line": current.line,
                "cohort": dict(current.cohort),
                "children": [],
            }
        )
        for child in current.children:
            slot: dict[str, Any] = {}
            target["children"].append(slot)
            stack.append((child, slot))
    return canonical_value(out)  # type: ignore[no-any-return]


def evaluate(
    compiled: CompiledRuleset,
    submission: Submission,
    *,
    trace: bool = True,
    allow_version_mismatch: bool = False,
) -> UnitScore:
    """Validate and score one unit (no ranking).

    Raises:
        SubmissionError: if the submission does not fit the guide's inputs.
    """
    values, issues = validate_submission(
        compiled, submission, allow_version_mismatch=allow_version_mismatch
    )
    if values is None:
        raise SubmissionError(
            f"the submission of unit {submission.unit_id!r} is invalid", tuple(issues)
        )
    cohort, failures = cohort_values(compiled, [(submission.unit_id, values)])
    if submission.unit_id in failures:
        return failed_unit(
            submission.unit_id,
            submission.name,
            (*issues, failures[submission.unit_id]),
            submission.self_scores,
        )
    return evaluate_values(
        compiled,
        submission.unit_id,
        submission.name,
        values,
        trace=trace,
        issues=tuple(issues),
        self_scores=submission.self_scores,
        cohort=cohort[submission.unit_id],
    )


def score(
    compiled: CompiledRuleset,
    submissions: Iterable[Submission],
    *,
    trace: bool = True,
    on_error: Literal["record", "raise"] = "record",
    rejected: Iterable[Rejected] = (),
    issues: Iterable[Issue] = (),
    allow_version_mismatch: bool = False,
    cluster: ClusterData | None = None,
) -> ClusterResult:
    """Score every submission and rank the cluster.

    With ``on_error="record"`` (the default) a unit whose submission is wrong is listed in
    ``rejected`` and a unit whose evaluation fails has status ``error``; the other units are
    scored. With ``on_error="raise"`` the first problem raises.

    Raises:
        SubmissionError: with ``on_error="raise"``, for the first invalid submission.
        EvaluationError: with ``on_error="raise"``, for the first unit that fails.
    """
    subs = list(submissions)
    all_rejected = list(rejected)
    counts: dict[str, int] = {}
    for sub in subs:
        key = sub.unit_id.casefold()
        counts[key] = counts.get(key, 0) + 1
    valid: list[tuple[Submission, dict[str, Any], tuple[Issue, ...]]] = []
    for sub in subs:
        if counts[sub.unit_id.casefold()] > 1:
            problem = Issue(
                "duplicate-unit",
                f"unit id {sub.unit_id!r} is submitted {counts[sub.unit_id.casefold()]} times; "
                "none of them is scored",
                source=sub.source,
                unit_id=sub.unit_id,
            )
            if on_error == "raise":
                raise SubmissionError("duplicate unit id", (problem,))
            all_rejected.append(Rejected(sub.unit_id, sub.name, (problem,)))
            continue
        values, unit_issues = validate_submission(
            compiled, sub, allow_version_mismatch=allow_version_mismatch
        )
        if values is None:
            if on_error == "raise":
                raise SubmissionError(
                    f"the submission of unit {sub.unit_id!r} is invalid", tuple(unit_issues)
                )
            all_rejected.append(Rejected(sub.unit_id, sub.name, tuple(unit_issues)))
            continue
        valid.append((sub, values, tuple(unit_issues)))
    cohort, failures = cohort_values(compiled, [(s.unit_id, v) for s, v, _ in valid])
    scored: list[UnitScore] = []
    for sub, values, found in valid:
        if sub.unit_id in failures:
            unit = failed_unit(
                sub.unit_id, sub.name, (*found, failures[sub.unit_id]), sub.self_scores
            )
        else:
            unit = evaluate_values(
                compiled,
                sub.unit_id,
                sub.name,
                values,
                trace=trace,
                issues=found,
                self_scores=sub.self_scores,
                cohort=cohort[sub.unit_id],
            )
        if unit.status == "error" and on_error == "raise":
            raise EvaluationError(f"unit {sub.unit_id!r} failed", unit.issues)
        scored.append(unit)
    ordered, ties, tie_issues = rank(scored, compiled.ruleset.ranking)
    award_results, per_unit = decide_awards(
        compiled.ruleset.awards, ordered, cluster, members=len(subs)
    )
    ordered = [dataclasses.replace(u, awards=per_unit.get(u.unit_id, ())) for u in ordered]
    all_rejected.sort(key=lambda r: (r.unit_id, r.issues[0].code if r.issues else ""))
    return ClusterResult(
        ruleset_id=compiled.id,
        ruleset_version=compiled.version,
        ruleset_title=compiled.ruleset.title,
        ruleset_digest=compiled.digest,
        ruleset_source_digest=compiled.source_digest,
        engine_version=__version__,
        units=tuple(ordered),
        rejected=tuple(_dedupe(all_rejected)),
        ties=ties,
        issues=tuple(issues) + tie_issues,
        awards=award_results,
        cluster=cluster,
    )


def _dedupe(rejected: list[Rejected]) -> list[Rejected]:
    seen: set[tuple[str, tuple[Issue, ...]]] = set()
    out = []
    for item in rejected:
        key = (item.unit_id, item.issues)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
