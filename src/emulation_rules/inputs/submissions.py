"""Unit submissions: the file format, loading from YAML and JSON, and strict validation.

A submission file names the guide it answers and lists units::

    ruleset: tiengiang-stnmt-2022
    ruleset_version: "2022.1"
    period: "2022"
    units:
      - unit_id: tx-cai-lay
        name: Phòng Tài nguyên và Môi trường thị xã Cai Lậy
        values: {a1_1_so_truong_hop: 1, c1_ty_le_thu_gom: 97.5}
        evidence: {a1_1_so_truong_hop: ["12/BC-PTNMT ngày 30/11/2022"]}
        self_scores: {a1: 2.5}

Values are validated against the guide's declared inputs; a unit with a wrong value is
rejected with an issue naming the unit and the field, and the other units are still scored.
"""

from __future__ import annotations

import decimal
import difflib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic_core import PydanticCustomError

from emulation_rules._support.documents import (
    MAX_DOCUMENT_BYTES,
    pydantic_issues,
    read_document,
    read_model,
)
from emulation_rules._support.i18n import N_
from emulation_rules._support.numbers import ENGINE_CONTEXT
from emulation_rules._support.text import (
    describe_control,
    find_control,
    find_invisible,
    nfc,
    suggest,
)
from emulation_rules.compiler.fields import (
    NOT_APPLICABLE,
    TypedValues,
    ValueProblem,
    as_plain,
    coerce_value,
    input_plan,
)
from emulation_rules.compiler.sandbox import CheckedExpression, evaluate_expression
from emulation_rules.errors import EvaluationError, Issue, json_pointer
from emulation_rules.guide.model import Id, Num, Text
from emulation_rules.inputs._validation import CheckedModel
from emulation_rules.inputs.cluster_data import ClusterData

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from emulation_rules._support.yaml import YamlDocument
    from emulation_rules.compiler.nodes import CompiledRuleset

__all__ = [
    "MAX_SUBMISSION_BYTES",
    "Evidence",
    "Rejected",
    "Submission",
    "SubmissionBatch",
    "SubmissionFile",
    "load_cluster",
    "read_submission_file",
    "validate_submission",
    "validated_values",
]

#: Largest submission file accepted, in bytes.
MAX_SUBMISSION_BYTES = MAX_DOCUMENT_BYTES


class Evidence(CheckedModel):
    """A piece of evidence ("minh chứng") for a value."""

    #: Document number, e.g. "12/BC-PTNMT".
    document: str | None = None
    date: str | None = None
    file: str | None = None
    link: str | None = None
    note: str | None = None


def _evidence_list(value: Any) -> Any:
    """Evidence as a list of items; a plain text (or one text) is a note."""
    if isinstance(value, str | dict):
        value = [value]
    if isinstance(value, list | tuple):
        return [{"note": item} if isinstance(item, str) else item for item in value]
    return value


def _no_invisible(value: str) -> str:
    if find_invisible(value) >= 0:
        raise PydanticCustomError("invisible-char", "the name contains an invisible character")
    control = find_control(value)
    if control >= 0:  # a line break would forge a row of the ranked table
        raise PydanticCustomError(
            "control-char",
            "the name contains a control character ({char}); write it on one line, as plain text",
            {"char": describe_control(value[control])},
        )
    return value


class Submission(CheckedModel):
    """One unit's submission: identity, input values, evidence and its own self-scores."""

    unit_id: Id
    #: Vietnamese name of the unit (normalised to NFC).
    name: Annotated[Text, AfterValidator(nfc), AfterValidator(_no_invisible)]
    #: Input values, by input name; validated against the guide when scored.
    values: dict[str, Any] = Field(default_factory=dict)
    #: Evidence references by input name: text, or {document, date, file, link}.
    evidence: dict[str, Annotated[tuple[Evidence, ...], BeforeValidator(_evidence_list)]] = Field(
        default_factory=dict
    )
    #: The unit's self-assessed score per criterion ("điểm tự chấm").
    self_scores: dict[str, Num] = Field(default_factory=dict)
    #: The guide id, version and period this submission answers (checked when given).
    ruleset: str | None = None
    ruleset_version: str | None = None
    period: str | None = None
    #: Where the submission came from (file name), for messages.
    source: str | None = Field(default=None, exclude=True)
    #: Line and column of each value in the source file, for messages.
    locations: dict[str, tuple[int | None, int | None]] = Field(default_factory=dict, exclude=True)
    #: Where each value was read in a workbook ("sheet 'Đơn vị', cell D7"), named in messages.
    cells: dict[str, str] = Field(default_factory=dict, exclude=True)


class SubmissionFile(CheckedModel):
    """A submission document: the guide it answers, and one or more units."""

    ruleset: Text
    ruleset_version: Text
    period: str | None = None
    units: tuple[dict[str, Any], ...] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A unit that could not be scored because its submission is wrong."""

    unit_id: str
    name: str | None
    issues: tuple[Issue, ...]


@dataclass(frozen=True, slots=True)
class SubmissionBatch:
    """Submissions read from files or data, and the units rejected while reading them.

    Give the whole batch to :func:`~emulation_rules.score` (``score(guide, batch)``): its
    rejected units and its issues are then carried into the result, never dropped.
    """

    submissions: tuple[Submission, ...]
    rejected: tuple[Rejected, ...]
    #: File-level issues (a file or a document that could not be read at all).
    issues: tuple[Issue, ...] = ()
    #: Where each unit is in its document: ``(source, unit_id) -> ("units", 2)``.
    unit_paths: Mapping[tuple[str | None, str], tuple[str | int, ...]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    def document_path(self, issue: Issue) -> tuple[str | int, ...]:
        """The path of ``issue`` in its document, from the document's root.

        An issue found when a unit is validated against the guide has a path inside the unit
        (``("values", "x")``); this prefixes the unit's place (``("units", 2, "values", "x")``).

        Example:
            >>> batch = SubmissionBatch((), (), unit_paths={("f.json", "u1"): ("units", 2)})
            >>> batch.document_path(Issue("value-type", "…", source="f.json", unit_id="u1",
            ...                           path=("values", "x")))
            ('units', 2, 'values', 'x')
        """
        if issue.unit_id is not None and issue.path[:1] != ("units",):
            base = self.unit_paths.get((issue.source, issue.unit_id))
            if base is not None:
                return base + issue.path
        return issue.path

    def pointer(self, issue: Issue) -> str:
        """:meth:`document_path` as a JSON Pointer (RFC 6901), e.g. ``/units/2/values/x``."""
        return json_pointer(self.document_path(issue))


def read_submission_document(
    source: str | Path | bytes, *, name: str | None = None
) -> tuple[YamlDocument | None, list[Issue]]:
    """Read a submission file (YAML or JSON, by extension or content)."""
    return read_document(source, name=name, unnamed="<submission>", max_bytes=MAX_SUBMISSION_BYTES)


def _unit_locations(
    positions: dict[tuple[str | int, ...], tuple[int, int]],
) -> dict[int, dict[str, tuple[int, int]]]:
    """Each unit's value, self-score and evidence positions, indexed in one pass over the file.

    Keys are ``"name"`` for ``units[i].values.name`` and ``"self_scores.x"``/``"evidence.x"``
    for those sections: the locations a unit's issues are reported at.
    """
    by_unit: dict[int, dict[str, tuple[int, int]]] = {}
    for path, position in positions.items():
        if len(path) != 4 or path[0] != "units":
            continue
        _, index, section, key = path
        if not isinstance(index, int) or not isinstance(key, str):
            continue
        if section == "values":
            by_unit.setdefault(index, {})[key] = position
        elif section in ("self_scores", "evidence"):
            by_unit.setdefault(index, {})[f"{section}.{key}"] = position
    return by_unit


def read_submission_file(source: str | Path) -> SubmissionBatch:
    """Read one YAML or JSON submission file (workbooks: :mod:`emulation_rules.inputs.read`).

    Bad units are rejected with issues; a bad file gives issues.
    """
    document, issues = read_submission_document(source)
    return submissions_from_document(document, issues, str(source))


def submissions_from_document(
    document: YamlDocument | None, issues: list[Issue], name: str
) -> SubmissionBatch:
    """Validate a submission document already read (from a file, text, bytes or data).

    ``issues`` are the reader's; bad units are rejected with issues, a bad document gives
    issues.
    """
    submissions: list[Submission] = []
    rejected: list[Rejected] = []
    file_issues: list[Issue] = []
    unit_paths: dict[tuple[str | None, str], tuple[str | int, ...]] = {}
    errors = [i for i in issues if i.severity == "error"]
    if document is None or errors:
        file_issues.extend(issues)
        return SubmissionBatch((), (), tuple(file_issues))
    if not isinstance(document.data, dict):
        file_issues.append(
            Issue(
                "wrong-type",
                N_("a submission file must be a mapping"),
                source=name,
                line=1,
                column=1,
            )
        )
        return SubmissionBatch((), (), tuple(file_issues))
    try:
        envelope = SubmissionFile.model_validate(document.data)
    except ValidationError as exc:
        file_issues.extend(pydantic_issues(exc, document, name, SubmissionFile))
        return SubmissionBatch((), (), tuple(file_issues))
    unit_locations = _unit_locations(document.positions.values)
    for index, raw in enumerate(envelope.units):
        path: tuple[str | int, ...] = ("units", index)
        raw_with_meta = {
            "ruleset": envelope.ruleset,
            "ruleset_version": envelope.ruleset_version,
            "period": envelope.period,
            "source": name,
            "locations": {
                **unit_locations.get(index, {}),
                "@unit": document.positions.values.get(path, (None, None)),
                "@values": document.positions.values.get((*path, "values"), (None, None)),
            },
            **raw,
        }
        try:
            submission = Submission.model_validate(raw_with_meta)
            submissions.append(submission)
            unit_paths.setdefault((name, submission.unit_id), path)
        except ValidationError as exc:
            unit_id = raw.get("unit_id") if isinstance(raw.get("unit_id"), str) else f"#{index + 1}"
            unit_name = raw.get("name") if isinstance(raw.get("name"), str) else None
            found = pydantic_issues(exc, document, name, Submission, base_path=path)
            rejected.append(
                Rejected(
                    str(unit_id),
                    unit_name,
                    tuple(i.evolve(unit_id=str(unit_id)) for i in found),
                )
            )
    return SubmissionBatch(tuple(submissions), tuple(rejected), tuple(file_issues), unit_paths)


def validate_submission(
    compiled: CompiledRuleset,
    submission: Submission,
    *,
    allow_version_mismatch: bool = False,
    reference: bool = False,
) -> tuple[dict[str, Any] | None, list[Issue]]:
    """Check a submission against the guide's inputs.

    Returns the typed values (missing values filled as the guide declares) and the issues;
    values are ``None`` when an error stops the unit from being scored. With
    ``reference=True`` the guide's checks are evaluated by simpleeval, not the closures.
    The values are a new dict, the caller's to change.
    """
    typed, issues = validated_values(
        compiled, submission, allow_version_mismatch=allow_version_mismatch, reference=reference
    )
    if typed is None or (type(typed) is dict and typed is not submission.values):
        return typed, issues
    return typed.as_dict() if type(typed) is TypedValues else dict(typed), issues


def validated_values(
    compiled: CompiledRuleset,
    submission: Submission,
    *,
    allow_version_mismatch: bool = False,
    reference: bool = False,
) -> tuple[Mapping[str, Any] | None, list[Issue]]:
    """:func:`validate_submission`, whose values may be ``submission.values`` itself.

    They are when every submitted value is already its typed value (as the JSON and YAML
    loaders give them), or a :class:`~emulation_rules.compiler.fields.TypedValues` of them and
    the few values validation changed: no copy is made, and a kept result's trace reads the
    submission's own values (issue 18). The caller never changes them.
    """
    typed = _without_issues(
        compiled, submission, allow_version_mismatch=allow_version_mismatch, reference=reference
    )
    if typed is not None:
        return typed, []
    return _validate_reporting(
        compiled, submission, allow_version_mismatch=allow_version_mismatch, reference=reference
    )


def _without_issues(
    compiled: CompiledRuleset,
    submission: Submission,
    *,
    allow_version_mismatch: bool,
    reference: bool = False,
) -> Mapping[str, Any] | None:
    """The typed values of a submission that has nothing to report; else None.

    The fast path of :func:`validate_submission`: the same tests as
    :func:`_validate_reporting`, in the same order, with the values checked through the
    guide's :class:`~emulation_rules.compiler.fields.InputPlan`; at the first thing that would be
    reported it gives up, and :func:`_validate_reporting` finds and words the issues.
    """
    if (
        (submission.ruleset is not None and submission.ruleset != compiled.id)
        or (
            submission.ruleset_version is not None
            and submission.ruleset_version != compiled.version
            and not allow_version_mismatch
        )
        or (submission.period is not None and submission.period != compiled.ruleset.period)
    ):
        return None
    plan = input_plan(compiled.inputs)
    typed = plan.typed(submission.values)
    if typed is None:
        return None
    for field_name, spec in plan.evidence:
        value = typed.get(field_name)
        if (
            value is not NOT_APPLICABLE
            and spec.claims(value)
            and field_name in submission.values
            and not submission.evidence.get(field_name)
        ):
            return None
    if submission.self_scores:
        nodes = compiled.nodes
        if any(ident not in nodes for ident in submission.self_scores):
            return None
    if submission.evidence:
        inputs = compiled.inputs
        if any(name not in inputs for name in submission.evidence):
            return None
    for check in compiled.checks:
        if any(typed.get(n) is NOT_APPLICABLE for n in check.when.names):
            continue
        if not _holds(compiled, check.when, typed, reference=reference):
            return None
    return typed


def _validate_reporting(
    compiled: CompiledRuleset,
    submission: Submission,
    *,
    allow_version_mismatch: bool = False,
    reference: bool = False,
) -> tuple[dict[str, Any] | None, list[Issue]]:
    """:func:`validate_submission`, value by value, with every issue (the reference path)."""
    issues: list[Issue] = []
    unit = submission.unit_id

    def issue(
        code: str,
        message: str,
        field: str | None = None,
        *,
        hint: str | None = None,
        severity: str = "error",
        at: tuple[str | int, ...] = (),
    ) -> None:
        path: tuple[str | int, ...] = ("values", field, *at) if field else ()
        where = submission.locations
        line, column = where.get(field or "@unit") or where.get("@unit") or (None, None)
        cell = submission.cells.get(field or "@unit")
        if cell:
            message = f"{message} ({cell})"
        if field and field.startswith(("self_scores.", "evidence.")):
            path = tuple(field.split(".", 1))
        issues.append(
            Issue(
                code,
                message,
                source=submission.source,
                unit_id=unit,
                path=path,
                line=line,
                column=column,
                hint=hint,
                severity="warning" if severity == "warning" else "error",
            )
        )

    if submission.ruleset is not None and submission.ruleset != compiled.id:
        issue(
            "ruleset-mismatch",
            N_("the submission answers guide {given}, not {guide}").format(
                given=repr(submission.ruleset), guide=repr(compiled.id)
            ),
        )
    if (
        submission.ruleset_version is not None
        and submission.ruleset_version != compiled.version
        and not allow_version_mismatch
    ):
        issue(
            "ruleset-mismatch",
            N_(
                "the submission answers version {given} of the guide; this is version {version}"
            ).format(given=repr(submission.ruleset_version), version=repr(compiled.version)),
        )
    if submission.period is not None and submission.period != compiled.ruleset.period:
        issue(
            "ruleset-mismatch",
            N_("the submission is for the period {given}; the guide scores {period}").format(
                given=repr(submission.period), period=repr(compiled.ruleset.period)
            ),
        )
    typed: dict[str, Any] = {}
    for field_name, raw in submission.values.items():
        spec = compiled.inputs.get(field_name)
        if spec is None and field_name in compiled.cluster_facts:
            issue(
                "cluster-fact-in-submission",
                N_(
                    "{name} is a cluster fact: the cluster file gives it, not the unit's submission"
                ).format(name=repr(field_name)),
                field_name,
                hint=N_("remove it here; put it under facts.{name} in the cluster file").format(
                    name=field_name
                ),
            )
            continue
        if spec is None:
            close = difflib.get_close_matches(field_name, list(compiled.inputs), n=1, cutoff=0.6)
            issue(
                "unknown-field-value",
                N_("{name} is not an input of the guide").format(name=repr(field_name)),
                field_name,
                hint=N_("did you mean {name}?").format(name=repr(close[0])) if close else None,
            )
            continue
        if raw is None:
            continue
        if spec.type == "list" and field_name in submission.cells:
            issue(
                "excel-list-input",
                N_("{label}: a list input cannot be given in a workbook cell yet").format(
                    label=spec.label
                ),
                field_name,
                hint=N_("give the submissions as YAML or JSON"),
            )
            continue
        try:
            typed[field_name] = coerce_value(spec, raw)
        except ValueProblem as problem:
            if problem.at:  # an item of a list input: its place in the list, then the field
                where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in problem.at)
                issue(
                    problem.code,
                    N_("{label} {where}: {problem}").format(
                        label=spec.label, where=f"{field_name}{where}", problem=problem.message
                    ),
                    field_name,
                    hint=problem.hint,
                    at=problem.at,
                )
                continue
            issue(
                problem.code,
                N_("{label}: {problem}").format(label=spec.label, problem=problem.message),
                field_name,
                hint=problem.hint,
            )
    failed = {i.path[1] for i in issues if len(i.path) == 2}
    for field_name, spec in compiled.inputs.items():
        if field_name in typed or field_name in failed:
            continue
        if spec.required:
            issue(
                "missing-value",
                N_("{label}: a value is required").format(label=spec.label),
                field_name,
            )
        else:
            typed[field_name] = spec.missing
    for field_name, spec in compiled.inputs.items():
        value = typed.get(field_name)
        if (
            spec.evidence
            and value is not NOT_APPLICABLE
            and spec.claims(value)
            and field_name in submission.values
        ) and not submission.evidence.get(field_name):
            issue(
                "evidence-missing",
                N_("{label}: the value {value} needs evidence (minh chứng) and has none").format(
                    label=spec.label, value=value
                ),
                field_name,
                severity="warning",
            )
    for ident in submission.self_scores:
        if ident not in compiled.nodes:
            issue(
                "unknown-criterion",
                N_("self-score for {id}, which is not a criterion").format(id=repr(ident)),
                f"self_scores.{ident}",
                hint=suggest(ident, compiled.nodes),
            )
    for name in submission.evidence:
        if name not in compiled.inputs:
            issue(
                "unknown-field-value",
                N_("evidence for {name}, which is not an input of the guide").format(
                    name=repr(name)
                ),
                f"evidence.{name}",
                hint=suggest(name, compiled.inputs),
            )
    if not any(i.severity == "error" for i in issues):
        for check in compiled.checks:
            if any(typed.get(n) is NOT_APPLICABLE for n in check.when.names):
                continue
            if not _holds(compiled, check.when, typed, reference=reference):
                fields = [n for n in check.when.names if n in submission.values]
                issue(
                    "input-check",
                    f"{check.reason} ({check.id}: {check.when.source})",
                    fields[0] if fields else None,
                )
    if any(i.severity == "error" for i in issues):
        return None, issues
    return typed, issues


def _holds(
    compiled: CompiledRuleset,
    check: CheckedExpression,
    typed: Mapping[str, Any],
    *,
    reference: bool = False,
) -> bool:
    names = dict(compiled.constants)
    names.update(as_plain(typed))
    with decimal.localcontext(ENGINE_CONTEXT):
        try:
            return bool(
                evaluate_expression(check, names, lambda _ident: Decimal(0), reference=reference)
            )
        except EvaluationError:
            return False


def load_cluster(source: str | Path) -> ClusterData:
    """Read cluster facts (members, meeting, votes, next year's heads) from YAML or JSON.

    Raises:
        SubmissionError: with every located issue of the file.
    """
    return read_model(source, ClusterData, what="the cluster file")
