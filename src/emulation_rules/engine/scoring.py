"""Score a cluster: validate every submission, evaluate each unit, rank, assemble the result."""

from __future__ import annotations

import contextlib
import dataclasses
import decimal
import gc
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date  # noqa: TC003 - a dataclass field type
from decimal import Decimal
from os import PathLike
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from emulation_rules._support.canonical import canonical_json_text, canonical_value
from emulation_rules._support.i18n import N_
from emulation_rules._version import __version__
from emulation_rules.compiler.fields import TypedValues
from emulation_rules.compiler.nodes import CompiledRuleset
from emulation_rules.engine.awards import AwardResult, decide_awards, result_dict
from emulation_rules.engine.cluster import cohort_values
from emulation_rules.engine.evaluator import (
    ENGINE_CONTEXT,
    TraceNode,
    UnitScore,
    evaluate_values,
    failed_unit,
)
from emulation_rules.engine.ranking import Tie, rank
from emulation_rules.engine.serialize import trace_dict, unit_dict
from emulation_rules.errors import EvaluationError, Issue, SubmissionError
from emulation_rules.inputs.cluster_data import unit_facts
from emulation_rules.inputs.reviews import (
    Departure,
    Review,
    Reviews,
    check_reviews,
    merge_reviews,
    without_place,
)
from emulation_rules.inputs.submissions import (
    Rejected,
    Submission,
    SubmissionBatch,
    validated_values,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from emulation_rules.engine.cluster import CohortEntry
    from emulation_rules.inputs.cluster_data import ClusterData

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
    #: The date the evaluation is as of (given, never read from the clock).
    as_of: date | None = None

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
        # each part is made canonical once; the units (and their traces) are built canonical.
        # Many acyclic dicts and lists: the collector, triggered by them, would find nothing.
        with _gc_paused():
            data = self._head_dict()
            units = [unit_dict(u, trace=trace) for u in self.units]
            head = {"ruleset": data.pop("ruleset"), "engine": data.pop("engine"), "units": units}
            return head | data

    def _head_dict(self) -> dict[str, Any]:
        """:meth:`to_dict` without its ``units``: the ruleset, awards, ties, issues and so on.

        The result's JSON writer (:mod:`emulation_rules.engine.result_json`) writes the units.
        """
        return {
            "ruleset": canonical_value(
                {
                    "id": self.ruleset_id,
                    "version": self.ruleset_version,
                    "title": self.ruleset_title,
                    "digest": self.ruleset_digest,
                    "source_digest": self.ruleset_source_digest,
                }
            ),
            "engine": canonical_value({"name": "emulation-rules", "version": self.engine_version}),
            "rejected": canonical_value(
                [
                    {
                        "unit_id": r.unit_id,
                        "name": r.name,
                        "status": "rejected",
                        "issues": [i.as_dict() for i in r.issues],
                    }
                    for r in self.rejected
                ]
            ),
            "ties": canonical_value(
                [
                    {"rank": t.rank, "unit_ids": list(t.unit_ids), "keys": dict(t.keys)}
                    for t in self.ties
                ]
            ),
            "issues": canonical_value([i.as_dict() for i in self.issues]),
            "awards": canonical_value([result_dict(a) for a in self.awards]),
            "cluster": canonical_value(self.cluster.model_dump(mode="json"))
            if self.cluster
            else None,
            "as_of": canonical_value(self.as_of),
        }

    def to_json(self, *, trace: bool = False, indent: int | None = 2) -> str:
        """The result as JSON text (sorted keys, decimals as strings)."""
        separators = (",", ": ") if indent else (",", ":")
        with _gc_paused():
            return canonical_json_text(self.to_dict(trace=trace), indent, separators)


def trace_to_dict(node: TraceNode) -> dict[str, Any]:
    """A trace tree as JSON-ready data (canonical: as ``canonical_value`` writes it).

    Decimals become their exact text (``"12.50"`` stays as computed); every field of every
    node is present, with its children in order.
    """
    return trace_dict(node)


def evaluate(
    compiled: CompiledRuleset,
    submission: Submission,
    *,
    trace: bool = True,
    allow_version_mismatch: bool = False,
    reference: bool = False,
    cluster: ClusterData | None = None,
) -> UnitScore:
    """Validate and score one unit (no ranking).

    ``reference=True`` scores it in the reference mode (see :func:`score`). A guide that
    reads cluster facts (format v2) reads the unit's from ``cluster``.

    Raises:
        SubmissionError: if the submission does not fit the guide's inputs.
        TypeError: ``compiled`` is not a compiled guide, or ``submission`` not a
            ``Submission``.
    """
    _check_guide(compiled, "evaluate")
    if not isinstance(submission, Submission):
        raise TypeError(f"evaluate() takes a Submission, not {type(submission).__name__}")
    values, issues = validated_values(
        compiled, submission, allow_version_mismatch=allow_version_mismatch, reference=reference
    )
    if values is not None and compiled.cluster_facts:
        values, issues = _with_facts(compiled, cluster, submission.unit_id, values, issues)
    if values is None:
        raise SubmissionError(
            f"the submission of unit {submission.unit_id!r} is invalid", tuple(issues)
        )
    cohort, failures = cohort_values(compiled, [(submission.unit_id, values)], reference=reference)
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
        reference=reference,
        owned=True,  # validated here, or the submission's own values: never changed
    )


def score(
    compiled: CompiledRuleset,
    submissions: SubmissionBatch | Iterable[Submission],
    *,
    trace: bool = True,
    on_error: Literal["record", "raise"] = "record",
    rejected: Iterable[Rejected] = (),
    issues: Iterable[Issue] = (),
    allow_version_mismatch: bool = False,
    cluster: ClusterData | None = None,
    reviews: Iterable[Review] = (),
    as_of: date | None = None,
    reference: bool = False,
    pause_gc: bool = True,
) -> ClusterResult:
    """Score every submission and rank the cluster.

    Give a :class:`~emulation_rules.SubmissionBatch` (from ``load_submissions`` or
    ``parse_submissions``) whole: its rejected units and its file-level issues are carried
    into the result (``result.rejected``, ``result.issues``, ``result.ok``), so none is
    dropped. A plain iterable of submissions is scored as given, with ``rejected`` and
    ``issues`` added to the result (the older form, kept).

    With ``on_error="record"`` (the default) a unit whose submission is wrong is listed in
    ``rejected`` and a unit whose evaluation fails has status ``error``; the other units are
    scored. With ``on_error="raise"`` the first problem raises.

    ``reference=True`` is the reference mode, a second opinion for auditors: every unit is
    scored by the interpreter with every expression (the guide's checks, the cluster-phase
    measures, the rules, the gates) evaluated by simpleeval on its checked tree, never by the
    guide's generated code nor the compiled closures. It is several times slower, and gives
    the same result whenever both evaluators are right (docs/audit.md, "Reference mode").

    Threads: a compiled guide is immutable, and any number of threads may score with it at
    once. While units are evaluated the cyclic garbage collector is paused for the whole
    process (it costs a third of the time and frees nothing there), and resumed, as it was,
    when the last concurrent call ends; ``pause_gc=False`` leaves it alone.

    Raises:
        SubmissionError: with ``on_error="raise"``, for the first invalid submission (or a
            rejected unit or a file-level error of the batch).
        EvaluationError: with ``on_error="raise"``, for the first unit that fails.
        TypeError: ``compiled`` is not a compiled guide (``load_ruleset`` gives one), or
            ``submissions`` holds something other than ``Submission`` objects.
    """
    _check_guide(compiled, "score")
    if isinstance(submissions, SubmissionBatch):
        batch = submissions
        subs = list(batch.submissions)
        all_rejected = [*batch.rejected, *rejected]
        issues = [*batch.issues, *issues]
        if on_error == "raise":
            _raise_batch_problems(batch)
    else:
        subs = list(submissions)
        all_rejected = list(rejected)
        issues = list(issues)
    for sub in subs:
        if not isinstance(sub, Submission):
            raise TypeError(
                f"score() takes Submission objects (or a SubmissionBatch), not {type(sub).__name__}"
            )
    checked = check_reviews(compiled, reviews, as_of=as_of)
    # the file and line stay out of the result: a replay of its record, which keeps the
    # reviews but not where they were read, must give the same issues (the command line
    # reports them located, and stops, before scoring)
    issues.extend(without_place(checked.issues))
    by_unit: dict[str, list[Review]] = {}
    for review in checked.applied:
        by_unit.setdefault(review.unit_id, []).append(review)
    known = {s.unit_id for s in subs} | {r.unit_id for r in all_rejected}
    for unit_id in sorted(set(by_unit) - known):
        issues.append(
            Issue(
                "review-unknown-unit",
                f"a review names unit {unit_id!r}, which has no submission",
                unit_id=unit_id,
            )
        )
    merged = {u: merge_reviews(rs) for u, rs in by_unit.items()}
    subs = [_corrected(s, merged[s.unit_id]) if s.unit_id in merged else s for s in subs]
    counts: dict[str, int] = {}
    for sub in subs:
        key = sub.unit_id.casefold()
        counts[key] = counts.get(key, 0) + 1
    valid: list[tuple[Submission, Mapping[str, Any], tuple[Issue, ...]]] = []
    for sub in subs:
        if counts[sub.unit_id.casefold()] > 1:
            problem = Issue(
                "duplicate-unit",
                N_("unit id {unit} is submitted {count} times; none of them is scored").format(
                    unit=repr(sub.unit_id), count=counts[sub.unit_id.casefold()]
                ),
                source=sub.source,
                unit_id=sub.unit_id,
            )
            if on_error == "raise":
                raise SubmissionError("duplicate unit id", (problem,))
            all_rejected.append(Rejected(sub.unit_id, sub.name, (problem,)))
            continue
        values, unit_issues = validated_values(
            compiled, sub, allow_version_mismatch=allow_version_mismatch, reference=reference
        )
        if values is not None and compiled.cluster_facts:
            values, unit_issues = _with_facts(compiled, cluster, sub.unit_id, values, unit_issues)
        if values is None:
            if on_error == "raise":
                raise SubmissionError(
                    f"the submission of unit {sub.unit_id!r} is invalid", tuple(unit_issues)
                )
            all_rejected.append(Rejected(sub.unit_id, sub.name, tuple(unit_issues)))
            continue
        valid.append((sub, values, tuple(unit_issues)))
    with _gc_paused() if pause_gc else contextlib.nullcontext():
        scored = _evaluate_all(
            compiled, valid, merged, trace=trace, on_error=on_error, reference=reference
        )
    with decimal.localcontext(ENGINE_CONTEXT):  # never the caller's precision or traps
        ordered, ties, tie_issues = rank(scored, compiled.ruleset.ranking, owned=True)
        award_results, per_unit = decide_awards(
            compiled.ruleset.awards, ordered, cluster, members=len(subs)
        )
    ordered = [
        dataclasses.replace(u, awards=per_unit[u.unit_id]) if per_unit.get(u.unit_id) else u
        for u in ordered
    ]
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
        as_of=as_of,
    )


def _with_facts(
    compiled: CompiledRuleset,
    cluster: ClusterData | None,
    unit_id: str,
    values: Mapping[str, Any],
    issues: list[Issue],
) -> tuple[Mapping[str, Any] | None, list[Issue]]:
    """A unit's validated values with its cluster facts (format v2), or None and why not.

    The items of ``{**values, **facts}``, without copying the values (issue 18).
    """
    facts, problems = unit_facts(compiled, cluster, unit_id)
    if facts is None:
        return None, [*issues, *problems]
    if not facts:
        return values, issues
    if type(values) is TypedValues and not values.defaults:
        return TypedValues(values.base, {**values.overlay, **facts}), issues
    if type(values) is TypedValues:  # the facts come after the filled inputs
        return TypedValues(values.as_dict(), facts), issues
    return TypedValues(values, facts), issues


def _check_guide(compiled: object, caller: str) -> None:
    """Raise a clear ``TypeError`` for a guide that is not compiled (a path, a model)."""
    if not isinstance(compiled, CompiledRuleset):
        hint = (
            " (load it with load_ruleset() first)"
            if isinstance(compiled, str | PathLike | bytes)
            else ""
        )
        raise TypeError(
            f"{caller}() takes a compiled guide (CompiledRuleset), "
            f"not {type(compiled).__name__}{hint}"
        )


def _raise_batch_problems(batch: SubmissionBatch) -> None:
    """``on_error="raise"``: a batch's rejected unit or file-level error raises."""
    errors = [i for i in batch.issues if i.severity == "error"]
    if errors:
        raise SubmissionError("the submissions cannot be read", tuple(errors))
    if batch.rejected:
        first = batch.rejected[0]
        raise SubmissionError(f"the submission of unit {first.unit_id!r} is invalid", first.issues)


def _evaluate_all(
    compiled: CompiledRuleset,
    valid: list[tuple[Submission, Mapping[str, Any], tuple[Issue, ...]]],
    merged: dict[str, Reviews],
    *,
    trace: bool,
    on_error: str,
    reference: bool,
) -> list[UnitScore]:
    """The cluster phase, then every valid unit's evaluation."""
    cohort, failures = cohort_values(
        compiled, [(s.unit_id, v) for s, v, _ in valid], reference=reference
    )
    outer = decimal.getcontext()  # a review's departures are computed in it, as before
    with decimal.localcontext(ENGINE_CONTEXT):  # one for the batch, not one per unit
        return _evaluate_each(
            compiled,
            valid,
            merged,
            (cohort, failures, outer),
            trace=trace,
            on_error=on_error,
            reference=reference,
        )


def _evaluate_each(
    compiled: CompiledRuleset,
    valid: list[tuple[Submission, Mapping[str, Any], tuple[Issue, ...]]],
    merged: dict[str, Reviews],
    cluster: tuple[dict[str, dict[str, CohortEntry]], dict[str, Issue], decimal.Context],
    *,
    trace: bool,
    on_error: str,
    reference: bool,
) -> list[UnitScore]:
    """Every valid unit's evaluation, in a copy of the engine's decimal context.

    ``cluster``: the cohort entries of every unit, the units whose cluster-phase measures
    failed, and the caller's own context (a reviewed unit's departures are computed in it).
    """
    cohort, failures, outer = cluster
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
                overrides=merged[sub.unit_id].overrides if sub.unit_id in merged else None,
                owned=True,  # validated here, or the submission's own values: never changed
                reference=reference,
                in_context=True,
            )
            if sub.unit_id in merged:
                with decimal.localcontext(outer):
                    unit = _with_review(
                        compiled,
                        unit,
                        values,
                        cohort[sub.unit_id],
                        merged[sub.unit_id],
                        reference=reference,
                    )
        if unit.status == "error" and on_error == "raise":
            raise EvaluationError(f"unit {sub.unit_id!r} failed", unit.issues)
        scored.append(unit)
    return scored


class _GarbageCollectionPause:
    """Pause the cyclic garbage collector while batches are scored, for every thread at once.

    Scoring a batch with its trace creates some 10^5 small objects that all stay alive until
    the result is returned; the collector, triggered over and over by them, finds nothing to
    free and costs a third of the time. The collector is paused by the first batch and resumed
    when the last running batch ends, and only if it was running before.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._was_enabled = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0 and self._was_enabled:
                    gc.enable()


_gc_paused = _GarbageCollectionPause()
#: The collector's pause, for the writers of large acyclic data outside this module.
gc_paused = _gc_paused


def _corrected(sub: Submission, review: Reviews) -> Submission:
    """The submission with a review's corrected inputs (the submission itself is kept)."""
    if not review.corrections:
        return sub
    values = {**sub.values, **review.corrections}
    return sub.model_copy(update={"values": values})


def _with_review(
    compiled: CompiledRuleset,
    unit: UnitScore,
    values: Mapping[str, Any],
    cohort: Any,
    review: Reviews,
    *,
    reference: bool,
) -> UnitScore:
    """Add the rule's own values (no overrides) and the departures to a reviewed unit."""
    if unit.status == "error":
        return unit
    plain = evaluate_values(
        compiled,
        unit.unit_id,
        unit.name,
        values,
        trace=False,
        cohort=cohort,
        reference=reference,
    )
    departures = tuple(
        Departure(
            item,
            plain.items.get(item, Decimal(0)),
            unit.items.get(item, Decimal(0)),
            unit.items.get(item, Decimal(0)) - plain.items.get(item, Decimal(0)),
            override.reviewer,
            override.stage,
            override.at,
            override.reason,
            override.evidence,
        )
        for item, override in sorted(
            review.overrides.items(), key=lambda kv: _order(compiled, kv[0])
        )
        if unit.items.get(item) != plain.items.get(item)
    )
    return dataclasses.replace(
        unit,
        computed_items=plain.items,
        computed_total=plain.total,
        departures=departures,
        reviews=review.applied,
        corrected=MappingProxyType(dict(review.corrected_by)),
    )


def _order(compiled: CompiledRuleset, item: str) -> int:
    try:
        return compiled.order.index(item)
    except ValueError:
        return len(compiled.order)


def _dedupe(rejected: list[Rejected]) -> list[Rejected]:
    seen: set[tuple[str, tuple[Issue, ...]]] = set()
    out = []
    for item in rejected:
        key = (item.unit_id, item.issues)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
