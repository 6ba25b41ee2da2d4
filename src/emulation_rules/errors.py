"""Errors and issues raised by emulation-rules.

Every problem the library finds is an :class:`Issue`: a small, frozen record with a stable
``code``, a plain one-sentence ``message``, and where it happened (a guide file with line and
column, or a unit and a field path). Exceptions carry the issues they were raised for::

    EmulationRulesError                 base: ``except EmulationRulesError`` catches all we raise
    ├── RulesetError                    the scoring guide is wrong: the rule author fixes it
    │   ├── RulesetLoadError            missing file, bad encoding, YAML syntax, duplicate key
    │   ├── RulesetSchemaError          unknown or missing fields, wrong types, bad ids
    │   └── ExpressionError             syntax, unknown name or function, forbidden construct
    ├── SubmissionError                 a unit's data is wrong: whoever supplied it fixes it
    └── EvaluationError                 a (criterion, unit) pair failed at run time (÷0, …)

Loaders and the compiler collect every issue first and raise once, so a rule author sees all
problems of a guide in one run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Self

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "CODES",
    "EmulationRulesError",
    "EvaluationError",
    "ExpressionError",
    "Issue",
    "IssueCollector",
    "RulesetError",
    "RulesetLoadError",
    "RulesetSchemaError",
    "Severity",
    "SubmissionError",
    "json_pointer",
]

Severity = Literal["error", "warning"]
PathElement = str | int

#: Every code the library emits, with a one-line meaning. ``docs/errors.md`` is checked
#: against this table by the test suite, so a new code cannot go undocumented.
CODES: dict[str, str] = {
    # Files and text
    "file-not-found": "The file does not exist or cannot be read.",
    "file-too-large": "The file is larger than the configured limit.",
    "file-write": "An output file cannot be written (missing folder, permission, full disk).",
    "encoding": "The file is not valid UTF-8 (UTF-16 and legacy Vietnamese encodings too).",
    "control-char": "A NUL or other control character appears in the text.",
    "invisible-char": "An invisible (zero-width or bidi) character appears in an id or name.",
    "empty-document": "The document is empty or holds only comments.",
    # YAML structure
    "yaml-syntax": "The YAML cannot be parsed (bad indentation, tab, unclosed quote, …).",
    "duplicate-key": "The same key appears twice in one mapping.",
    "yaml-alias": "Anchors, aliases and merge keys are not allowed.",
    "yaml-tag": "Explicit YAML tags such as !!python/object are not allowed.",
    "multiple-documents": "The file holds more than one YAML document.",
    "too-deep": "The document nests deeper than the limit.",
    "key-type": "A mapping key is not a plain string.",
    # Guide schema
    "unknown-field": "A field that the format does not define.",
    "missing-field": "A field the format requires is absent.",
    "wrong-type": "A value has the wrong type (a list where a number is expected, …).",
    "invalid-value": "A value is of the right type but not allowed (bad id, negative maximum, …).",
    "unsupported-format": "The guide's format version is not one this engine reads.",
    "needs-format-v2": "A guide that declares format v1 uses a key of format v2.",
    "named-value": "A named value (max: S, cap: 0.1 * S) names no constant or has no exact value.",
    # Guide semantics
    "duplicate-id": "Two criteria (or inputs) share one id, also after Unicode normalisation.",
    "unknown-input": "A construct names an input the guide does not declare.",
    "unknown-criterion": "A reference or ranking key names a criterion the guide does not have.",
    "cycle": "Criteria depend on each other in a cycle.",
    "sum-mismatch": "The maxima of a criterion's children do not add up to its own maximum.",
    "scale-mismatch": "The maxima of the top-level criteria do not add up to the guide's scale.",
    "construct-conflict": "A criterion has more than one scoring construct, or one plus children.",
    "missing-meaning": "An optional input does not say what a missing value means.",
    "input-type": "A value or construct does not fit the declared type of an input.",
    "band-overlap": "Two bands of one construct overlap.",
    "band-gap": "Bands leave a gap that no band and no 'otherwise' covers.",
    "sign": "A bonus with negative points or a deduction with positive points.",
    "table-shape": "A two-dimensional table's values do not match its rows and columns.",
    "unused-input": "A declared input is read by no construct.",
    "cap-exceeds-item": "A cap can never bind: larger than its item, or than its lines reach.",
    "points-above-max": "A band, table cell or other written level gives more than the item's max.",
    "unreachable-item": "No submission can reach or change a part of the guide.",
    "unused-tie-breaker": "A ranking key can never separate units the keys before it tie.",
    "undeclared-rounding": "A division reaches the total, percentage or ranking unrounded.",
    "extend-missing": "The base guide named by 'extends' does not exist or cannot be read.",
    "extend-cycle": "Guides extend each other in a circle.",
    # Expressions
    "expr-syntax": "The expression is not valid syntax.",
    "expr-not-expression": "Assignments and several statements are not expressions.",
    "expr-forbidden": "The expression uses syntax outside the allowed set.",
    "expr-unknown-name": "The expression names something that is neither an input nor a constant.",
    "expr-lookalike": "A name in the expression is written with look-alike characters.",
    "expr-unknown-function": "The expression calls a function outside the engine's table.",
    "expr-too-long": "The expression is longer than the limit.",
    "expr-too-complex": "The expression has too many nodes or nests too deeply.",
    "expr-number": "A number literal is malformed or too large.",
    "expr-div-zero": "The expression divides by a literal zero.",
    "expr-type": "Operands or arguments have the wrong type for the operation.",
    # Submissions
    "ruleset-mismatch": "The submission answers another guide id or version.",
    "duplicate-unit": "Two submissions carry the same unit id.",
    "unknown-field-value": "A submission gives a value for an input the guide does not declare.",
    "missing-value": "A required input has no value.",
    "value-type": "A value does not have the input's type.",
    "number-format": "A number is written in a form the engine does not accept (95,5; 1.000).",
    "number-places": "A number has more decimal places than the input allows.",
    "out-of-range": "A value is outside the input's declared bounds.",
    "date-format": "A date is not an ISO date (YYYY-MM-DD) or does not exist.",
    "enum-value": "A value is not one of the input's allowed values.",
    "cluster-fact-in-submission": "A submission gives a fact that only the cluster file gives.",
    "cluster-fact-missing": "A guide reads a unit's cluster fact that no cluster file gives.",
    "excel-list-input": "A list input (format v2) cannot be given in a workbook yet.",
    "evidence-missing": "A value that needs evidence (minh chứng) has none.",
    "review-unknown-unit": "A review names a unit that has no submission.",
    "review-after-as-of": "A review is dated after the as-of date; it is not applied (a warning).",
    "review-body": "A review names no scoring body, or one the guide does not declare.",
    "review-not-owner": "A body sets an item, or corrects an input, outside its sections.",
    "override-above-max": "An override gives an item more than its maximum.",
    "unknown-unit": "A request (a service's, an explanation's) names a unit with no result.",
    "input-check": "A unit's values break a consistency rule of the guide (its 'checks').",
    # Excel workbooks
    "workbook-too-large": "An .xlsx unpacks to more than the limit (a part, all parts, or parts).",
    "sheet-too-large": "A sheet has a value beyond the last row or column a workbook may use.",
    "cell-too-long": "A cell holds more text than Excel keeps in a cell (32,767 characters).",
    "merged-cells": "A merged range spans units' cells, so some cells have no value of their own.",
    "value-trimmed": "Spaces at the start or end of a cell were removed (a warning).",
    "sheet-renamed": "A template's sheet was renamed and was found by its key row (a warning).",
    # Evaluation and ranking
    "eval-div-zero": "A division by zero with this unit's data.",
    "eval-error": "A criterion could not be evaluated with this unit's data.",
    "eval-sign": "A bonus came out negative or a deduction positive with this unit's data.",
    "total-mismatch": "Internal check: a total is not the sum of its parts (an engine bug).",
    "tie-unresolved": "Units share a rank because no declared ranking key separates them.",
    # Audit records and logs
    "audit-format": "An audit record or log cannot be read, or has an unknown format version.",
    "audit-digest": "An audit record's content does not match its own digest: it was altered.",
    "audit-chain": "An audit log's chain is broken: a record was edited, deleted, added or moved.",
    "audit-replay": "Replaying an audit record does not reproduce it.",
    "audit-signature": "An audit record's signature is missing, wrong, or not by a trusted key.",
    # Guide tests
    "test-failed": "A case of a guide's tests file does not give the result it expects.",
    # Command line
    "usage": "The command line is not valid.",
    "stream-resume": "The output named by --resume does not end with a stream_end marker.",
    "stream-worker-lost": "A worker process of score --stream died; its lines were not scored.",
    "whatif-request": "A what-if names an unknown unit, input, label or award, or a bad goal.",
    # Optional features
    "missing-dependency": "An optional dependency is not installed (openpyxl for Excel files).",
    # Word and Excel scoring tables (import, export)
    "import-unreadable": "The file is not a Word .docx or Excel .xlsx file, or is damaged.",
    "import-no-table": "The file has no table with a scoring header (content and points columns).",
    "import-no-points-column": "The table has a content column but no points column.",
    "import-several-tables": "Several tables look like scoring tables; the one read is named.",
    "import-merged-cells": "A points cell is merged over several rows: its row is ambiguous.",
    "import-split-row": "A row without number or points continues the cell above; it was joined.",
    "import-todo": "A row or cell of the table the draft guide could not turn into a rule.",
}


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in a guide, a submission or an evaluation.

    Example:
        >>> Issue("unknown-input", "'x' is not a declared input", source="g.yaml", line=3,
        ...       column=9, hint="did you mean 'y'?").render()
        "g.yaml:3:9: unknown-input: 'x' is not a declared input (did you mean 'y'?)"
    """

    #: Stable machine-readable code, a key of :data:`CODES`.
    code: str
    #: One plain sentence saying what is wrong.
    message: str
    #: The file (guide or submission) the issue is in, if any.
    source: str | None = None
    #: Path to the offending value inside the document, e.g. ``("criteria", 0, "max")``.
    path: tuple[PathElement, ...] = ()
    #: 1-based line and column in ``source``, when known.
    line: int | None = None
    column: int | None = None
    #: The criterion id the issue concerns, if any.
    rule_id: str | None = None
    #: The unit id the issue concerns, if any (submissions and evaluation).
    unit_id: str | None = None
    severity: Severity = "error"
    #: A suggestion such as ``did you mean 'late_reports'?``.
    hint: str | None = None

    @property
    def pointer(self) -> str:
        """:attr:`path` as a JSON Pointer (RFC 6901); ``""`` when the issue has no path.

        Example:
            >>> Issue("value-type", "…", path=("units", 2, "values", "a/b")).pointer
            '/units/2/values/a~1b'
        """
        return json_pointer(self.path)

    def location(self) -> str:
        """Return ``file:line:col``, or the file, or ``""``."""
        if self.source is not None and self.line is not None:
            return f"{self.source}:{self.line}:{self.column or 1}"
        return self.source or ""

    def context(self) -> str:
        """Return the unit and field path the issue concerns, e.g. ``unit 'u1', values.x``."""
        parts: list[str] = []
        if self.unit_id is not None:
            parts.append(f"unit {self.unit_id!r}")
        if self.path and (self.unit_id is not None or self.line is None):
            parts.append(format_path(self.path))
        return ", ".join(parts)

    def render(self) -> str:
        """Render as one line: ``location: code: message [context] (hint)``."""
        loc = self.location()
        text = f"{self.code}: {self.message}"
        if self.severity == "warning":
            text = f"warning: {text}"
        context = self.context()
        if context:
            text += f" [{context}]"
        if self.hint:
            text += f" ({self.hint})"
        return f"{loc}: {text}" if loc else text

    def evolve(self, **changes: object) -> Issue:
        """Return a copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, object]:
        """Return a JSON-ready mapping (no ``None`` values)."""
        data: dict[str, object] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None or value == ():
                continue
            data[f.name] = list(value) if isinstance(value, tuple) else value
        return data


def json_pointer(path: tuple[PathElement, ...]) -> str:
    """Render a path tuple as a JSON Pointer (RFC 6901): ``~`` and ``/`` are escaped.

    Example:
        >>> json_pointer(("units", 0, "values", "c1"))
        '/units/0/values/c1'
    """
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def format_path(path: tuple[PathElement, ...]) -> str:
    """Render a path tuple as ``criteria[0].children[2].max``.

    Example:
        >>> format_path(("criteria", 0, "children", 2, "max"))
        'criteria[0].children[2].max'
    """
    out = ""
    for element in path:
        if isinstance(element, int):
            out += f"[{element}]"
        else:
            out += f".{element}" if out else str(element)
    return out


@dataclass
class IssueCollector:
    """Collect issues, then raise once (like packaging's ``_ErrorCollector``)."""

    issues: list[Issue] = field(default_factory=list)

    def add(self, issue: Issue) -> None:
        """Record one issue."""
        self.issues.append(issue)

    def extend(self, issues: Iterable[Issue]) -> None:
        """Record several issues."""
        self.issues.extend(issues)

    @property
    def errors(self) -> list[Issue]:
        """The issues of severity ``error``."""
        return [i for i in self.issues if i.severity == "error"]

    def __iter__(self) -> Iterator[Issue]:
        return iter(self.issues)

    def __len__(self) -> int:
        return len(self.issues)

    def raise_if_errors(self, error_class: type[EmulationRulesError], message: str) -> None:
        """Raise ``error_class`` carrying every issue if any has severity ``error``."""
        if self.errors:
            raise error_class(message, tuple(self.issues))


class EmulationRulesError(Exception):
    """Base class of every error the library raises."""

    def __init__(self, message: str, issues: tuple[Issue, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.issues = issues

    def __reduce__(self) -> tuple[type[Self], tuple[str, tuple[Issue, ...]]]:
        return (type(self), (self.message, self.issues))

    def __str__(self) -> str:
        errors = [i for i in self.issues if i.severity == "error"]
        if not errors:
            return self.message
        shown = [i.render() for i in errors[:20]]
        if len(errors) > len(shown):
            shown.append(f"... and {len(errors) - len(shown)} more")
        return self.message + "\n" + "\n".join(shown)


class RulesetError(EmulationRulesError):
    """The scoring guide is wrong; the rule author fixes it."""


class RulesetLoadError(RulesetError):
    """The guide file cannot be read or parsed (file, encoding, YAML)."""


class RulesetSchemaError(RulesetError):
    """The guide does not match the format (fields, types, ids, semantic checks)."""


class ExpressionError(RulesetError):
    """An expression in the guide is invalid, unsafe, or names unknown things."""


class SubmissionError(EmulationRulesError):
    """A unit's submission is wrong; whoever supplied the data fixes it."""


class OutputError(EmulationRulesError):
    """An output (a record, a report, a workbook, a log) cannot be written where asked."""


class EvaluationError(EmulationRulesError):
    """A criterion failed at run time with one unit's data."""
