"""The tests file of a guide: its format, loading it, and checking its names against the guide.

:func:`load_suite` reads a ``<guide>.tests.yaml`` (see the package's docstring for the format)
and checks that the criteria, gates, awards and labels its expectations name are the guide's;
:func:`check_suite` returns those problems instead of raising (for ``emulation-rules check``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, ValidationError

from emulation_rules._support.formats import FrozenModel
from emulation_rules._support.i18n import N_
from emulation_rules._support.text import read_source, suggest
from emulation_rules._support.yaml import Positions, YamlDocument, parse_yaml
from emulation_rules.compiler import by_position, load_ruleset
from emulation_rules.errors import EmulationRulesError, Issue, RulesetSchemaError
from emulation_rules.guide.model import Id, Num, Text
from emulation_rules.guide.read import located, pydantic_issues
from emulation_rules.inputs.read import load_submissions

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping

    from emulation_rules.compiler.nodes import CompiledRuleset


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
        raise RulesetSchemaError(
            N_("the tests file {file} cannot be read").format(file=display), _opt(problem)
        )
    document, issues = parse_yaml(text.text, display)
    if document is None or any(i.severity == "error" for i in issues):
        raise RulesetSchemaError(
            N_("the tests file {file} cannot be read").format(file=display), tuple(issues)
        )
    try:
        tests = GuideTestsFile.model_validate(document.data)
    except ValidationError as exc:
        found = pydantic_issues(exc, document, display, GuideTestsFile)
        raise RulesetSchemaError(
            N_("the tests file {file} is invalid").format(file=display), tuple(found)
        ) from None
    guide_path = Path(path).parent / tests.guide
    guide = load_ruleset(guide_path)
    suite = GuideSuite(Path(path), display, tests, guide, document.positions, document)
    suite = dataclasses.replace(suite, base_values=_base_values(suite))
    problems = list(_check(suite))
    if problems:
        raise RulesetSchemaError(
            N_("the tests file {file} has {count} error(s)").format(
                file=display, count=len(problems)
            ),
            by_position(problems),
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

    def unknown(
        name: str,
        known: Collection[str],
        message: str,
        path: DocPath,
        code: str = "unknown-criterion",
    ) -> Iterable[Issue]:
        """The issue of a name the guide does not have (none if it has it)."""
        if name not in known:
            text = message.format(id=repr(name), label=repr(name), guide=guide.id)
            yield issue(code, text, path, suggest(name, known))

    for ci, case in enumerate(suite.tests.cases):
        base: DocPath = ("cases", ci, "expect")
        if case.submissions is None and case.units is None:
            yield issue(
                "missing-field",
                N_("case {case} gives neither 'submissions' nor 'units'").format(
                    case=repr(case.name)
                ),
                ("cases", ci),
            )
        for uid, expect in case.expect.units.items():
            at: DocPath = (*base, "units", uid)
            for item in expect.items:
                yield from unknown(item, guide.nodes, _NOT_CRITERION, (*at, "items", item))
            for index, item in enumerate(expect.not_applicable or ()):
                yield from unknown(
                    item, guide.nodes, _NOT_CRITERION, (*at, "not_applicable", index)
                )
            for index, award in enumerate(expect.awards or ()):
                yield from unknown(award, awards, _NOT_AWARD, (*at, "awards", index))
            for index, gate in enumerate(expect.not_classified or ()):
                yield from unknown(gate, gates, _NOT_GATE, (*at, "not_classified", index))
            if expect.classification is not None:
                yield from unknown(
                    expect.classification,
                    labels,
                    _NOT_LABEL,
                    (*at, "classification"),
                    code="invalid-value",  # a label, not a criterion
                )
        for award in case.expect.awards:
            yield from unknown(award, awards, _NOT_AWARD, (*base, "awards", award))


#: What the expectations may name, and the message when the guide has no such thing.
_NOT_CRITERION = N_("the expectations name {id}, which is not a criterion of {guide}")
_NOT_AWARD = N_("the expectations name {id}, which is not an award of {guide}")
_NOT_GATE = N_("the expectations name {id}, which is not a 'not_classified' gate of {guide}")
_NOT_LABEL = N_("the expectations name {label}, which is not a classification label of {guide}")


def _labels(guide: CompiledRuleset) -> list[str]:
    spec = guide.ruleset.classification
    if spec is None:
        return []
    labels = [b.label for b in spec.bands]
    return [*labels, spec.otherwise] if spec.otherwise else labels


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
        N_("{file} has no unit {unit} to take defaults from").format(
            file=ref.submissions, unit=repr(ref.unit)
        ),
        source=suite.source,
        line=line,
        column=column,
    )
    raise RulesetSchemaError(N_("defaults_from names no unit"), (*batch.issues, problem))
