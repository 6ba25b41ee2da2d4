"""One compile function per scoring construct, in a table keyed by the construct's name.

:data:`COMPILERS` turns a criterion's construct (``met``, ``bands``, …) into its compiled form
(:mod:`emulation_rules.compiler.nodes`), or None when it cannot (the issues say why);
:data:`RULE_WORDS` writes the rule it applies in the Vietnamese the trace and the explanation
show. Both run at one :class:`Site`: the criterion's place in the guide, its id, and the
compiler's ``add`` and ``expr`` seen from there. A construct has one row in each pass's table
(the engine's ``SCORERS``, the code generator's ``EMITTERS``, the lint's ``REACH``) and a
section in ``docs/constructs.md``; ``tests/test_construct_registry.py`` names what is missing.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING

from emulation_rules._support.i18n import N_
from emulation_rules.compiler.checks import band_checks, sign
from emulation_rules.compiler.nodes import (
    BandsC,
    BandSpec,
    Construct,
    DeadlineC,
    FormulaC,
    IncrementC,
    LookupC,
    Met,
    PerEventC,
    PerItemC,
    Points,
    ProportionalC,
    RankPointsC,
    TableC,
    TargetC,
)
from emulation_rules.guide.model import NamedValue, plain, value_words

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from decimal import Decimal

    from emulation_rules.compiler.checks import Add
    from emulation_rules.compiler.sandbox import CheckedExpression, ExprType
    from emulation_rules.guide.model import Criterion, InputSpec

__all__ = ["COMPILERS", "RULE_WORDS", "Site", "rule_of", "when_zero_words"]

DocPath = tuple[str | int, ...]


@dataclass(slots=True)
class Site:
    """Where a criterion is compiled: its path and id, and the compiler seen from there.

    Every issue reported here carries the criterion's id; every expression checked here adds
    the inputs and criteria it reads to the criterion's (in first-use order).
    """

    #: The criterion's path in the guide, e.g. ``("criteria", 0, "children", 2)``.
    path: DocPath
    rule_id: str
    #: The compiler's ``add`` (an issue at a path of the guide).
    report: Add
    #: The compiler's ``expr(source, path, expect, rule_id)``.
    check: Callable[[str, DocPath, ExprType, str | None], CheckedExpression | None]
    #: The guide's declared inputs (a lookup's values, a rank's averaged inputs).
    inputs: Mapping[str, InputSpec]
    #: The inputs read anywhere in the guide (for the unused-input warning).
    used_inputs: set[str]
    #: The inputs the criterion reads, in first-use order.
    reads: dict[str, None] = field(default_factory=dict)
    #: The criteria it reads through ``score('id')``.
    refs: dict[str, None] = field(default_factory=dict)

    def add(
        self,
        code: str,
        message: str,
        sub: DocPath = (),
        *,
        located: bool = True,
        hint: str | None = None,
        key: bool = False,
    ) -> None:
        """Report an issue at ``sub`` below the criterion (with its id unless not ``located``)."""
        rule_id = self.rule_id if located else None
        self.report(code, message, (*self.path, *sub), rule_id=rule_id, hint=hint, key=key)

    def expr(self, text: str | None, sub: DocPath, expect: ExprType) -> CheckedExpression | None:
        """Check the expression ``text`` found at ``sub`` below the criterion."""
        if text is None:
            return None
        checked = self.check(text, (*self.path, *sub), expect, self.rule_id)
        if checked is not None:
            self.reads.update(dict.fromkeys(checked.names))
            self.refs.update(dict.fromkeys(checked.refs))
        return checked

    def sign(self, sub: DocPath, crit: Criterion, values: list[Decimal]) -> None:
        """Points of the wrong sign for the criterion's kind."""
        sign(self.report, crit, (*self.path, *sub), values)

    def bands(self, sub: DocPath, bands: tuple[BandSpec, ...], *, has_otherwise: bool) -> None:
        """Bands that overlap or leave gaps."""
        band_checks(
            self.report, bands, (*self.path, *sub), self.rule_id, has_otherwise=has_otherwise
        )


def compile_met(site: Site, crit: Criterion) -> Construct | None:
    """``met``: the maximum when a condition holds, else 0."""
    assert crit.met is not None
    if crit.max is None:
        site.add("missing-field", N_("'met' needs the criterion's 'max' ({id})").format(id=crit.id))
    condition = site.expr(crit.met, ("met",), "bool")
    return Met(condition) if condition else None


def compile_points(site: Site, crit: Criterion) -> Construct | None:
    """``points``: a fixed number of points."""
    assert crit.points is not None
    site.sign(("points",), crit, [crit.points])
    return Points(plain(crit.points))


def compile_per_event(site: Site, crit: Criterion) -> Construct | None:
    """``per_event``: points times a count, capped."""
    per_event = crit.per_event
    assert per_event is not None
    site.sign(("per_event", "points"), crit, [per_event.points])
    count = site.expr(per_event.count, ("per_event", "count"), "number")
    return PerEventC(count, plain(per_event.points), per_event.cap) if count else None


def compile_proportional(site: Site, crit: Criterion) -> Construct | None:
    """``proportional``: the maximum times achieved over target, capped."""
    proportional = crit.proportional
    assert proportional is not None
    if crit.max is None:
        site.add(
            "missing-field",
            N_("'proportional' needs the criterion's 'max' ({id})").format(id=crit.id),
        )
    achieved = site.expr(proportional.achieved, ("proportional", "achieved"), "number")
    target = site.expr(proportional.target, ("proportional", "target"), "number")
    excess_bonus = proportional.excess == "bonus"
    if excess_bonus:
        _excess_conflicts(site, crit)
    lower = proportional.better == "lower"
    if lower and proportional.when_zero is None:
        site.add(
            "missing-field",
            N_(
                "'better: lower' divides the plan by the result, which may be 0: "
                "say what a result of 0 scores with 'when_zero' ({rule})"
            ).format(rule=crit.id),
            ("proportional",),
            hint="when_zero: max | zero | error",
        )
    if achieved and target:
        return ProportionalC(
            achieved,
            target,
            proportional.factor,
            proportional.cap,
            excess_bonus=excess_bonus,
            lower=lower,
            when_zero=proportional.when_zero,
        )
    return None


def _excess_conflicts(site: Site, crit: Criterion) -> None:
    """``excess: bonus`` on a score criterion whose value is not cut or rounded after it."""
    where = ("proportional", "excess")
    if crit.kind != "score":
        site.add(
            "invalid-value",
            N_("'excess: bonus' needs a criterion of kind score, not {kind} ({rule})").format(
                kind=crit.kind, rule=crit.id
            ),
            where,
        )
    limits = [
        key
        for key, present in (
            ("cap_at_max", crit.cap_at_max),
            ("floor", crit.floor is not None),
            ("rounding", crit.rounding is not None),
        )
        if present
    ]
    if limits:
        site.add(
            "invalid-value",
            N_(
                "'excess: bonus' cannot be combined with {keys} on the same criterion ({rule}): "
                "the bonus would be cut or rounded away; put the limit on the parent"
            ).format(keys=", ".join(repr(k) for k in limits), rule=crit.id),
            where,
        )


def compile_bands(site: Site, crit: Criterion) -> Construct | None:
    """``bands``: the points of the band a value falls in."""
    spec = crit.bands
    assert spec is not None
    bands = tuple(BandSpec.from_model(b, _plain(b.points)) for b in spec.bands)
    for index, band in enumerate(spec.bands):
        if band.points is None:
            site.add("missing-field", N_("each band needs 'points'"), ("bands", "bands", index))
    site.bands(("bands", "bands"), bands, has_otherwise=spec.otherwise is not None)
    points = [b.points for b in bands if b.points is not None]
    site.sign(("bands",), crit, points + _optional(spec.otherwise))
    of = site.expr(spec.of, ("bands", "of"), "number")
    return BandsC(of, bands, spec.otherwise) if of else None


def compile_table(site: Site, crit: Criterion) -> Construct | None:
    """``table``: the value at the row band and column band two values fall in."""
    table = crit.table
    assert table is not None
    rows = tuple(BandSpec.from_model(b) for b in table.rows.bands)
    columns = tuple(BandSpec.from_model(b) for b in table.columns.bands)
    has_otherwise = table.otherwise is not None
    site.bands(("table", "rows", "bands"), rows, has_otherwise=has_otherwise)
    site.bands(("table", "columns", "bands"), columns, has_otherwise=has_otherwise)
    if len(table.values) != len(rows) or any(len(r) != len(columns) for r in table.values):
        site.add(
            "table-shape",
            N_(
                "the table has {rows} row bands and {columns} column bands, "
                "so 'values' needs {rows} rows of {columns} numbers"
            ).format(rows=len(rows), columns=len(columns)),
            ("table", "values"),
        )
    values = [v for r in table.values for v in r] + _optional(table.otherwise)
    site.sign(("table", "values"), crit, values)
    rows_of = site.expr(table.rows.of, ("table", "rows", "of"), "number")
    columns_of = site.expr(table.columns.of, ("table", "columns", "of"), "number")
    if rows_of and columns_of:
        plain_values = tuple(tuple(plain(v) for v in row) for row in table.values)
        return TableC(rows_of, rows, columns_of, columns, plain_values, table.otherwise)
    return None


def compile_increment(site: Site, crit: Criterion) -> Construct | None:
    """``increment``: points from a start, and more for every further step."""
    increment = crit.increment
    assert increment is not None
    site.sign(("increment", "points"), crit, [increment.points])
    of = site.expr(increment.of, ("increment", "of"), "number")
    start, inclusive = _increment_start(crit)
    if not of:
        return None
    every, points = increment.every, plain(increment.points)
    return IncrementC(
        of,
        start,
        inclusive,
        every,
        points,
        increment.cap,
        whole=increment.steps == "whole",
    )


def compile_deadline(site: Site, crit: Criterion) -> Construct | None:
    """``deadline``: points on time, late, or early by some days."""
    deadline = crit.deadline
    assert deadline is not None
    early = deadline.early
    site.sign(("deadline",), crit, [deadline.on_time, deadline.late, *_optional_early(crit)])
    when = site.expr(deadline.date, ("deadline", "date"), "date")
    due: CheckedExpression | date | None
    try:
        due = date.fromisoformat(deadline.due) if _looks_like_date(deadline.due) else None
    except ValueError:
        site.add("date-format", f"{deadline.due!r} is not a real date", ("deadline", "due"))
        due = None
    if due is None and not _looks_like_date(deadline.due):
        due = site.expr(deadline.due, ("deadline", "due"), "date")
    if when and due is not None:
        return DeadlineC(
            when,
            due,
            deadline.on_time,
            deadline.late,
            early.days if early else None,
            early.points if early else None,
        )
    return None


def compile_lookup(site: Site, crit: Criterion) -> Construct | None:
    """``lookup``: the points of a text input's value."""
    lookup = crit.lookup
    assert lookup is not None
    site.sign(
        ("lookup", "points"), crit, list(lookup.points.values()) + _optional(lookup.otherwise)
    )
    of = site.expr(lookup.of, ("lookup", "of"), "text")
    if of is not None and of.source in site.inputs:
        allowed = set(site.inputs[of.source].values or ())
        for key in lookup.points:
            if allowed and key not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed), n=1)
                site.add(
                    "input-type",
                    N_("{value} is not a value of input {input}").format(
                        value=repr(key), input=repr(of.source)
                    ),
                    ("lookup", "points", key),
                    hint=N_("did you mean {name}?").format(name=repr(close[0])) if close else None,
                    key=True,
                )
        uncovered = sorted(allowed - set(lookup.points))
        if uncovered and lookup.otherwise is None:
            site.add(
                "input-type",
                N_("no points for {keys}; add them or 'otherwise'").format(
                    keys=", ".join(map(repr, uncovered))
                ),
                ("lookup",),
            )
    points = {key: plain(value) for key, value in lookup.points.items()}
    return LookupC(of, MappingProxyType(points), lookup.otherwise) if of else None


def compile_formula(site: Site, crit: Criterion) -> Construct | None:
    """``formula``: the value of an expression."""
    assert crit.formula is not None
    formula = site.expr(crit.formula, ("formula",), "number")
    return FormulaC(formula) if formula else None


def compile_target(site: Site, crit: Criterion) -> Construct | None:
    """``target`` (cluster phase): the police target rule."""
    target_spec = crit.target
    assert target_spec is not None
    if crit.max is None:
        site.add(
            "missing-field",
            N_("'target' needs the criterion's 'max' ({id})").format(id=crit.id),
            located=False,
        )
    achieved = site.expr(target_spec.achieved, ("target", "achieved"), "number")
    target = site.expr(target_spec.target, ("target", "target"), "number")
    _no_refs(site, crit, [achieved, target])
    if achieved and target:
        return TargetC(achieved, target, target_spec.no_target)
    return None


def compile_rank_points(site: Site, crit: Criterion) -> Construct | None:
    """``rank_points`` (cluster phase): points by rank among the units."""
    rank = crit.rank_points
    assert rank is not None
    of = site.expr(rank.of, ("rank_points", "of"), "number") if rank.of is not None else None
    given = site.expr(rank.rank, ("rank_points", "rank"), "number")
    _no_refs(site, crit, [of, given])
    averaged = rank.average_of or ()
    for index, name in enumerate(averaged):
        spec = site.inputs.get(name)
        where = ("rank_points", "average_of", index)
        if spec is None:
            close = difflib.get_close_matches(name, list(site.inputs), n=1)
            site.add(
                "unknown-input",
                f"{name!r} is not a declared input",
                where,
                hint=f"did you mean {close[0]!r}?" if close else None,
            )
        elif spec.type not in ("count", "decimal", "percent"):
            site.add("input-type", f"input {name!r} is not a number", where)
        site.used_inputs.add(name)
    site.sign(("rank_points", "points"), crit, [*rank.points, rank.otherwise])
    if (rank.of is not None and of is None) or (rank.rank is not None and given is None):
        return None
    return RankPointsC(of, tuple(averaged), rank.points, rank.otherwise, rank.order, given)


def compile_per_item(site: Site, crit: Criterion) -> Construct | None:
    """``per_item`` (format v2): points for each item of a list input by band, summed."""
    spec = crit.per_item
    assert spec is not None
    bands = tuple(BandSpec.from_model(b, _plain(b.points)) for b in spec.bands)
    for index, band in enumerate(spec.bands):
        if band.points is None:
            site.add("missing-field", N_("each band needs 'points'"), ("per_item", "bands", index))
    site.bands(("per_item", "bands"), bands, has_otherwise=spec.otherwise is not None)
    points = [b.points for b in bands if b.points is not None]
    site.sign(("per_item",), crit, points + _optional(spec.otherwise))
    source = site.inputs.get(spec.of)
    site.used_inputs.add(spec.of)
    if source is None or source.type != "list":
        close = difflib.get_close_matches(
            spec.of, [n for n, s in site.inputs.items() if s.type == "list"], n=1
        )
        site.add(
            "unknown-input",
            f"{spec.of!r} is not a list input of the guide",
            ("per_item", "of"),
            hint=f"did you mean {close[0]!r}?" if close else None,
        )
        return None
    fields = source.items or {}
    field_spec = fields.get(spec.value)
    if field_spec is None or field_spec.type not in ("count", "decimal", "percent"):
        site.add(
            "unknown-input" if field_spec is None else "input-type",
            f"{spec.value!r} is not a number field of the items of {spec.of!r}",
            ("per_item", "value"),
            hint=f"its fields: {', '.join(fields)}" if fields else None,
        )
        return None
    site.reads[spec.of] = None
    otherwise = _plain(spec.otherwise)
    return PerItemC(spec.of, spec.value, bands, otherwise, spec.cap)


#: The compile function of each construct, by its name in the guide: the construct's compiled
#: form, or None when its issues forbid one.
COMPILERS: Mapping[str, Callable[[Site, Criterion], Construct | None]] = MappingProxyType(
    {
        "met": compile_met,
        "points": compile_points,
        "per_event": compile_per_event,
        "proportional": compile_proportional,
        "bands": compile_bands,
        "table": compile_table,
        "increment": compile_increment,
        "deadline": compile_deadline,
        "lookup": compile_lookup,
        "formula": compile_formula,
        "target": compile_target,
        "rank_points": compile_rank_points,
        "per_item": compile_per_item,
    }
)


# -- the rule in words: what the trace's ``rule`` and the explanation's "quy tắc" say ---------


def _met_words(crit: Criterion) -> str:
    return f"{_words(crit.max)} nếu đạt ({crit.met}), nếu không 0"


def _points_words(crit: Criterion) -> str:
    return f"{_words(crit.points)} điểm"


def _per_event_words(crit: Criterion) -> str:
    per_event = crit.per_event
    assert per_event is not None
    cap = f", tối đa {value_words(per_event.cap)}" if per_event.cap is not None else ""
    return f"{value_words(per_event.points)} × ({per_event.count}){cap}"


def _proportional_words(crit: Criterion) -> str:
    pr = crit.proportional
    assert pr is not None
    cap = value_words(pr.cap) if isinstance(pr.cap, NamedValue) else "cap"
    maximum = _words(crit.max)
    if pr.better == "lower":
        rule = f"min({cap}, {maximum} × {pr.factor} × ({pr.target}) / ({pr.achieved}))"
        rule += " (chỉ tiêu giảm: kế hoạch chia cho kết quả thực hiện)"
    else:
        rule = f"min({cap}, {maximum} × {pr.factor} × ({pr.achieved}) / ({pr.target}))"
    if pr.when_zero is not None:
        rule += "; " + when_zero_words(pr.when_zero, lower=pr.better == "lower")
    if pr.excess == "bonus":
        rule += "; phần vượt chuyển sang điểm thưởng"
    return rule


def when_zero_words(rule: str, *, lower: bool) -> str:
    """What a divisor of 0 scores, in words (the rule's and the trace line's)."""
    zero = "kết quả thực hiện bằng 0" if lower else "chỉ tiêu bằng 0"
    scored = {"max": "tính điểm tối đa", "zero": "0 điểm", "error": "không chấm được"}[rule]
    return f"{zero}: {scored}"


def _bands_words(crit: Criterion) -> str:
    spec = crit.bands
    assert spec is not None
    bands = (BandSpec.from_model(b, b.points) for b in spec.bands)
    return f"theo khoảng của ({spec.of}): " + "; ".join(
        f"{b.describe()} → {_words(b.points)}" for b in bands
    )


def _table_words(crit: Criterion) -> str:
    table = crit.table
    assert table is not None
    return f"bảng hai chiều: ({table.rows.of}) × ({table.columns.of})"


def _increment_words(crit: Criterion) -> str:
    increment = crit.increment
    assert increment is not None
    start, inclusive = _increment_start(crit)
    cap = f", tối đa {value_words(increment.cap)}" if increment.cap is not None else ""
    word = "từ" if inclusive else "trên"
    points, every = value_words(increment.points), increment.every
    if increment.steps == "whole":
        return f"{word} {start}: cứ đủ {every} cộng {points}, không tính bước chưa đủ{cap}"
    return f"{word} {start}: {points}, cứ thêm {every} cộng {points}{cap}"


def _deadline_words(crit: Criterion) -> str:
    deadline = crit.deadline
    assert deadline is not None
    rule = f"hạn {deadline.due}: đúng hạn {deadline.on_time}, trễ hạn {deadline.late}"
    if deadline.early:
        rule += f", sớm {deadline.early.days} ngày {deadline.early.points}"
    return rule


def _lookup_words(crit: Criterion) -> str:
    lookup = crit.lookup
    assert lookup is not None
    return f"theo giá trị của ({lookup.of}): " + "; ".join(
        f"{k} → {value_words(v)}" for k, v in lookup.points.items()
    )


def _formula_words(crit: Criterion) -> str:
    assert crit.formula is not None
    return crit.formula


def _target_words(crit: Criterion) -> str:
    target = crit.target
    assert target is not None
    rule = (
        f"Điều 6: thang điểm {crit.max}, chỉ tiêu ({target.target}), kết quả ({target.achieved}): "
        "chưa đạt ½·S·A/T; đạt ½·S; vượt và dẫn đầu S; vượt không dẫn đầu "
        "½·S + (tỷ lệ vượt / tỷ lệ vượt dẫn đầu)·½·S"
    )
    if target.no_target == "leader":
        rule += "; không giao chỉ tiêu: S·A / A dẫn đầu"
    return rule


def _rank_points_words(crit: Criterion) -> str:
    rank = crit.rank_points
    assert rank is not None
    averaged = rank.average_of or ()
    source = rank.of if rank.of is not None else f"trung bình ({', '.join(averaged)})"
    listed = ", ".join(f"hạng {i + 1}: {p}" for i, p in enumerate(rank.points))
    if rank.rank is not None:
        return f"thứ hạng cho từ ngoài ({rank.rank}): {listed}; hạng khác: {rank.otherwise}"
    return f"xếp hạng trong cụm theo {source}: {listed}; hạng khác: {rank.otherwise}"


def _per_item_words(crit: Criterion) -> str:
    spec = crit.per_item
    assert spec is not None
    bands = (BandSpec.from_model(b, b.points) for b in spec.bands)
    listed = "; ".join(f"{b.describe()} → {_words(b.points)}" for b in bands)
    other = f"; khác → {value_words(spec.otherwise)}" if spec.otherwise is not None else ""
    cap = f"; tổng tối đa {value_words(spec.cap)}" if spec.cap is not None else ""
    return f"mỗi mục của {spec.of} theo ({spec.value}): {listed}{other}{cap}"


#: The rule of each construct in Vietnamese words, by its name in the guide.
RULE_WORDS: Mapping[str, Callable[[Criterion], str]] = MappingProxyType(
    {
        "met": _met_words,
        "points": _points_words,
        "per_event": _per_event_words,
        "proportional": _proportional_words,
        "bands": _bands_words,
        "table": _table_words,
        "increment": _increment_words,
        "deadline": _deadline_words,
        "lookup": _lookup_words,
        "formula": _formula_words,
        "target": _target_words,
        "rank_points": _rank_points_words,
        "per_item": _per_item_words,
    }
)


def rule_of(crit: Criterion, construct_name: str | None) -> str:
    """The rule of a criterion in words: its construct's, or how its children combine."""
    if construct_name is not None:
        return RULE_WORDS[construct_name](crit)
    if crit.children and crit.combine != "sum":
        word = "cao nhất" if crit.combine == "highest" else "đầu tiên có điểm"
        return f"một trong các trường hợp ({word})"
    if any(c.kind == "score" for c in crit.children):
        return "tổng các tiêu chí con"
    if crit.max is not None:
        return f"điểm chuẩn {value_words(crit.max)} (đạt mặc định)"
    return ""


def _no_refs(site: Site, crit: Criterion, checked: list[CheckedExpression | None]) -> None:
    if any(c is not None and c.refs for c in checked):
        site.add(
            "invalid-value",
            f"cluster-phase criterion {crit.id!r} may read inputs and constants only, "
            "not other criteria through score()",
        )


def _increment_start(crit: Criterion) -> tuple[Decimal, bool]:
    increment = crit.increment
    assert increment is not None
    start, inclusive = (
        (increment.from_, True) if increment.from_ is not None else (increment.above, False)
    )
    assert start is not None
    return start, inclusive


def _plain(value: Decimal | None) -> Decimal | None:
    return None if value is None else plain(value)


def _words(value: Decimal | None) -> str:
    return "None" if value is None else value_words(value)


def _optional(value: Decimal | None) -> list[Decimal]:
    return [] if value is None else [value]


def _optional_early(crit: Criterion) -> list[Decimal]:
    assert crit.deadline is not None
    early = crit.deadline.early
    return [early.points] if early else []


def _looks_like_date(text: str) -> bool:
    return len(text) == 10 and text[4] == "-" and text[7] == "-" and text.replace("-", "").isdigit()
