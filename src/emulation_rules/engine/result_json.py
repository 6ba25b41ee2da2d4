"""A result's canonical JSON written straight from the flat trace: the audit record's writer.

Fast path of: ``canonical_json_bytes(result.to_dict(trace=True))``, that is the
:class:`~emulation_rules.engine.evaluator.TraceNode` tree of every unit built
(``_LazyTrace.build``), made into dicts (:func:`~emulation_rules.engine.serialize.trace_dict`)
and written by the json module. Kept equal, byte for byte, by ``tests/test_result_json.py``
(every shipped example, and random guides and units against the reference path) and by the
golden records of ``tests/golden/``.

A unit scored by the guide's generated code keeps its trace as flat records (see
``_LazyTrace``); here each criterion's JSON object is written from its record and the static
facts of the guide (its id, title, rule, line, the inputs it reads), which are turned into JSON
text once per guide (:func:`_plan`). No tree, no dict per criterion: a few string joins. A
unit whose trace was built already (read from Python, or scored by the interpreter) is written
through the reference path, as is anything of an unusual type.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from emulation_rules._support.canonical import canonical_value, exact_decimal_text
from emulation_rules.compiler.fields import NOT_APPLICABLE
from emulation_rules.engine import words
from emulation_rules.engine.evaluator import _LazyTrace
from emulation_rules.engine.record_program import build_writer, canonical_text
from emulation_rules.engine.record_program import pieces as _pieces
from emulation_rules.engine.serialize import trace_dict, unit_dict

if TYPE_CHECKING:
    from emulation_rules.compiler.nodes import CompiledRuleset
    from emulation_rules.engine.codegen import Program
    from emulation_rules.engine.evaluator import UnitScore

__all__ = ["canonical_json", "result_json", "result_json_pieces", "unit_json"]

#: ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``: the
#: canonical writer (:func:`~emulation_rules._support.canonical.canonical_json_bytes`).
canonical_json = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
).encode
_encode_str: Any = json.encoder.encode_basestring

_SAFE_INT = 2**53


def _value(value: Any) -> str:
    """The canonical JSON of one value (as ``canonical_json(canonical_value(value))``)."""
    cls = type(value)
    if cls is Decimal:
        text = str(value)
        if "E" in text or text[-1] > "9" or (text[-1] == "0" and ("." in text or text == "-0")):
            text = canonical_text(text, value)
        return '"' + text + '"'
    if cls is bool:
        return "true" if value else "false"
    if cls is int and -_SAFE_INT < value < _SAFE_INT:
        return int.__repr__(value)
    if cls is str:
        return _encode_str(value)  # type: ignore[no-any-return]
    if value is None:
        return "null"
    return canonical_json(canonical_value(value))


def _plain(value: Any) -> str:
    """:func:`_value` of an input read where a missing input shows as None."""
    return "null" if value is NOT_APPLICABLE else _value(value)


def _pairs(pairs: Any) -> str:
    """``[[label, amount], ...]``."""
    if not pairs:
        return "[]"
    return "[" + ",".join(["[" + _value(a) + "," + _value(b) + "]" for a, b in pairs]) + "]"


def _lines(lines: Any) -> str:
    """``[[code, amount, note], ...]``."""
    if not lines:
        return "[]"
    return (
        "["
        + ",".join(["[" + _value(a) + "," + _value(b) + "," + _value(c) + "]" for a, b, c in lines])
        + "]"
    )


def _facts(facts: Any) -> str:
    """A node's cohort facts, ``{}`` when it has none."""
    if not facts:
        return "{}"
    return canonical_json(canonical_value(dict(facts)))


class _Entry:
    """The JSON text of one criterion's static facts, as ``%`` templates of its dynamic fields.

    ``%`` in the static text (a title, a rule) is doubled, so only the slots are formatted.
    """

    __slots__ = (
        "adjust",
        "base",
        "capped",
        "children",
        "common",
        "general",
        "has_max",
        "ident",
        "inline_part",
        "inputs",
        "not_applicable",
        "plain",
        "reads",
        "score_children",
        "shown",
    )

    def __init__(self, entry: Any) -> None:
        (ident, title, kind, rule, reads, optional, children, line, has_max, shown) = entry[:10]
        self.ident = ident
        self.children = children
        self.has_max = has_max
        self.shown = shown
        self.plain = optional
        # the inputs read: sorted, each name once (a dict of them, written with sorted keys)
        self.reads = tuple(sorted(set(reads)))
        self.inputs = (
            "{"
            + ",".join(_encode_str(name).replace("%", "%%") + ":%s" for name in self.reads)
            + "}"
        )

        def esc(value: Any) -> str:
            return _value(value).replace("%", "%%")

        to_inputs = ',"id":' + esc(ident) + ',"inputs":%s'
        to_max = ',"kind":' + esc(kind) + ',"layer":null,"line":' + esc(line) + ',"max":%s'
        to_status = ',"rule":' + esc(rule) + ',"status":'
        to_value = ',"title":' + esc(title) + ',"value":%s}'
        self.score_children = tuple(("[" + _value(c) + ",", c, k) for c, k in entry.score_children)
        self.adjust = tuple(("[" + _value(c) + ",", c, k) for c, k in entry.adjust_children)
        # the parts of the common case written into its template: a construct's one part
        self.inline_part = shown == "construct" and not self.adjust
        parts = "[[" + esc(entry.construct_label) + ",%s]]" if self.inline_part else "%s"
        self.base = "[" + _value(entry.construct_label) + ","
        if shown not in ("construct", "children", "chosen"):  # the benchmark, or nothing
            self.base = ",".join(
                "[" + _value(a) + "," + _value(b) + "]" for a, b in entry.benchmark
            )
        # scored, no adjustment line: (children, inputs, max, parts, value)
        self.common = (
            '{"adjustments":[],"applicable":true,"children":[%s],"cohort":{}'
            + to_inputs
            + to_max
            + ',"note":null,"parts":'
            + parts
            + to_status
            + '"scored"'
            + to_value
        )
        # a leaf capped by its construct: (amount, children, inputs, max, parts, value)
        self.capped = (
            '{"adjustments":[["cap_line",%s,'
            + esc(entry.cap_note)
            + ']],"applicable":true,"children":[%s],"cohort":{}'
            + to_inputs
            + to_max
            + ',"note":null,"parts":'
            + parts
            + to_status
            + '"scored"'
            + to_value
        )
        # slots: adjustments, children, cohort, inputs, max, note, parts, status and value
        self.general = (
            '{"adjustments":%s,"applicable":true,"children":[%s],"cohort":%s'
            + to_inputs
            + to_max
            + ',"note":%s,"parts":%s'
            + to_status
            + "%s"
            + to_value
        )
        # not applicable: (children, cohort, inputs, note, status)
        self.not_applicable = (
            '{"adjustments":[],"applicable":false,"children":[%s],"cohort":%s'
            + to_inputs
            + to_max.replace("%s", '"0"')
            + ',"note":%s,"parts":[]'
            + to_status
            + "%s"
            + to_value.replace("%s", '"0"')
        )


class _Plan:
    """A guide's criteria as JSON text, in the compiled order, and its roots."""

    __slots__ = ("pending", "roots", "rows", "writer")

    def __init__(self, program: Program) -> None:
        #: The generated writer (:func:`_writer`), built once the guide has written enough.
        self.writer: Any = None
        #: Criteria written by the general path while the writer was not built yet.
        self.pending = 0
        entries = [_Entry(entry) for entry in program.plan]
        #: What the writer's loop reads of every criterion, unpacked in one step.
        self.rows = tuple(
            (
                e,
                e.children,
                e.reads,
                len(e.reads),
                e.plain,
                e.inline_part,
                e.has_max,
                e.ident,
                _pieces(e.common),
                _pieces(e.capped),
                _pieces(e.general),
                _pieces(e.inputs),
            )
            for e in entries
        )
        self.roots = tuple(i for i, _, _ in program.roots)


def _plan(compiled: CompiledRuleset) -> _Plan:
    program = compiled.program
    assert program is not None
    plan = program.derived.get("json")
    if plan is None:  # two threads may both build it: they are equal
        plan = program.derived["json"] = _Plan(program)
    return plan  # type: ignore[no-any-return]


def _parts(entry: _Entry, status: Any, parts: Any, values: Any, flags: Any) -> str:
    """A criterion's parts (as ``_LazyTrace.build`` shows them)."""
    if status in ("condition_not_met", "waived"):
        return "[]"
    shown = entry.shown
    if shown == "chosen":
        return _pairs(parts)
    if shown == "construct":
        listed = [entry.base + _value(parts) + "]"]
    elif shown == "children":
        listed = [lead + _value(values[c]) + "]" for lead, c, k in entry.score_children if flags[k]]
    else:  # the benchmark, or nothing
        listed = [entry.base] if entry.base else []
    if entry.adjust:
        listed += [lead + _value(values[c]) + "]" for lead, c, k in entry.adjust if flags[k]]
    return "[" + ",".join(listed) + "]"


def _criterion(
    row: Any, i: int, record: Any, kids: str, names: Any, values: Any, flags: Any, maxima: Any
) -> str:
    """The JSON text of criterion ``i`` of a unit, its children's texts ``kids`` given."""
    decimal, quoted, value_json = Decimal, _QUOTED, _value
    entry, _, reads, nreads, plain, inline_part, has_max, ident = row[:8]
    common, capped, general, keys = row[8:]
    flag = flags[i]
    if not nreads:
        inputs = "{}"
    elif plain or not flag:
        inputs = entry.inputs % tuple([_plain(names[n]) for n in reads])
    elif nreads == 1:
        v = names[reads[0]]
        k0, k1 = keys
        v = (quoted.get(v) or _quote(v)) if type(v) is decimal else value_json(v)
        inputs = f"{k0}{v}{k1}"
    elif nreads == 2:  # the usual two inputs of a ratio, written inline
        v = names[reads[0]]
        w = names[reads[1]]
        k0, k1, k2 = keys
        v = (quoted.get(v) or _quote(v)) if type(v) is decimal else value_json(v)
        w = (quoted.get(w) or _quote(w)) if type(w) is decimal else value_json(w)
        inputs = f"{k0}{v}{k1}{w}{k2}"
    else:
        inputs = entry.inputs % tuple([value_json(names[n]) for n in reads])
    if not flag:
        if type(record) is not tuple or len(record) == 2:
            status, note, facts = '"scored"', "null", "{}"
        else:
            status, note, facts = (
                value_json(record[0]),
                value_json(record[3]),
                _facts(record[4]),
            )
        return entry.not_applicable % (kids, facts, inputs, note, status)  # type: ignore[no-any-return]
    amax = maxima[i] if has_max else None
    amax_json = (quoted.get(amax) or _quote(amax)) if type(amax) is decimal else value_json(amax)
    value = values[ident]
    value_text = (
        (quoted.get(value) or _quote(value)) if type(value) is decimal else value_json(value)
    )
    if type(record) is not tuple:  # scored, no adjustment line: the record is the part
        if inline_part:
            part = (
                (quoted.get(record) or _quote(record))
                if type(record) is decimal
                else value_json(record)
            )
        else:
            part = _parts(entry, "scored", record, values, flags)
        c0, c1, c2, c3, c4, c5 = common
        return f"{c0}{kids}{c1}{inputs}{c2}{amax_json}{c3}{part}{c4}{value_text}{c5}"
    if len(record) == 2:  # a leaf capped by its construct: (part, amount)
        parts, amount = record
        part = value_json(parts) if inline_part else _parts(entry, "scored", parts, values, flags)
        amount_json = value_json(amount)
        c0, c1, c2, c3, c4, c5, c6 = capped
        return (
            f"{c0}{amount_json}{c1}{kids}{c2}{inputs}{c3}{amax_json}{c4}{part}{c5}{value_text}{c6}"
        )
    status, parts, lines, note, facts = record
    g0, g1, g2, g3, g4, g5, g6, g7, g8, g9 = general
    lines_json, facts_json = _lines(lines), _facts(facts)
    note_json, status_json = value_json(note), value_json(status)
    part = _parts(entry, status, parts, values, flags)
    return (
        f"{g0}{lines_json}{g1}{kids}{g2}{facts_json}{g3}{inputs}{g4}{amax_json}{g5}"
        f"{note_json}{g6}{part}{g7}{status_json}{g8}{value_text}{g9}"
    )


def lazy_trace_json(lazy: _LazyTrace) -> str:
    """The canonical JSON of the trace a unit keeps as flat records (see ``_LazyTrace``)."""
    compiled = lazy.compiled
    plan = _plan(compiled)
    names, values, flags, maxima, records = (
        lazy.names,
        lazy.values,
        lazy.flags,
        lazy.maxima,
        lazy.records,
    )
    built: list[str] = []
    append = built.append
    for i, row in enumerate(plan.rows):
        children = row[1]
        kids = ",".join([built[c] for c in children]) if children else ""
        append(_criterion(row, i, records[i], kids, names, values, flags, maxima))
    return _total_json(lazy, ",".join([built[i] for i in plan.roots]))


def _total_json(lazy: _LazyTrace, roots: str) -> str:
    """The trace's root (the unit's total) around the JSON text of its top-level criteria."""
    before, after = _total_around(lazy)
    return before + roots + after


def _total_around(lazy: _LazyTrace) -> tuple[str, str]:
    """The JSON text of the trace's root (the unit's total) before and after its criteria."""
    totals, value_json = lazy.totals, _value
    before = '{"adjustments":' + _lines(totals.lines) + ',"applicable":true,"children":['
    after = (
        '],"cohort":{},"id":"TOTAL","inputs":{},"kind":"total","layer":null,"line":null,"max":'
        + value_json(totals.amax)
        + ',"note":null,"parts":'
        + _pairs(totals.parts)
        + ',"rule":'
        + _TOTAL_RULE
        + ',"status":"scored","title":'
        + _value(lazy.compiled.ruleset.title)
        + ',"value":'
        + value_json(totals.total)
        + "}"
    )
    return before, after


#: The JSON of decimals already written, by value (the text depends on the value only, see
#: :func:`~emulation_rules._support.canonical.exact_decimal_text`). Bounded: cleared when full.
_QUOTED: dict[Decimal, str] = {}
_QUOTED_MAX = 65536


def _quote(value: Decimal) -> str:
    """``"text"`` of a decimal, kept in ``_QUOTED``."""
    text = '"' + exact_decimal_text(value) + '"'
    try:
        if value.is_finite():  # NaN is never equal to itself: no use keeping it
            if len(_QUOTED) >= _QUOTED_MAX:
                _QUOTED.clear()
            _QUOTED[value] = text
    except TypeError:  # a signalling NaN cannot be hashed
        pass
    return text


_TOTAL_RULE = _value(words.TOTAL_RULE)


def unit_json(unit: UnitScore, *, trace: bool) -> str:
    """``canonical_json(unit_dict(unit, trace=trace))``, the trace written from its records."""
    lazy = unit._trace  # noqa: SLF001 - the flat records, not the tree built from them
    if not trace or lazy is None:
        return canonical_json(unit_dict(unit, trace=False))
    if type(lazy) is _LazyTrace:
        text = _generated_unit_json(unit, lazy)
        if text is not None:
            return text
    return _general_unit_json(unit, lazy)


def _general_unit_json(unit: UnitScore, lazy: Any) -> str:
    """:func:`unit_json` of a unit with a trace, by the general path."""
    data = unit_dict(unit, trace=False)
    # "trace" and "unit_id" are the two last keys in sorted order: written after the rest
    ident = data.pop("unit_id")
    head = canonical_json(data)
    tree = lazy_trace_json(lazy) if type(lazy) is _LazyTrace else canonical_json(trace_dict(lazy))
    return head[:-1] + ',"trace":' + tree + ',"unit_id":' + _value(ident) + "}"


def _writer(compiled: CompiledRuleset) -> Any:
    """The guide's generated record writer (:mod:`.record_program`), built the first time."""
    plan = _plan(compiled)
    writer = plan.writer
    if writer is None:  # two threads may both build it: they are equal
        program = compiled.program
        assert program is not None
        writer = plan.writer = build_writer(
            plan.rows,
            program.plan,
            plan.roots,
            criterion=_criterion,
            lines_json=_lines,
            value_json=_value,
        )
    return writer


#: Criteria a guide writes by the general path before its writer is generated: compiling it
#: costs about what writing 10,000-20,000 criteria that way does (0.09 s and a 40 MiB peak for
#: a guide of 233 criteria), which a small cluster, a replay or a check never earns back.
GENERATE_AFTER = 20_000


def _generated_unit_json(unit: UnitScore, lazy: _LazyTrace) -> str | None:
    """:func:`unit_json` of a unit through the guide's generated writer, or None if it cannot.

    The text of :func:`_generated_unit_pieces`.
    """
    pieces = _generated_unit_pieces(unit, lazy)
    return None if pieces is None else b"".join(pieces).decode("utf-8")


def _generated_unit_pieces(
    unit: UnitScore, lazy: _LazyTrace, shared: dict[int, Any] | None = None
) -> list[bytes] | None:
    """:func:`unit_json` of a unit encoded to UTF-8, through the guide's generated writer.

    As pieces whose concatenation is the unit's bytes: the generated writer writes the trace's
    criteria and the items as bytes (:mod:`.record_program`), the few fields around them are
    encoded here; no text of the unit is made. None for a unit the writer leaves to the
    general path (see :mod:`.record_program`), and for every unit until the guide has written
    ``GENERATE_AFTER`` criteria. ``shared``: where the writer leaves the JSON text of the
    unit's submitted values when it has written them all (see ``write_record``).
    """
    compiled = lazy.compiled
    plan = _plan(compiled)
    writer = plan.writer
    if writer is None:
        if plan.pending < GENERATE_AFTER:
            plan.pending += len(plan.rows)
            return None
        writer = _writer(compiled)
    try:
        written = writer(
            lazy.names, lazy.values, lazy.flags, lazy.maxima, lazy.records, unit.items, shared
        )
    except Exception:  # noqa: BLE001 - anything unusual: the general path writes it, or raises
        return None
    if written is None:
        return None
    criteria, items = written
    head = _unit_head(unit)
    if head is None:
        data = unit_dict(unit, trace=False, items=False)
        # sorted keys: those before "items", "items", those after, then "trace" and "unit_id"
        data.pop("unit_id")
        before = canonical_json({k: v for k, v in data.items() if k < "items"})[:-1]
        after = canonical_json({k: v for k, v in data.items() if k > "items"})[1:-1]
        if len(before) > 1:
            before += ","
        if after:
            after = "," + after
    else:
        before, after = head
    start, end = _total_around(lazy)
    # the trace's and the items' bytes are not copied: the caller joins the pieces once
    return [
        (before + '"items":').encode("utf-8"),
        items,
        (after + ',"trace":' + start).encode("utf-8"),
        criteria,
        (end + ',"unit_id":' + _value(unit.unit_id) + "}").encode("utf-8"),
    ]


def _unit_head(unit: UnitScore) -> tuple[str, str] | None:
    """The unit's fields around its items (``{...,`` and ``,...``), or None if unusual.

    Fast path of: the keys of ``unit_dict`` other than items, trace and unit_id, in sorted
    order, for a unit without departures, reviews, corrections, issues or computed items
    (the usual unit); each field as :func:`_value` writes it.
    """
    if (
        unit.departures
        or unit.reviews
        or unit.corrected
        or unit.issues
        or unit.computed_items is not None
        or unit.computed_total is not None
    ):
        return None
    value = _value
    awards, reasons, dropped = unit.awards, unit.reasons, unit.eligibility_reasons
    missing, keys, scores = unit.not_applicable, unit.rank_keys, unit.self_scores
    before = (
        '{"awards":'
        + (value(list(awards)) if awards else "[]")
        + ',"classification":'
        + value(unit.classification)
        + ',"computed":null,"computed_total":null,"corrected":{},"deductions":'
        + value(unit.deductions)
        + ',"departures":[],"eligibility_reasons":'
        + (value(list(dropped)) if dropped else "[]")
        + ',"eligible":'
        + value(unit.eligible)
        + ',"issues":[],'
    )
    after = (
        ',"max":'
        + value(unit.max)
        + ',"name":'
        + value(unit.name)
        + ',"not_applicable":'
        + (value(list(missing)) if missing else "[]")
        + ',"percent":'
        + value(unit.percent)
        + ',"rank":'
        + value(unit.rank)
        + ',"rank_decided_by":'
        + value(unit.rank_decided_by)
        + ',"rank_keys":'
        + (value(dict(keys)) if keys else "{}")
        + ',"reasons":'
        + (value(list(reasons)) if reasons else "[]")
        + ',"reviews":[],"self_scores":'
        + (value(dict(scores)) if scores else "{}")
        + ',"status":'
        + value(unit.status)
        + ',"total":'
        + value(unit.total)
    )
    return before, after


def result_json(result: Any, *, trace: bool) -> str:
    """``canonical_json(result.to_dict(trace=trace))`` of a ``ClusterResult``."""
    head = canonical_json(result._head_dict())  # noqa: SLF001  # "units" is the last key in sorted order
    units = ",".join([unit_json(u, trace=trace) for u in result.units])
    return head[:-1] + ',"units":[' + units + "]}"


def result_json_pieces(
    result: Any, *, trace: bool, shared: dict[int, Any] | None = None
) -> list[bytes]:
    """:func:`result_json` encoded to UTF-8, as pieces whose concatenation is its bytes.

    A unit the guide's generated writer writes comes as a few pieces of bytes (no text of it
    is made, see :func:`_generated_unit_pieces`); any other unit is encoded on its own. No
    string of the whole result is made: the caller hashes the pieces and joins them once.
    ``shared``: see :func:`_generated_unit_pieces`.
    """
    head = canonical_json(result._head_dict())  # noqa: SLF001  # "units" is the last key in sorted order
    pieces = [(head[:-1] + ',"units":[').encode("utf-8")]
    append, extend = pieces.append, pieces.extend
    comma = False
    for unit in result.units:
        if comma:
            append(b",")
        comma = True
        lazy = unit._trace  # noqa: SLF001 - the flat records, not the tree built from them
        if trace and type(lazy) is _LazyTrace:
            written = _generated_unit_pieces(unit, lazy, shared)
            if written is not None:
                extend(written)
            else:  # not unit_json: it would count the unit's criteria towards the writer again
                append(_general_unit_json(unit, lazy).encode("utf-8"))
            continue
        append(unit_json(unit, trace=trace).encode("utf-8"))
    append(b"]}")
    return pieces
