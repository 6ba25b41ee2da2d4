"""Guide tests: named cases written beside a guide, with the results they must give.

A tests file ``<guide>.tests.yaml`` sits beside its guide::

    guide: tiengiang-stnmt-2022.yaml          # relative to this file
    defaults:                                 # values every inline unit starts from
      c1_ty_le_thu_gom: 100
    cases:
      - name: a1 bị trừ chạm mức tối đa 1,5 điểm
        units:                                # inline units, like a submission file's units
          - {unit_id: u1, values: {a1_1_so_truong_hop: 4}}
        expect:
          units:
            u1: {total: 98.5, rank: 1, items: {a1: 1.5, a1.1: -2}}
      - name: năm đơn vị mẫu
        submissions: ../examples/tiengiang-2022/submissions.yaml
        expect:
          units: {tx-cai-lay: {total: 110.10, rank: 1}}

:func:`load_suite` reads and checks a tests file, :func:`run_case` scores one case and
compares, :func:`coverage` reports the parts of the guide that no case exercises.
Expectations name only what they check; decimals compare exactly (``110.1`` equals
``110.10``). A unit that is rejected or fails without being expected to fails its case.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from emulation_rules._support.formats import FrozenModel
from emulation_rules._support.text import read_source, suggest
from emulation_rules._support.yaml import Positions, YamlDocument, parse_yaml
from emulation_rules.compiler import by_position, load_ruleset
from emulation_rules.compiler.nodes import IncrementC, PerEventC, ProportionalC
from emulation_rules.engine.scoring import ClusterResult, score
from emulation_rules.errors import EmulationRulesError, Issue, RulesetSchemaError
from emulation_rules.guide.model import Id, Num, Text
from emulation_rules.guide.read import located, pydantic_issues
from emulation_rules.inputs.cluster_data import ClusterData
from emulation_rules.inputs.read import load_submissions
from emulation_rules.inputs.submissions import (
    Rejected,
    Submission,
    load_cluster,
)
from emulation_rules.reports.explain import number, render_node, with_layers

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from emulation_rules.compiler.nodes import CompiledRuleset, Node
    from emulation_rules.engine.evaluator import TraceNode, UnitScore

__all__ = [
    "TESTS_SUFFIX",
    "CaseResult",
    "Coverage",
    "Gap",
    "GuideSuite",
    "GuideTestsFile",
    "Mismatch",
    "check_suite",
    "coverage",
    "is_tests_file",
    "load_suite",
    "run_case",
    "run_suite",
    "tests_path_for",
]

#: The name of a guide's tests file is the guide's name with this suffix instead of ``.yaml``.
TESTS_SUFFIX = ".tests.yaml"
#: Largest tests file accepted, in bytes.
MAX_TESTS_BYTES = 20 * 1024 * 1024

DocPath = tuple[str | int, ...]


class UnitExpect(FrozenModel):
    """What one unit must get. Only the keys given are checked."""

    status: Literal["scored", "not_classified", "error", "rejected"] | None = None
    total: Num | None = None
    max: Num | None = None
    percent: Num | None = None
    rank: int | None = Field(default=None, ge=1)
    classification: str | None = None
    deductions: Num | None = None
    eligible: bool | None = None
    #: Criterion values by id; ``null`` means the criterion does not apply to the unit.
    items: dict[Id, Num | None] = Field(default_factory=dict)
    #: Exactly these criteria do not apply to the unit.
    not_applicable: tuple[Id, ...] | None = None
    #: Exactly these ``not_classified`` gates hold for the unit.
    not_classified: tuple[Id, ...] | None = None
    #: Exactly these awards are proposed for the unit.
    awards: tuple[Id, ...] | None = None


class CaseExpect(FrozenModel):
    """What a case must give: per unit, per award, and which units are rejected."""

    units: dict[Id, UnitExpect] = Field(default_factory=dict)
    #: The units proposed for each award (in any order).
    awards: dict[Id, tuple[Id, ...]] = Field(default_factory=dict)
    #: Exactly these units are rejected (their submission is wrong).
    rejected: tuple[Id, ...] | None = None


class GuideCase(FrozenModel):
    """One named case: submissions (files or inline units), cluster facts, expectations."""

    name: Text
    description: str | None = None
    #: Submission files, relative to the tests file.
    submissions: str | tuple[str, ...] | None = None
    #: Inline units, like the units of a submission file (``name`` defaults to the id).
    units: tuple[dict[str, Any], ...] | None = None
    #: Values every inline unit of this case starts from (over the file's ``defaults``).
    defaults: dict[str, Any] = Field(default_factory=dict)
    #: Cluster facts: a file relative to the tests file, or the facts inline.
    cluster: str | dict[str, Any] | None = None
    expect: CaseExpect


class UnitRef(FrozenModel):
    """One unit of a submission file, whose values inline units start from."""

    #: The submission file, relative to the tests file.
    submissions: Text
    unit: Id


class GuideTestsFile(FrozenModel):
    """A tests file: the guide it tests and its cases."""

    #: The guide, relative to the tests file.
    guide: Text
    #: Values every inline unit starts from (over those of ``defaults_from``).
    defaults: dict[str, Any] = Field(default_factory=dict)
    #: A unit of a submission file whose values every inline unit starts from.
    defaults_from: UnitRef | None = None
    cases: tuple[GuideCase, ...] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class GuideSuite:
    """A loaded tests file and its compiled guide."""

    path: Path
    source: str
    tests: GuideTestsFile
    guide: CompiledRuleset
    positions: Positions
    #: The tests file's parsed document (to locate problems in inline units).
    document: YamlDocument | None = None
    #: The values of the ``defaults_from`` unit.
    base_values: Mapping[str, Any] = field(default_factory=dict)

    def position(self, path: DocPath) -> tuple[int | None, int | None]:
        """Line and column of a node of the tests file."""
        found = self.positions.find(path)
        return found or (None, None)


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
            lines.append(mismatch.issue.render())
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
# Loading


def tests_path_for(guide: str | Path) -> Path:
    """The tests file of a guide: ``x.yaml`` → ``x.tests.yaml`` (a tests file is itself)."""
    path = Path(guide)
    if path.name.endswith(TESTS_SUFFIX):
        return path
    return path.with_name(path.name.removesuffix(path.suffix) + TESTS_SUFFIX)


def is_tests_file(path: str | Path) -> bool:
    """Whether ``path`` names a guide tests file (``*.tests.yaml``)."""
    return str(path).endswith(TESTS_SUFFIX)


def load_suite(path: str | Path) -> GuideSuite:
    """Read a tests file and load its guide.

    Raises:
        RulesetError: with every located issue of the tests file, or of the guide.
    """
    display = str(path)
    text, problem = read_source(path, max_bytes=MAX_TESTS_BYTES, display_name=display)
    if text is None:
        raise RulesetSchemaError(f"the tests file {display} cannot be read", _opt(problem))
    document, issues = parse_yaml(text.text, display)
    if document is None or any(i.severity == "error" for i in issues):
        raise RulesetSchemaError(f"the tests file {display} cannot be read", tuple(issues))
    try:
        tests = GuideTestsFile.model_validate(document.data)
    except ValidationError as exc:
        found = pydantic_issues(exc, document, display, GuideTestsFile)
        raise RulesetSchemaError(f"the tests file {display} is invalid", tuple(found)) from None
    guide_path = Path(path).parent / tests.guide
    guide = load_ruleset(guide_path)
    suite = GuideSuite(Path(path), display, tests, guide, document.positions, document)
    suite = dataclasses.replace(suite, base_values=_base_values(suite))
    problems = list(_check(suite))
    if problems:
        raise RulesetSchemaError(
            f"the tests file {display} has {len(problems)} error(s)", by_position(problems)
        )
    return suite


def check_suite(path: str | Path) -> list[Issue]:
    """Every issue of a tests file (and of the guide it names); never raises for bad content.

    ``emulation-rules check`` uses it for ``*.tests.yaml`` files, so that
    ``check rulesets/*.yaml`` checks the guides and their tests files alike.
    """
    try:
        load_suite(path)
    except EmulationRulesError as exc:
        return list(by_position(exc.issues))
    return []


def _opt(issue: Issue | None) -> tuple[Issue, ...]:
    return (issue,) if issue else ()


def _check(suite: GuideSuite) -> Iterable[Issue]:
    """Names in the expectations that the guide does not have."""
    guide = suite.guide
    awards = [a.id for a in guide.ruleset.awards]
    gates = [g.id for g in guide.gates]
    labels = _labels(guide)

    def issue(code: str, message: str, path: DocPath, hint: str | None = None) -> Issue:
        found = Issue(code, message, source=suite.source, path=path, hint=hint)
        return located(found, suite.positions, key=True)

    for ci, case in enumerate(suite.tests.cases):
        base: DocPath = ("cases", ci, "expect")
        if case.submissions is None and case.units is None:
            yield issue(
                "missing-field",
                f"case {case.name!r} gives neither 'submissions' nor 'units'",
                ("cases", ci),
            )
        for uid, expect in case.expect.units.items():
            at: DocPath = (*base, "units", uid)
            for item in expect.items:
                if item not in guide.nodes:
                    yield issue(
                        "unknown-criterion",
                        f"{item!r} is not a criterion of {guide.id}",
                        (*at, "items", item),
                        suggest(item, guide.nodes),
                    )
            for index, item in enumerate(expect.not_applicable or ()):
                if item not in guide.nodes:
                    yield issue(
                        "unknown-criterion",
                        f"{item!r} is not a criterion of {guide.id}",
                        (*at, "not_applicable", index),
                        suggest(item, guide.nodes),
                    )
            for index, award in enumerate(expect.awards or ()):
                if award not in awards:
                    yield issue(
                        "unknown-criterion",
                        f"{award!r} is not an award of {guide.id}",
                        (*at, "awards", index),
                        suggest(award, awards),
                    )
            for index, gate in enumerate(expect.not_classified or ()):
                if gate not in gates:
                    yield issue(
                        "unknown-criterion",
                        f"{gate!r} is not a 'not_classified' gate of {guide.id}",
                        (*at, "not_classified", index),
                        suggest(gate, gates),
                    )
            label = expect.classification
            if label is not None and label not in labels:
                yield issue(
                    "invalid-value",
                    f"{label!r} is not a classification label of {guide.id}",
                    (*at, "classification"),
                    suggest(label, labels),
                )
        for award in case.expect.awards:
            if award not in awards:
                yield issue(
                    "unknown-criterion",
                    f"{award!r} is not an award of {guide.id}",
                    (*base, "awards", award),
                    suggest(award, awards),
                )


def _labels(guide: CompiledRuleset) -> list[str]:
    spec = guide.ruleset.classification
    if spec is None:
        return []
    labels = [b.label for b in spec.bands]
    return [*labels, spec.otherwise] if spec.otherwise else labels


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


def _base_values(suite: GuideSuite) -> dict[str, Any]:
    """The values of the ``defaults_from`` unit, if any.

    Raises:
        RulesetSchemaError: if the file cannot be read or has no such unit.
    """
    ref = suite.tests.defaults_from
    if ref is None:
        return {}
    batch = load_submissions([suite.path.parent / ref.submissions])
    for sub in batch.submissions:
        if sub.unit_id == ref.unit:
            return dict(sub.values)
    line, column = suite.position(("defaults_from", "unit"))
    problem = Issue(
        "invalid-value",
        f"{ref.submissions} has no unit {ref.unit!r} to take defaults from",
        source=suite.source,
        line=line,
        column=column,
    )
    raise RulesetSchemaError("defaults_from names no unit", (*batch.issues, problem))


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
        raise RulesetSchemaError("the cluster facts of a case are invalid", tuple(found)) from None


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
                    f"case {case.name!r}: cannot be run: {text}",
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
        who = f"unit {unit_id!r}: " if unit_id is not None else ""
        text = message or f"{what}: expected {_shown(expected)}, got {_shown(got)}"
        line, column = self.suite.position(("cases", self.index, "expect", *path))
        issue = Issue(
            "test-failed",
            f"case {self.case.name!r}: {who}{text}",
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
                    None, "file", None, None, (), message=f"cannot be scored: {issue.render()}"
                )
        if expect.rejected is not None:
            self._sets(None, "rejected", expect.rejected, rejected, ("rejected",))
        for uid, unit_expect in expect.units.items():
            at: DocPath = ("units", uid)
            if uid in rejected:
                if unit_expect.status != "rejected":
                    first = rejected[uid].issues[0].render() if rejected[uid].issues else ""
                    self.fail(uid, "status", "scored", "rejected", at, message=f"rejected: {first}")
                continue
            if uid not in units:
                self.fail(uid, "unit", uid, None, at, message="no such unit in this case")
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
            self.fail(uid, "status", "scored", "rejected", (), message=f"rejected: {first}")
        for uid, unit in units.items():
            if unit.status == "error" and (
                uid not in expect.units or expect.units[uid].status is None
            ):
                first = unit.issues[-1].render() if unit.issues else ""
                self.fail(
                    uid, "status", "scored", "error", ("units", uid), message=f"failed: {first}"
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
                self.fail(uid, f"item {ident}", value, got, (*at, "items", ident), item=ident)
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


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return repr(value)
    return number(value)


# --------------------------------------------------------------------------------------------
# Coverage


@dataclass(frozen=True, slots=True)
class Gap:
    """A part of the guide that no case exercises, and what was never seen."""

    id: str
    title: str
    #: ``criterion``, ``not_classified``, ``eligibility``, ``classification`` or ``award``.
    kind: str
    #: What no case showed, in plain words.
    missing: tuple[str, ...]
    line: int | None = None
    #: The file of ``line`` (a base guide's, for a criterion inherited from it).
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Coverage:
    """Which parts of a guide the cases exercise."""

    #: Parts that have something to exercise (criteria with a rule, gates, labels, awards).
    total: int
    exercised: int
    gaps: tuple[Gap, ...]
    #: Criteria with nothing to exercise: a benchmark granted to every unit, or a sum.
    constant: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """Whether every part is exercised."""
        return not self.gaps

    def render(self) -> list[str]:
        """The coverage report as text lines."""
        lines = [f"coverage: {self.exercised} of {self.total} parts of the guide exercised"]
        for gap in self.gaps:
            where = f" ({gap.source}:{gap.line})" if gap.line and gap.source else ""
            label = gap.id if gap.kind == "criterion" else f"{gap.kind} {gap.id}"
            lines.append(f"  not exercised: {label}{where}: " + "; ".join(gap.missing))
        return lines


@dataclass
class _Seen:
    applies: bool = False
    values: set[Decimal] = field(default_factory=set)
    statuses: set[str] = field(default_factory=set)
    lines: set[str] = field(default_factory=set)
    withheld: bool = False


def _reached(node: Node, trace: TraceNode) -> set[str]:
    """The caps of ``node`` that this unit reached (bound, or met exactly)."""
    out: set[str] = set()
    adjust = [amount for label, amount in trace.parts if label in node.adjust_children]
    negative = sum((a for a in adjust if a < 0), Decimal(0))
    positive = sum((a for a in adjust if a > 0), Decimal(0))
    if node.cap_deductions is not None and -negative >= node.cap_deductions:
        out.add("cap_deductions")
    if node.cap_bonuses is not None and positive >= node.cap_bonuses:
        out.add("cap_bonuses")
    if node.cap_adjustments is not None and abs(negative + positive) >= node.cap_adjustments:
        out.add("cap_adjustments")
    construct = node.construct
    if (
        isinstance(construct, PerEventC | IncrementC | ProportionalC)
        and construct.cap is not None
        and trace.parts
        and abs(trace.parts[0][1]) >= construct.cap
    ):
        out.add("cap_line")
    return out


def _observe(
    guide: CompiledRuleset, results: Iterable[ClusterResult]
) -> tuple[dict[str, _Seen], set[str], set[str], set[str], set[str]]:
    seen: dict[str, _Seen] = {}
    gates: set[str] = set()
    ineligible: set[str] = set()
    labels: set[str] = set()
    awards: set[str] = set()
    for result in results:
        for award in result.awards:
            if award.awarded:
                awards.add(award.id)
        for unit in result.units:
            gates.update(r.split(": ", 1)[0] for r in unit.reasons)
            ineligible.update(r.split(": ", 1)[0] for r in unit.eligibility_reasons)
            if unit.classification:
                labels.add(unit.classification)
            if unit.trace is None:
                continue
            stack = list(unit.trace.children)
            while stack:
                node = stack.pop()
                stack.extend(node.children)
                entry = seen.setdefault(node.id, _Seen())
                entry.statuses.add(node.status)
                if node.applicable:
                    entry.applies = True
                    entry.values.add(node.value)
                compiled = guide.nodes.get(node.id)
                if compiled is not None and node.applicable:
                    entry.lines.update(_reached(compiled, node))
                for code, _amount, note in node.adjustments:
                    entry.lines.add(code)
                    if code == "benchmark_not_met":
                        child = note.split(":", 1)[0]
                        seen.setdefault(child, _Seen()).withheld = True
    return seen, gates, ineligible, labels, awards


def _aspects(node: Node) -> list[tuple[str, str]]:
    """What a criterion must be seen doing: ``(observation, description)``."""
    out: list[tuple[str, str]] = []
    if node.kind != "score":
        out.append(("nonzero", f"no unit gets this {node.kind}"))
    elif node.construct is not None:
        out.append(
            ("varies", f"every unit gets the same value from its rule ({node.construct_name})")
        )
    if node.forfeit_if is not None:
        out.append(("forfeited", f"never forfeited ({node.forfeit_if.source})"))
    if node.waive_if is not None:
        out.append(("waived", f"never waived ({node.waive_if.source})"))
    if node.applicable_if is not None:
        out.append(("not_applicable", f"always applies ({node.applicable_if.source})"))
    for code, cap, word in (
        ("cap_deductions", node.cap_deductions, "deductions"),
        ("cap_bonuses", node.cap_bonuses, "bonuses"),
        ("cap_adjustments", node.cap_adjustments, "adjustments"),
    ):
        if cap is not None:
            out.append((code, f"the cap on {word} ({cap}) is never reached"))
    construct = node.construct
    if isinstance(construct, PerEventC | IncrementC | ProportionalC) and construct.cap is not None:
        out.append(("cap_line", f"the cap {construct.cap} is never reached"))
    if node.requires_benchmark:
        out.append(("withheld", "never withheld for a benchmark not met"))
    return out


def _missing(aspect: str, seen: _Seen) -> bool:
    if aspect == "nonzero":
        return not any(v != 0 for v in seen.values)
    if aspect == "varies":
        return len(seen.values) < 2
    if aspect in ("forfeited", "waived", "not_applicable"):
        return aspect not in seen.statuses
    if aspect == "withheld":
        return not seen.withheld
    return aspect not in seen.lines


def coverage(suite: GuideSuite, results: Iterable[ClusterResult]) -> Coverage:
    """Which criteria, gates, labels and awards of the guide the cases' results exercise.

    A criterion is exercised when some unit of some case has it applicable and shows what it
    does: a bonus or deduction applied (a value other than 0); a scored rule giving at least
    two different values; each declared cap reached; a forfeit, waiver or ``applicable_if``
    holding; a benchmark-gated bonus withheld. A benchmark granted to every unit, or a sum of
    children, has nothing of its own to exercise. A gate is exercised when it holds for some
    unit, a classification label when some unit gets it, an award when some unit gets it.
    """
    seen, gates, ineligible, labels, awards = _observe(suite.guide, results)
    guide = suite.guide
    gaps: list[Gap] = []
    constant: list[str] = []
    total = 0
    layers = dict(guide.layers)
    for ident in sorted(guide.nodes, key=lambda i: guide.nodes[i].path):
        node = guide.nodes[ident]
        aspects = _aspects(node)
        if not aspects:
            constant.append(ident)
            continue
        total += 1
        entry = seen.get(ident, _Seen())
        if not entry.applies:
            missing = ["no case scores it (it never applies)"]
        else:
            missing = [text for aspect, text in aspects if _missing(aspect, entry)]
        if missing:
            source = layers.get(node.layer, guide.source) if node.layer else guide.source
            gaps.append(Gap(ident, node.title, "criterion", tuple(missing), node.line, source))
    for kind, items, hit in (
        ("not_classified", [(g.id, g.reason) for g in guide.gates], gates),
        ("eligibility", [(g.id, g.reason) for g in guide.eligibility], ineligible),
        ("award", [(a.id, a.title) for a in guide.ruleset.awards], awards),
        ("classification", [(label, label) for label in _labels(guide)], labels),
    ):
        for ident, title in items:
            total += 1
            if ident not in hit:
                gaps.append(Gap(ident, title, kind, (_NEVER[kind],)))
    return Coverage(total, total - len(gaps), tuple(gaps), tuple(constant))


_NEVER = {
    "not_classified": "never holds for a unit",
    "eligibility": "never makes a unit ineligible",
    "award": "no unit is proposed for it",
    "classification": "no unit gets this label",
}
