"""Running a guide's test cases: score each case's units and compare with its expectations.

:func:`run_case` scores one case and returns a :class:`CaseResult` whose mismatches are
``test-failed`` issues located in the tests file; :meth:`CaseResult.render` adds the trace of
each differing item. Decimals compare exactly (``110.1`` equals ``110.10``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from emulation_rules._support.i18n import N_, render_issue
from emulation_rules.engine.scoring import ClusterResult, score
from emulation_rules.errors import EmulationRulesError, Issue, RulesetSchemaError
from emulation_rules.guide.read import pydantic_issues
from emulation_rules.inputs.cluster_data import ClusterData
from emulation_rules.inputs.read import load_submissions
from emulation_rules.inputs.submissions import (
    Rejected,
    Submission,
    load_cluster,
)
from emulation_rules.reports.explain import number, render_node, with_layers

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from emulation_rules.authoring.guidetests.format import (
        CaseExpect,
        DocPath,
        GuideCase,
        GuideSuite,
        UnitExpect,
    )
    from emulation_rules.engine.evaluator import TraceNode, UnitScore


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One expectation a case did not meet."""

    unit_id: str | None
    #: What differs: ``total``, ``rank``, ``items.a1``, ``awards.co-thi-dua``, ``unit`` …
    what: str
    expected: Any
    got: Any
    issue: Issue
    #: The criterion whose trace explains the difference, if any (``TOTAL`` for the total).
    item: str | None = None


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The outcome of one case."""

    name: str
    index: int
    result: ClusterResult | None
    mismatches: tuple[Mismatch, ...]

    @property
    def passed(self) -> bool:
        """Whether every expectation held."""
        return not self.mismatches

    def render(self, suite: GuideSuite, *, traces: bool = True) -> list[str]:
        """Lines saying what differs, each with the trace of the differing item."""
        lines: list[str] = []
        for mismatch in self.mismatches:
            lines.append(render_issue(mismatch.issue))
            if not traces or self.result is None or mismatch.item is None:
                continue
            trace = _unit_trace(self.result, mismatch.unit_id)
            node = trace.find(mismatch.item) if trace else None
            if node is not None:
                depth = 1
                lines.extend(
                    render_node(
                        with_layers(node, suite.guide),
                        depth=depth,
                        source=suite.guide.source,
                        indent="    ",
                        layers=dict(suite.guide.layers),
                        compiled=suite.guide,
                    )
                )
        return lines


def _unit_trace(result: ClusterResult, unit_id: str | None) -> TraceNode | None:
    if unit_id is None:
        return None
    for unit in result.units:
        if unit.unit_id == unit_id:
            return unit.trace
    return None


# --------------------------------------------------------------------------------------------
# Running


def run_suite(suite: GuideSuite) -> list[CaseResult]:
    """Run every case of a suite, in the file's order."""
    return [run_case(suite, index) for index in range(len(suite.tests.cases))]


def _inputs(suite: GuideSuite, index: int) -> tuple[list[Submission], list[Rejected], list[Issue]]:
    case = suite.tests.cases[index]
    folder = suite.path.parent
    files = [case.submissions] if isinstance(case.submissions, str) else case.submissions or ()
    batch = load_submissions([folder / name for name in files])
    submissions = list(batch.submissions)
    rejected = list(batch.rejected)
    issues = list(batch.issues)
    defaults = {**suite.base_values, **suite.tests.defaults, **case.defaults}
    for ui, raw in enumerate(case.units or ()):
        at: DocPath = ("cases", index, "units", ui)
        values = raw.get("values", {})
        merged = {**defaults, **values} if isinstance(values, dict) else values
        data = {
            "name": raw.get("unit_id", f"#{ui + 1}"),
            **raw,
            # null removes a default: the input is missing, as in a submission that omits it
            "values": {k: v for k, v in merged.items() if v is not None}
            if isinstance(merged, dict)
            else merged,
            "ruleset": suite.guide.id,
            "ruleset_version": suite.guide.version,
            "source": suite.source,
            "locations": {
                name: pos
                for name in (values if isinstance(values, dict) else {})
                if (pos := suite.positions.values.get((*at, "values", name)))
            },
        }
        try:
            submissions.append(Submission.model_validate(data))
        except ValidationError as exc:
            unit_id = str(raw.get("unit_id", f"#{ui + 1}"))
            found = [i.evolve(unit_id=unit_id) for i in _model_issues(suite, exc, Submission, at)]
            rejected.append(Rejected(unit_id, None, tuple(found)))
    return submissions, rejected, issues


def _model_issues(
    suite: GuideSuite, exc: ValidationError, model: type[BaseModel], at: DocPath
) -> list[Issue]:
    """Located issues of a part of the tests file (an inline unit, cluster facts)."""
    if suite.document is None:  # pragma: no cover - suites are always read from a file
        return [Issue("invalid-value", str(exc), source=suite.source)]
    return pydantic_issues(exc, suite.document, suite.source, model, base_path=at)


def _cluster(suite: GuideSuite, case: GuideCase) -> ClusterData | None:
    if case.cluster is None:
        return None
    if isinstance(case.cluster, str):
        return load_cluster(suite.path.parent / case.cluster)
    try:
        return ClusterData.model_validate(case.cluster)
    except ValidationError as exc:
        index = suite.tests.cases.index(case)
        found = _model_issues(suite, exc, ClusterData, ("cases", index, "cluster"))
        raise RulesetSchemaError(
            N_("the cluster facts of a case are invalid"), tuple(found)
        ) from None


def run_case(suite: GuideSuite, index: int) -> CaseResult:
    """Score one case and compare it with its expectations."""
    case = suite.tests.cases[index]
    try:
        submissions, rejected, issues = _inputs(suite, index)
        cluster = _cluster(suite, case)
    except EmulationRulesError as exc:  # a submission or cluster file of the case is wrong
        line, column = suite.position(("cases", index))
        shown = [i.render() for i in exc.issues] or [exc.message]
        failures = tuple(
            Mismatch(
                None,
                "input",
                None,
                None,
                Issue(
                    "test-failed",
                    N_("case {case}: cannot be run: {problem}").format(
                        case=repr(case.name), problem=text
                    ),
                    source=suite.source,
                    line=line,
                    column=column,
                ),
            )
            for text in shown
        )
        return CaseResult(case.name, index, None, failures)
    result = score(
        suite.guide,
        submissions,
        rejected=rejected,
        issues=issues,
        cluster=cluster,
        allow_version_mismatch=True,
    )
    checker = _Checker(suite, index, result)
    checker.compare()
    return CaseResult(case.name, index, result, tuple(checker.found))


@dataclass
class _Checker:
    suite: GuideSuite
    index: int
    result: ClusterResult
    found: list[Mismatch] = field(default_factory=list)

    @property
    def case(self) -> GuideCase:
        return self.suite.tests.cases[self.index]

    def fail(
        self,
        unit_id: str | None,
        what: str,
        expected: Any,
        got: Any,
        path: DocPath,
        *,
        item: str | None = None,
        message: str | None = None,
    ) -> None:
        values = {
            "case": repr(self.case.name),
            "unit": repr(unit_id),
            "what": what,
            "expected": _shown(expected),
            "got": _shown(got),
            "text": message,
        }
        if message is not None:
            template = (
                N_("case {case}: unit {unit}: {text}")
                if unit_id is not None
                else N_("case {case}: {text}")
            )
        elif unit_id is not None:
            template = N_("case {case}: unit {unit}: {what}: expected {expected}, got {got}")
        else:
            template = N_("case {case}: {what}: expected {expected}, got {got}")
        line, column = self.suite.position(("cases", self.index, "expect", *path))
        issue = Issue(
            "test-failed",
            template.format(**values),
            source=self.suite.source,
            line=line,
            column=column,
            unit_id=None,
        )
        self.found.append(Mismatch(unit_id, what, expected, got, issue, item))

    def compare(self) -> None:
        expect = self.case.expect
        rejected = {r.unit_id: r for r in self.result.rejected}
        units = {u.unit_id: u for u in self.result.units}
        for issue in self.result.issues:
            if issue.severity == "error":
                self.fail(
                    None,
                    "file",
                    None,
                    None,
                    (),
                    message=N_("cannot be scored: {problem}").format(problem=issue.render()),
                )
        if expect.rejected is not None:
            self._sets(None, "rejected", expect.rejected, rejected, ("rejected",))
        for uid, unit_expect in expect.units.items():
            at: DocPath = ("units", uid)
            if uid in rejected:
                if unit_expect.status != "rejected":
                    first = rejected[uid].issues[0].render() if rejected[uid].issues else ""
                    self.fail(
                        uid,
                        "status",
                        "scored",
                        "rejected",
                        at,
                        message=N_("rejected: {problem}").format(problem=first),
                    )
                continue
            if uid not in units:
                self.fail(uid, "unit", uid, None, at, message=N_("no such unit in this case"))
                continue
            self._unit(units[uid], unit_expect, at)
        self._unexpected(expect, rejected, units)
        for award_id, expected in expect.awards.items():
            got = next((a.awarded for a in self.result.awards if a.id == award_id), ())
            self._sets(None, f"awards.{award_id}", expected, got, ("awards", award_id))

    def _unexpected(
        self, expect: CaseExpect, rejected: dict[str, Rejected], units: dict[str, UnitScore]
    ) -> None:
        """A rejected or failed unit that the case does not expect fails it."""
        expected_rejected = set(expect.rejected or ())
        for uid, item in rejected.items():
            if uid in expect.units or uid in expected_rejected:
                continue
            first = item.issues[0].render() if item.issues else ""
            self.fail(
                uid,
                "status",
                "scored",
                "rejected",
                (),
                message=N_("rejected: {problem}").format(problem=first),
            )
        for uid, unit in units.items():
            if unit.status == "error" and (
                uid not in expect.units or expect.units[uid].status is None
            ):
                first = unit.issues[-1].render() if unit.issues else ""
                self.fail(
                    uid,
                    "status",
                    "scored",
                    "error",
                    ("units", uid),
                    message=N_("failed: {problem}").format(problem=first),
                )

    def _sets(
        self,
        unit_id: str | None,
        what: str,
        expected: Sequence[str],
        got: Iterable[str],
        path: DocPath,
    ) -> None:
        want, have = sorted(set(expected)), sorted(set(got))
        if want != have:
            self.fail(unit_id, what, want, have, path)

    def _unit(self, unit: UnitScore, expect: UnitExpect, at: DocPath) -> None:
        uid = unit.unit_id
        given = expect.model_fields_set
        plain: tuple[tuple[str, Any], ...] = (
            ("status", unit.status),
            ("total", unit.total),
            ("max", unit.max),
            ("percent", unit.percent),
            ("rank", unit.rank),
            ("classification", unit.classification),
            ("deductions", unit.deductions),
            ("eligible", unit.eligible),
        )
        for name, got in plain:
            if name in given and getattr(expect, name) != got:
                item = "TOTAL" if name in ("total", "max", "percent", "deductions") else None
                self.fail(uid, name, getattr(expect, name), got, (*at, name), item=item)
        for ident, value in expect.items.items():
            applies = ident not in unit.not_applicable
            got = unit.items.get(ident) if applies else None
            if value != got or (value is None) == applies:
                self.fail(
                    uid,
                    N_("item {id}").format(id=ident),
                    value,
                    got,
                    (*at, "items", ident),
                    item=ident,
                )
        if expect.not_applicable is not None:
            self._sets(
                uid,
                "not_applicable",
                expect.not_applicable,
                unit.not_applicable,
                (*at, "not_applicable"),
            )
        if expect.not_classified is not None:
            gates = [r.split(": ", 1)[0] for r in unit.reasons]
            self._sets(uid, "not_classified", expect.not_classified, gates, (*at, "not_classified"))
        if expect.awards is not None:
            self._sets(uid, "awards", expect.awards, unit.awards, (*at, "awards"))


#: What a mismatch names, for the catalogs: a message says ``total: expected 9.5, got 10``,
#: and :func:`~emulation_rules._support.i18n.translate` translates each part.
MISMATCH_WORDS = (
    N_("total"),
    N_("max"),
    N_("percent"),
    N_("rank"),
    N_("classification"),
    N_("deductions"),
    N_("eligible"),
    N_("status"),
    N_("awards"),
    N_("rejected"),
    N_("scored"),
    N_("error"),
    N_("not_applicable"),
    N_("not_classified"),
)


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if value is None:
        return N_("nothing")
    if isinstance(value, str):
        return repr(value)
    return number(value)
