"""The compiler's state and the guide's declarations: inputs, criteria, gates, checks, awards.

:class:`Compiler` holds one compilation (the guide, where its text came from, the issues found)
and compiles what the guide declares: the inputs, the criteria tree (each criterion's construct
through :data:`~emulation_rules.compiler.constructs.COMPILERS`, at a
:class:`~emulation_rules.compiler.constructs.Site`), the gates, the consistency checks, the
awards and the classification. The checks no construct owns are in
:mod:`~emulation_rules.compiler.checks`, the evaluation order in
:mod:`~emulation_rules.compiler.order`; :func:`emulation_rules.compiler.compile_ruleset` runs
them in turn.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulation_rules._support.documents import located
from emulation_rules._support.i18n import N_
from emulation_rules._support.text import suggest
from emulation_rules.compiler.checks import band_checks, children_checks, derived_max, top_level
from emulation_rules.compiler.constructs import COMPILERS, Site, rule_of
from emulation_rules.compiler.fields import (
    NOT_APPLICABLE,
    InputField,
    ValueProblem,
    coerce_value,
    expr_type,
)
from emulation_rules.compiler.nodes import (
    BandSpec,
    GateC,
    Node,
    ProportionalC,
    RankPointsC,
    TargetC,
)
from emulation_rules.compiler.sandbox import (
    CheckedExpression,
    ExprType,
    SandboxConfig,
    check_expression,
)
from emulation_rules.errors import Issue, IssueCollector
from emulation_rules.guide.model import CONSTRUCTS

if TYPE_CHECKING:
    from emulation_rules._support.yaml import Positions
    from emulation_rules.guide.model import Criterion, Gate, InputSpec, Ruleset

__all__ = ["Compiler", "scalar_position"]

DocPath = tuple[str | int, ...]
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Compiler:
    """The state of one compilation: the guide, where it came from, and the issues found."""

    ruleset: Ruleset
    source: str | None
    positions: Positions | None
    text: str | None
    config: SandboxConfig
    issues: IssueCollector = field(default_factory=IssueCollector)
    names: dict[str, ExprType] = field(default_factory=dict)
    criteria: frozenset[str] = frozenset()
    used_inputs: set[str] = field(default_factory=set)
    #: Inputs whose missing value means "not applicable".
    optional_inputs: set[str] = field(default_factory=set)
    #: The facts the guide reads from the cluster file.
    facts: frozenset[str] = frozenset()

    # -- issues -----------------------------------------------------------------------------

    def add(
        self,
        code: str,
        message: str,
        path: DocPath,
        *,
        rule_id: str | None = None,
        hint: str | None = None,
        severity: str = "error",
        key: bool = False,
    ) -> None:
        """Report an issue at ``path`` of the guide (located in the file when known)."""
        issue = Issue(
            code,
            message,
            source=self.source,
            path=path,
            rule_id=rule_id,
            hint=hint,
            severity="warning" if severity in ("warn", "warning") else "error",
        )
        if self.positions is not None:
            issue = located(issue, self.positions, key=key)
        self.issues.add(issue)

    # -- expressions --------------------------------------------------------------------------

    def expr(
        self, source: str, path: DocPath, expect: ExprType, rule_id: str | None
    ) -> CheckedExpression | None:
        """Check the expression ``source`` at ``path``; report its issues in the file."""
        checked, issues = check_expression(
            source, names=self.names, criteria=self.criteria, expect=expect, config=self.config
        )
        line, column, known = self._expression_start(path)
        bare_name = _IDENTIFIER.fullmatch(source.strip()) is not None
        for issue in issues:
            at_line, col = line, column
            if line is not None and column is not None and known:
                offset = issue.column - 1 if issue.column else len(source) - len(source.lstrip())
                mapped = scalar_position(self._text_at(path), line, column, offset, len(source))
                if mapped is not None:
                    at_line, col = mapped
            code, message = issue.code, issue.message
            if code == "expr-unknown-name" and bare_name and "criterion" not in message:
                code = "unknown-input"
                message = N_("{name} is not a declared input").format(name=repr(source.strip()))
            elif len(source) <= 80:
                message = f"{message} in {source.strip()!r}"
            self.issues.add(
                issue.evolve(
                    code=code,
                    source=self._source_at(path),
                    path=path,
                    rule_id=rule_id,
                    line=at_line,
                    column=col,
                    message=message,
                )
            )
        if checked is not None:
            self.used_inputs.update(checked.names)
        else:  # a broken expression still "reads" the inputs it names: no unused-input noise
            self.used_inputs.update(n for n in _IDENTIFIER.findall(source) if n in self.names)
        return checked

    def _source_at(self, path: DocPath) -> str | None:
        """The file a path comes from: a base guide's for a rule inherited from it."""
        find = getattr(self.positions, "source_at", None)
        return (find(path) if find else None) or self.source

    def _text_at(self, path: DocPath) -> str:
        find = getattr(self.positions, "text_at", None)
        text = (find(path) if find else None) or self.text
        assert text is not None
        return text

    def _layer_at(self, path: DocPath) -> str | None:
        """The layer (guide id) a criterion comes from, in a guide that extends another."""
        find = getattr(self.positions, "layer_at", None)
        return find(path) if find else None

    def _expression_start(self, path: DocPath) -> tuple[int | None, int | None, bool]:
        """Where the expression's value starts in the file (line, column), if known."""
        if self.positions is None:
            return None, None, False
        found = self.positions.values.get(path) or self.positions.find(path)
        if found is None:
            return None, None, False
        return found[0], found[1], self.text is not None

    # -- inputs -------------------------------------------------------------------------------

    def inputs(self) -> dict[str, InputField]:
        """Compile the declared inputs (and name the constants for the expressions)."""
        out: dict[str, InputField] = {}
        for name, spec in self.ruleset.inputs.items():
            path: DocPath = ("inputs", name)
            fld = InputField.from_spec(name, spec)
            if name in self.ruleset.constants:
                self.add(
                    "duplicate-id",
                    N_("{name} is both an input and a constant").format(name=repr(name)),
                    path,
                    key=True,
                )
            if spec.type == "enum":
                if not fld.values:
                    self.add("missing-field", N_("an enum input needs 'values'"), path)
                elif len(set(fld.values)) != len(fld.values):
                    self.add("invalid-value", N_("the enum values repeat"), (*path, "values"))
            elif spec.values is not None:
                self.add("invalid-value", N_("'values' is only for enum inputs"), (*path, "values"))
            if spec.type not in ("count", "decimal", "percent"):
                for key in ("min", "max", "places"):
                    if getattr(spec, key) is not None:
                        self.add(
                            "invalid-value",
                            N_("'{key}' is only for number inputs").format(key=key),
                            (*path, key),
                        )
            if spec.type == "count" and spec.places is not None:
                self.add("invalid-value", N_("a count has no decimal places"), (*path, "places"))
            if fld.min is not None and fld.max is not None and fld.min > fld.max:
                self.add(
                    "invalid-value",
                    N_("min {min} is above max {max}").format(min=fld.min, max=fld.max),
                    (*path, "min"),
                )
            if spec.type == "list" or spec.items is not None:
                fld = self._list_items(fld, spec, path)
            fld = self._missing(fld, spec.missing, path)
            out[name] = fld
            if spec.type != "list":  # a list is read by per_item, not by expressions
                self.names[name] = expr_type(spec.type)
        for name in self.ruleset.constants:
            self.names.setdefault(name, "number")
        return out

    def cluster_facts(self) -> dict[str, InputField]:
        """Compile the facts the guide reads from the cluster file (format v2), as inputs."""
        out: dict[str, InputField] = {}
        for name, spec in self.ruleset.cluster_facts.items():
            path: DocPath = ("cluster_facts", name)
            if name in self.ruleset.inputs or name in self.ruleset.constants:
                self.add(
                    "duplicate-id",
                    f"{name!r} is both a cluster fact and an input or a constant",
                    path,
                    key=True,
                )
                continue
            fld = InputField.from_spec(name, spec)
            if spec.type == "enum" and not fld.values:
                self.add("missing-field", "an enum fact needs 'values'", path)
            if spec.evidence:
                self.add(
                    "invalid-value",
                    "a cluster fact comes from the cluster file, with no evidence",
                    (*path, "evidence"),
                )
            if spec.missing == "not_applicable":
                self.add(
                    "invalid-value",
                    "a cluster fact is a value or required: not 'not_applicable'",
                    (*path, "missing"),
                )
            elif spec.missing is not None:
                fld = self._missing(fld, spec.missing, path)
            else:  # no 'missing': every unit must be listed in the cluster file
                fld = _replace(fld, required=True)
            out[name] = fld
            self.names[name] = expr_type(spec.type)
        self.facts = frozenset(out)
        return out

    def _list_items(self, fld: InputField, spec: InputSpec, path: DocPath) -> InputField:
        """The item fields of a ``list`` input (format v2), each checked like an input."""
        if spec.type != "list":
            self.add("invalid-value", "'items' is only for list inputs", (*path, "items"))
            return fld
        if not spec.items:
            self.add("missing-field", "a list input needs 'items'", path)
            return fld
        items = []
        for name, item in spec.items.items():
            where: DocPath = (*path, "items", name)
            if item.type == "list" or item.items is not None:
                self.add("invalid-value", "an item field cannot be a list", where)
                continue
            item_field = InputField.from_spec(name, item)
            if item.type == "enum" and not item_field.values:
                self.add("missing-field", "an enum input needs 'values'", where)
            items.append(self._missing(item_field, item.missing, where))
        return _replace(fld, items=tuple(items))

    def _missing(self, fld: InputField, missing: Any, path: DocPath) -> InputField:
        if fld.required:
            if missing is not None:
                self.add(
                    "invalid-value",
                    N_("a required input cannot also say what a missing value means"),
                    (*path, "missing"),
                )
            return fld
        if missing is None:
            self.add(
                "missing-meaning",
                N_("input {name} is optional but does not say what a missing value means").format(
                    name=repr(fld.name)
                ),
                path,
                key=True,
                hint=N_("add 'missing: 0' (or false, not_applicable), or 'required: true'"),
            )
            return fld
        if missing == "not_applicable":
            self.optional_inputs.add(fld.name)
            return _replace(fld, missing=NOT_APPLICABLE)
        try:
            value = coerce_value(fld, missing)
        except ValueProblem as problem:
            self.add("input-type", f"'missing': {problem.message}", (*path, "missing"))
            return fld
        return _replace(fld, missing=value)

    # -- criteria -----------------------------------------------------------------------------

    def criteria_nodes(self) -> dict[str, Node]:
        """Compile every criterion, children before parents; the first of each id is kept."""
        seen: dict[str, DocPath] = {}
        walked = self.ruleset.walk()
        for path, crit in walked:
            if crit.id in seen:
                first = self.positions.find(seen[crit.id]) if self.positions else None
                message = N_("criterion id {id} is used twice").format(id=repr(crit.id))
                if first:
                    message = N_("criterion id {id} is used twice (first at line {line})").format(
                        id=repr(crit.id), line=first[0]
                    )
                self.add("duplicate-id", message, (*path, "id"))
            else:
                seen[crit.id] = path
        self.criteria = frozenset(seen)
        by_path: dict[DocPath, Node] = {}
        for path, crit in reversed(walked):  # children before parents, for derived maxima
            by_path[path] = self.node(crit, path, by_path)
        # with duplicate ids compiling fails anyway; keep the first occurrence of each id
        return {crit.id: by_path[path] for path, crit in walked if seen[crit.id] == path}

    def node(self, crit: Criterion, path: DocPath, done: dict[DocPath, Node]) -> Node:
        """Compile one criterion (its children are in ``done``, by path)."""
        rid = crit.id
        names = [n for n in CONSTRUCTS if getattr(crit, n) is not None]
        score_children = tuple(c.id for c in crit.children if c.kind == "score")
        adjust_children = tuple(c.id for c in crit.children if c.kind != "score")
        self._construct_conflicts(crit, path, names, score_children)
        site = Site(path, rid, self.add, self.expr, self.ruleset.inputs, self.used_inputs)
        construct = COMPILERS[names[0]](site, crit) if names else None
        rule = rule_of(crit, names[0] if names else None)
        when = site.expr(crit.when, ("when",), "bool")
        waive = site.expr(crit.waive_if, ("waive_if",), "bool")
        forfeit = site.expr(crit.forfeit_if, ("forfeit_if",), "bool")
        applicable = site.expr(crit.applicable_if, ("applicable_if",), "bool")
        child_nodes = [done[(*path, "children", i)] for i in range(len(crit.children))]
        max_value, declared = derived_max(crit, child_nodes)
        children_checks(self.add, self.ruleset, crit, path, child_nodes, max_value)
        caps = crit.caps
        return Node(
            id=rid,
            title=crit.title,
            kind=crit.kind,
            max=max_value,
            declared_max=declared,
            path=path,
            line=self._line(path),
            construct_name=names[0] if names else None,
            construct=construct,
            when=when,
            waive_if=waive,
            forfeit_if=forfeit,
            forfeit_value=crit.forfeit_value,
            applicable_if=applicable,
            requires_benchmark=crit.requires_benchmark,
            cap_deductions=caps.deductions if caps else None,
            cap_bonuses=caps.bonuses if caps else None,
            cap_adjustments=caps.adjustments if caps else None,
            cap_at_max=crit.cap_at_max,
            floor=crit.floor,
            combine=crit.combine,
            rounding=(crit.rounding.places, crit.rounding.mode) if crit.rounding else None,
            score_children=score_children,
            adjust_children=adjust_children,
            reads=tuple(site.reads),
            refs=tuple(site.refs),
            rule=rule,
            reviewed_by=crit.reviewed_by,
            cluster=isinstance(construct, TargetC | RankPointsC),
            optional_reads=tuple(n for n in site.reads if n in self.optional_inputs),
            has_limits=crit.cap_at_max or crit.floor is not None or crit.rounding is not None,
            layer=self._layer_at(path),
            excess_children=(excess_children := _excess_children(crit)),
            carries_excess=isinstance(construct, ProportionalC) and construct.excess_bonus,
            adjusts=bool(adjust_children or excess_children),
        )

    def _construct_conflicts(
        self, crit: Criterion, path: DocPath, names: list[str], score_children: tuple[str, ...]
    ) -> None:
        """Several constructs, or a construct beside score children that are summed."""
        rid = crit.id
        if len(names) > 1:
            self.add(
                "construct-conflict",
                N_("criterion {id} has several scoring constructs: {names}; keep one").format(
                    id=repr(rid), names=", ".join(names)
                ),
                (*path, names[1]),
                rule_id=rid,
                key=True,
            )
        if names and score_children and crit.combine == "sum":
            self.add(
                "construct-conflict",
                N_(
                    "criterion {id} has both a scoring construct ({construct}) and score "
                    "children; make the children bonuses/deductions or drop the construct"
                ).format(id=repr(rid), construct=names[0]),
                (*path, names[0]),
                rule_id=rid,
                key=True,
            )

    def _line(self, path: DocPath) -> int | None:
        found = self.positions.find(path) if self.positions else None
        return found[0] if found else None

    # -- guide level --------------------------------------------------------------------------

    def top_level(self, nodes: dict[str, Node]) -> None:
        """Check the scale and the ranking keys (:func:`.checks.top_level`)."""
        top_level(self.add, self.ruleset, nodes)

    def checks(self) -> tuple[GateC, ...]:
        """Compile the consistency checks between inputs."""
        out = []
        seen: set[str] = set()
        for index, check in enumerate(self.ruleset.checks):
            if check.id in seen:
                self.add(
                    "duplicate-id",
                    N_("check id {id} is used twice").format(id=repr(check.id)),
                    ("checks", index, "id"),
                )
            seen.add(check.id)
            checked = self.expr(check.require, ("checks", index, "require"), "bool", check.id)
            if checked is not None:
                if checked.refs:
                    self.add(
                        "invalid-value",
                        "a check reads inputs only, not criteria through score()",
                        ("checks", index, "require"),
                    )
                if self.facts & set(checked.names):
                    self.add(
                        "invalid-value",
                        "a check reads the submission's inputs only, not cluster facts",
                        ("checks", index, "require"),
                    )
                out.append(GateC(check.id, checked, check.message))
        return tuple(out)

    def gates(self, key: str = "not_classified") -> tuple[GateC, ...]:
        """Compile the gates of ``key``: ``not_classified`` or ``eligibility``."""
        out = []
        gates: tuple[Gate, ...] = (
            self.ruleset.not_classified if key == "not_classified" else self.ruleset.eligibility
        )
        seen: set[str] = set()
        for index, gate in enumerate(gates):
            if gate.id in seen:
                self.add(
                    "duplicate-id",
                    N_("gate id {id} is used twice").format(id=repr(gate.id)),
                    (key, index, "id"),
                )
            seen.add(gate.id)
            checked = self.expr(gate.when, (key, index, "when"), "bool", gate.id)
            if checked is not None:
                out.append(GateC(gate.id, checked, gate.reason))
        return tuple(out)

    def awards(self) -> None:
        """Check the awards: unique ids, known awards and classification labels."""
        rs = self.ruleset
        ids = [a.id for a in rs.awards]
        labels = {b.label for b in rs.classification.bands} if rs.classification else set()
        if rs.classification and rs.classification.otherwise:
            labels.add(rs.classification.otherwise)
        for index, award in enumerate(rs.awards):
            path: DocPath = ("awards", index)
            if ids.count(award.id) > 1 and ids.index(award.id) != index:
                self.add(
                    "duplicate-id",
                    N_("award id {id} is used twice").format(id=repr(award.id)),
                    (*path, "id"),
                )
            for j, other in enumerate(award.allow_with):
                if other not in ids:
                    close = difflib.get_close_matches(other, ids, n=1)
                    self.add(
                        "unknown-criterion",
                        f"'allow_with' names {other!r}, which is not an award",
                        (*path, "allow_with", j),
                        hint=f"did you mean {close[0]!r}?" if close else None,
                    )
            for j, label in enumerate(award.requires.classification or ()):
                if label not in labels:
                    self.add(
                        "invalid-value",
                        f"{label!r} is not a classification label of the guide",
                        (*path, "requires", "classification", j),
                        hint=suggest(label, labels),
                    )

    def classification(self) -> tuple[str, tuple[BandSpec, ...], str | None] | None:
        """Compile the classification bands: ``(on, bands, otherwise)``."""
        spec = self.ruleset.classification
        if spec is None:
            return None
        bands = tuple(BandSpec.from_model(b) for b in spec.bands)
        labelled = tuple(
            BandSpec(b.low, b.low_inclusive, b.high, b.high_inclusive, None, s.label)
            for b, s in zip(bands, spec.bands, strict=True)
        )
        band_checks(
            self.add,
            labelled,
            ("classification", "bands"),
            None,
            has_otherwise=spec.otherwise is not None,
        )
        return spec.on, labelled, spec.otherwise


def scalar_position(
    text: str, line: int, column: int, offset: int, length: int | None = None
) -> tuple[int, int] | None:
    r"""Map an offset inside a YAML scalar's value to its line and column in the file.

    ``line`` and ``column`` (1-based) are where the scalar starts. Plain and quoted scalars
    may span lines (each line break folds into one space); quoted scalars may hold escapes
    (``\"``, ``''``); block scalars (``|``, ``>``) start on the next line.

    Example:
        >>> scalar_position('met: a and\n  bb == 0\n', 1, 6, 6)
        (2, 3)
    """
    if length is not None and length > 0 and offset >= length:  # just after the last character
        last = scalar_position(text, line, column, length - 1)
        return (last[0], last[1] + 1) if last else None
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return None
    row_index, pos = line - 1, column - 1
    row = lines[row_index]
    quote = row[pos : pos + 1]
    if quote in ("|", ">"):
        if row_index + 1 >= len(lines):
            return None
        row_index += 1
        row = lines[row_index]
        pos = len(row) - len(row.lstrip())
        quote = ""
    elif quote in ("'", '"'):
        pos += 1
    else:
        quote = ""
    count = 0
    while True:
        row = lines[row_index]
        end = len(row.rstrip()) if not quote else len(row)
        while pos < end:
            if count == offset:
                return row_index + 1, pos + 1
            char = row[pos]
            escaped = (quote == '"' and char == "\\") or (
                quote == "'" and row[pos : pos + 2] == "''"
            )
            if escaped:
                pos += 2
            elif quote and char == quote:
                return None
            else:
                pos += 1
            count += 1
        row_index += 1  # the line break folds into one space of the value
        if row_index >= len(lines):
            return None
        count += 1
        nxt = lines[row_index]
        pos = len(nxt) - len(nxt.lstrip())
        if count > offset:
            return row_index + 1, pos + 1


def _replace(fld: InputField, **changes: Any) -> InputField:
    return dataclasses.replace(fld, **changes)


def _excess_children(crit: Criterion) -> tuple[str, ...]:
    """The score children whose excess becomes bonus, when the criterion sums its children."""
    if crit.combine != "sum":
        return ()
    return tuple(
        c.id
        for c in crit.children
        if c.kind == "score" and c.proportional is not None and c.proportional.excess == "bonus"
    )
