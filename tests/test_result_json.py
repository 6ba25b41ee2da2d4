"""The audit record written straight from the flat trace, against the reference path.

:func:`~emulation_rules.audit.records.write_record` (the units' traces written from the flat
records scoring keeps, :mod:`emulation_rules.engine.result_json`) must give, byte for byte, the
record of the reference path ``record_bytes(build_record(...))`` (every trace built as a tree,
made into dicts, written by the json module): on every shipped example, on random clusters of
every shipped guide and of the small guides written to exercise every construct, with the
trace and without, with reviews, and when some traces were read (built) before the record.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the generators of another test
from emulation_rules import load_ruleset, load_submissions, score
from emulation_rules._support.canonical import canonical_json_bytes, exact_decimal_text
from emulation_rules.audit.records import (
    _inputs,
    _inputs_json,
    _submission_dict,
    _submission_json,
    _values_json,
    build_record,
    parse_record,
    record_bytes,
    write_record,
)
from emulation_rules.compiler.fields import NOT_APPLICABLE
from emulation_rules.engine import result_json as result_json_module
from emulation_rules.engine.evaluator import _LazyTrace
from emulation_rules.engine.items import CriterionValues
from emulation_rules.engine.record_program import _bytes, canonical_text
from emulation_rules.engine.result_json import (
    _generated_unit_json,
    _generated_unit_pieces,
    _unit_head,
    canonical_json,
    lazy_trace_json,
    result_json,
    result_json_pieces,
    unit_json,
)
from emulation_rules.engine.serialize import unit_dict
from emulation_rules.inputs.submissions import Submission
from test_codegen_differential import (
    SHIPPED_IDS,
    WRITTEN_IDS,
    budget,
    cohorts,
    guide,
)
from test_golden import load_example

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


@pytest.fixture(autouse=True)
def _generated_at_once(monkeypatch):
    """Every guide's record writer generated at its first unit (not after 20,000 criteria)."""
    monkeypatch.setattr(result_json_module, "GENERATE_AFTER", 0)


def both(compiled, subs, *, trace=True, reviews=(), cluster=None, rejected=(), read=(), as_of=None):
    """The record by the reference path and by write_record, each from its own scoring.

    ``read``: the indexes of the units whose trace is read before write_record writes.
    """
    kwargs = {"reviews": reviews, "cluster": cluster, "as_of": as_of}
    reference = score(compiled, subs, trace=trace, **kwargs)
    expected = record_bytes(
        build_record(compiled, subs, reference, rejected_before=rejected, **kwargs)
    )
    fresh = score(compiled, subs, trace=trace, **kwargs)
    for index in read:  # the tree built and kept: that unit is written from the tree
        if index < len(fresh.units):
            fresh.units[index].trace  # noqa: B018 - read for its effect
    written = write_record(compiled, subs, fresh, rejected_before=rejected, **kwargs)
    return expected, written


def check(compiled, subs, **kwargs):
    expected, written = both(compiled, subs, **kwargs)
    if written.data != expected:
        at = next(
            (i for i, (a, b) in enumerate(zip(written.data, expected, strict=False)) if a != b),
            min(len(written.data), len(expected)),
        )
        pytest.fail(
            "write_record differs from record_bytes(build_record(...)) at byte "
            f"{at}:\n  written  {written.data[at - 200 : at + 80]!r}\n"
            f"  expected {expected[at - 200 : at + 80]!r}"
        )
    record = json.loads(expected)
    assert written.digest == record["digest"]
    assert written.ruleset_id == record["ruleset"]["id"]
    assert written.as_of == record["as_of"]


# --------------------------------------------------------------------------------------------
# Every shipped example, as the golden files hold it


_example = load_example


EXAMPLES = sorted(p.parent.name for p in (ROOT / "examples").glob("*/submissions.yaml"))


@pytest.mark.parametrize("name", EXAMPLES)
def test_shipped_examples(name):
    compiled, batch, cluster, reviews, as_of = _example(name)
    subs = list(batch.submissions)
    for trace in (True, False):
        check(
            compiled,
            subs,
            trace=trace,
            reviews=reviews,
            cluster=cluster,
            rejected=batch.rejected,
            as_of=as_of,
        )
    check(compiled, subs, reviews=reviews, cluster=cluster, read=(0, 2), as_of=as_of)


def test_golden_record_is_written_by_the_fast_path():
    """The golden record of an example is write_record's bytes (the command line uses it)."""
    golden = (GOLDEN / "congan-cum347.record.json").read_bytes()
    record = parse_record(golden)
    assert record_bytes(record) == golden
    assert (
        record["digest"]
        == "sha256:"
        + hashlib.sha256(
            canonical_json_bytes({k: v for k, v in record.items() if k != "digest"})
        ).hexdigest()
    )


def test_result_and_unit_json_are_the_canonical_json_of_to_dict():
    compiled, batch, cluster, _, _ = _example("congan-cum347")
    result = score(compiled, batch.submissions, cluster=cluster)
    text = result_json(result, trace=True)
    units = [unit_json(u, trace=True) for u in result.units]
    assert text == canonical_json_bytes(result.to_dict(trace=True)).decode("utf-8")
    assert units == [canonical_json_bytes(u.to_dict(trace=True)).decode() for u in result.units]
    assert result_json(result, trace=False) == canonical_json_bytes(result.to_dict()).decode()


# --------------------------------------------------------------------------------------------
# Random clusters of every shipped guide and every written guide (the codegen differential
# tests' generators: values near the guide's own numbers, ties, reviews)


@pytest.mark.parametrize("path", SHIPPED_IDS)
@budget(3)
@given(data=st.data())
def test_random_clusters_shipped_guides(path, data):
    subs, reviews = data.draw(cohorts(path), label="cohort")
    check(guide(path), subs, reviews=reviews, read=(data.draw(st.integers(0, 5)),))


@pytest.mark.parametrize("path", WRITTEN_IDS)
@budget(12)
@given(data=st.data())
def test_random_clusters_written_guides(path, data):
    subs, reviews = data.draw(cohorts(path), label="cohort")
    trace = data.draw(st.booleans())
    check(guide(path), subs, trace=trace, reviews=reviews)


# --------------------------------------------------------------------------------------------
# The generated writer (engine/record_program.py): taken on every shipped example, and equal to
# the general path on every record shape and every form of a decimal


#: Units written by the generated writer, of units keeping flat records, per shipped example
#: (the others have a criterion that does not apply, or were scored by the interpreter).
FAST_UNITS = {
    "chuong-trinh-phoi-hop-2021-2025": (24, 24),
    "congan-cum347": (2, 6),
    "hungyen-2021": (8, 8),
    "khoi-van-hoa-xa-hoi-thua-thien-hue-2024": (5, 9),
    "tiengiang-2022": (4, 4),
    "tinh-mau-stnmt-2022": (3, 3),
    "vhttdl-7-tinh-mien-nui-phia-bac-2021": (7, 7),
    "vhttdl-dong-bang-song-hong-2017": (9, 9),
    "vhttdl-duyen-hai-mien-trung-2022-h1": (4, 6),
}


def _scored(name):
    compiled, batch, cluster, reviews, _ = _example(name)
    return score(compiled, list(batch.submissions), reviews=reviews, cluster=cluster)


def _reference_unit_json(unit):
    """The unit's JSON by the general path (the trace's flat records, no generated writer)."""
    data = unit_dict(unit, trace=False)
    ident = data.pop("unit_id")
    return (
        canonical_json(data)[:-1]
        + ',"trace":'
        + lazy_trace_json(unit._trace)
        + ',"unit_id":'
        + json.dumps(ident, ensure_ascii=False)
        + "}"
    )


@pytest.mark.parametrize("name", EXAMPLES)
def test_generated_writer_is_taken_on_every_shipped_example(name):
    assert set(FAST_UNITS) == set(EXAMPLES)
    result = _scored(name)
    lazy = [u for u in result.units if type(u._trace) is _LazyTrace]
    written = [u for u in lazy if _generated_unit_json(u, u._trace) is not None]
    assert (len(written), len(lazy)) == FAST_UNITS[name]
    for unit in written:
        assert _generated_unit_json(unit, unit._trace) == _reference_unit_json(unit)
        assert unit_json(unit, trace=True) == canonical_json(unit.to_dict(trace=True))


#: Decimals of the same value written in other forms: exponents, trailing zeros, negative zero.
_FORMS = st.sampled_from(
    ["0", "-0", "-0.00", "0E-7", "0E+3", "5", "5.0", "5.000", "0.5E1", "5E1", "50", "-2.50",
     "1E-7", "1.5E+30", "123.456000", "-0.0000001", "2.400071398821919438329267567", "10",
     "NaN", "Infinity", "-Infinity"]
)  # fmt: skip
#: Inputs of every type the writer meets, and the not-applicable marker.
_INPUTS = st.one_of(
    _FORMS.map(Decimal),
    st.integers(-(2**60), 2**60),
    st.booleans(),
    st.none(),
    st.just(NOT_APPLICABLE),
    st.text(max_size=5),
)


@pytest.mark.parametrize("name", EXAMPLES)
@budget(8)
@given(data=st.data())
def test_generated_writer_equals_the_general_path(name, data):
    """Every record shape (bare part, capped leaf, group, general record) and value form."""
    result = _scored(name)
    units = [
        u
        for u in result.units
        if type(u._trace) is _LazyTrace and _generated_unit_json(u, u._trace) is not None
    ]
    unit = units[data.draw(st.integers(0, len(units) - 1), label="unit")]
    lazy = unit._trace
    # the kept values and inputs are read-only views: edit copies, then put them in place
    values, names = dict(lazy.values), dict(lazy.names)
    records = list(lazy.records)
    plan = lazy.compiled.program.plan
    for i, entry in enumerate(plan):
        how = data.draw(
            st.sampled_from(["same", "copy", "form", "capped", "bare", "lines"]), label="how"
        )
        record = records[i]
        if how == "copy" and type(values[entry.id]) is Decimal:
            values[entry.id] = Decimal(str(values[entry.id]))
        elif how == "form":
            values[entry.id] = Decimal(data.draw(_FORMS, label="value"))
        elif how == "capped" and type(record) is Decimal:
            records[i] = (record, Decimal(data.draw(_FORMS, label="amount")))
        elif how == "bare" and type(record) is tuple and len(record) == 2:
            records[i] = Decimal(data.draw(_FORMS, label="part"))
        elif how == "lines" and entry.shown == "children":  # a general record: the usual one,
            status = data.draw(st.sampled_from(["scored", "scored", "waived"]), label="status")
            note = data.draw(st.sampled_from([None, None, "ghi chú"]), label="note")
            facts = data.draw(st.sampled_from([(), (), (("rank", 1),)]), label="facts")
            amount = Decimal(data.draw(_FORMS, label="amount"))
            records[i] = (status, (), (("cap_at_max", amount, "không vượt quá"),), note, facts)
    for name_ in sorted({n for entry in plan for n in entry.reads}):
        if data.draw(st.integers(0, 19), label="change input") == 0:
            names[name_] = data.draw(_INPUTS, label="input")
    lazy.records = tuple(records)
    lazy.values = CriterionValues(lazy.values._index, tuple(values.values()))
    lazy.names = names
    object.__setattr__(unit, "items", lazy.values)  # the writer relies on the same objects
    text = _generated_unit_json(unit, lazy)
    event("generated writer" if text is not None else "general path")
    try:
        reference = _reference_unit_json(unit)
    except Exception:  # noqa: BLE001 - the general path refuses it: so must the generated writer
        assert text is None
        return
    assert text is None or text == reference
    assert unit_json(unit, trace=True) == reference
    assert reference == canonical_json(unit.to_dict(trace=True))


# --------------------------------------------------------------------------------------------
# The inputs written without model_dump (audit/records.py _inputs_json)

#: Submissions written without ``model_dump`` per shipped example (the others have a value
#: that is a list).
FAST_SUBMISSIONS = {
    "chuong-trinh-phoi-hop-2021-2025": (24, 24),
    "congan-cum347": (6, 6),
    "hungyen-2021": (7, 10),
    "khoi-van-hoa-xa-hoi-thua-thien-hue-2024": (9, 9),
    "tiengiang-2022": (5, 5),
    "tinh-mau-stnmt-2022": (3, 3),
    "vhttdl-7-tinh-mien-nui-phia-bac-2021": (7, 7),
    "vhttdl-dong-bang-song-hong-2017": (9, 9),
    "vhttdl-duyen-hai-mien-trung-2022-h1": (6, 6),
}


@pytest.mark.parametrize("name", EXAMPLES)
def test_inputs_written_without_model_dump_on_every_shipped_example(name):
    _, batch, cluster, reviews, _ = _example(name)
    subs = list(batch.submissions)
    fast = [s for s in subs if _submission_json(s, Submission) is not None]
    assert (len(fast), len(subs)) == FAST_SUBMISSIONS[name]
    for sub in fast:
        assert _submission_json(sub, Submission) == canonical_json(_submission_dict(sub))
    assert _inputs_json(subs, reviews, cluster, batch.rejected) == canonical_json(
        _inputs(subs, reviews, cluster, batch.rejected)
    )


_VALUES = st.one_of(
    _FORMS.map(Decimal),
    st.integers(-(2**60), 2**60),
    st.booleans(),
    st.none(),
    st.text(max_size=6),
    st.floats(allow_nan=False),
    st.dates(),
    st.lists(st.integers(), max_size=2),
)


@budget(60)
@given(
    values=st.dictionaries(st.text(max_size=4), _VALUES, max_size=5),
    scores=st.dictionaries(
        st.text(min_size=1, max_size=4),
        _FORMS.filter(lambda t: "N" not in t and "I" not in t).map(Decimal),
        max_size=2,
    ),
    unit_id=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,4}", fullmatch=True),
    period=st.none() | st.text(max_size=4),
    source=st.none() | st.text(max_size=4),
    located=st.booleans(),
)
def test_submission_json_equals_model_dump(values, scores, unit_id, period, source, located):
    try:
        sub = Submission(
            unit_id=unit_id,
            name="Đơn vị " + unit_id,
            values=values,
            self_scores=scores,
            period=period,
            source=source,
            locations=dict.fromkeys(values, (1, 2)) if located else {},
        )
    except Exception:  # noqa: BLE001 - a submission the model refuses: nothing to write
        return
    text = _submission_json(sub, Submission)
    event("written" if text is not None else "model_dump")
    assert text is None or text == canonical_json(_submission_dict(sub))


def test_the_writer_is_generated_once_the_guide_has_written_enough(monkeypatch):
    """Until then the general path writes the units; the bytes are the same either way."""
    monkeypatch.setattr(result_json_module, "GENERATE_AFTER", 500)
    compiled, batch, cluster, reviews, _ = _example("vhttdl-dong-bang-song-hong-2017")
    compiled = load_ruleset(compiled.source)  # a guide of its own: no writer built yet
    result = score(compiled, list(batch.submissions), reviews=reviews, cluster=cluster)
    criteria = len(compiled.program.plan)
    taken = [_generated_unit_json(u, u._trace) is not None for u in result.units * 3]
    general = -(-500 // criteria)  # the units written before the guide reached 500 criteria
    assert taken == [False] * general + [True] * (len(taken) - general)
    for unit in result.units:
        assert unit_json(unit, trace=True) == canonical_json(unit.to_dict(trace=True))


@pytest.mark.parametrize("name", EXAMPLES)
def test_unit_head_equals_unit_dict(name):
    """The unit's fields around its items, written without unit_dict, on every example."""
    result = _scored(name)
    written = 0
    for unit in result.units:
        head = _unit_head(unit)
        if head is None:
            continue
        written += 1
        data = unit_dict(unit, trace=False)
        data.pop("unit_id")
        expected = canonical_json(data)
        items = canonical_json(data["items"])
        assert head[0] + '"items":' + items + head[1] + "}" == expected
    assert written  # every example has usual units


#: What the generated writer's source may name: its arguments, its constants and helpers, a
#: few builtins, and its own locals (inputs, values, objects, heads, tails, the part, amount).
_ALLOWED_NAMES = {"N", "V", "A", "M", "R", "I", "D", "U", "NA", "X", "J", "S", "L", "MC"}
_ALLOWED_NAMES |= {"maxtexts", "str", "len", "tuple", "all", "map", "x", "r", "p", "a", "mc", "mt"}
_ALLOWED_NAMES |= {"VO", "IS", "DS", "EB", "E", "type", "int", "id", "vs", "SH", "F"}
_CALLED = {"str", "len", "tuple", "all", "map", "X", "J", "S", "L", "maxtexts", "VO", "EB", "E"}
_CALLED |= {"id"}


@pytest.mark.parametrize("name", EXAMPLES)
def test_generated_writer_source_is_fixed_syntax_and_literals(name):
    """The guide's texts are only string literals in it: no name, call or attribute of its own."""
    result = _scored(name)
    lazy = next(u._trace for u in result.units if type(u._trace) is _LazyTrace)
    tree = ast.parse(result_json_module._writer(lazy.compiled).source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            assert node.id in _ALLOWED_NAMES or re.fullmatch(r"[nsvoht]\d+", node.id), node.id
        elif isinstance(node, ast.Attribute):
            assert node.attr == "__class__"
        elif isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            assert node.func.id in _CALLED
        elif isinstance(node, ast.FunctionDef):
            assert node.name == "write"
        assert not isinstance(node, (ast.Import, ast.ImportFrom, ast.Lambda, ast.Global))


@given(text=st.text(), slot=st.binary(max_size=3))
@budget(200)
def test_bytes_template_keeps_any_text_literal(text, slot):
    """Quotes, backslashes, ``%`` and any character in a guide's text stay its UTF-8 bytes."""
    source = _bytes([text, ("y",), text])
    expected = text.encode() + slot + text.encode()
    assert eval(source, {"__builtins__": {}}, {"y": slot}) == expected  # noqa: S307
    assert eval(_bytes([text]), {"__builtins__": {}}) == text.encode()  # noqa: S307


# --------------------------------------------------------------------------------------------
# The submissions' values written once: by the generated writer, for the submissions section

#: Submissions whose values the generated writer wrote for the record, per shipped example:
#: none, as a unit's inputs there are never exactly its submitted values (cluster data,
#: defaults of inputs not submitted, or a value no criterion reads). The anchor workload's
#: are (the test after this one).
SHARED_SUBMISSIONS = {
    "chuong-trinh-phoi-hop-2021-2025": (0, 24),
    "congan-cum347": (0, 6),
    "hungyen-2021": (0, 10),
    "khoi-van-hoa-xa-hoi-thua-thien-hue-2024": (0, 9),
    "tiengiang-2022": (0, 5),
    "tinh-mau-stnmt-2022": (0, 3),
    "vhttdl-7-tinh-mien-nui-phia-bac-2021": (0, 7),
    "vhttdl-dong-bang-song-hong-2017": (0, 9),
    "vhttdl-duyen-hai-mien-trung-2022-h1": (0, 6),
}


def _shared(name):
    compiled, batch, cluster, reviews, _ = _example(name)
    subs = list(batch.submissions)
    result = score(compiled, subs, reviews=reviews, cluster=cluster)
    shared = {}
    pieces = result_json_pieces(result, trace=True, shared=shared)
    assert b"".join(pieces) == result_json(result, trace=True).encode()
    return subs, batch, cluster, reviews, shared


@pytest.mark.parametrize("name", EXAMPLES)
def test_submitted_values_shared_on_every_shipped_example(name):
    subs, batch, cluster, reviews, shared = _shared(name)
    taken = [s for s in subs if id(s.values) in shared and shared[id(s.values)][0] is s.values]
    assert (len(taken), len(subs)) == SHARED_SUBMISSIONS[name]
    for sub in taken:
        assert shared[id(sub.values)][1] == _values_json(sub.values)
        assert _submission_json(sub, Submission, shared) == canonical_json(_submission_dict(sub))
    assert _inputs_json(subs, reviews, cluster, batch.rejected, shared) == canonical_json(
        _inputs(subs, reviews, cluster, batch.rejected)
    )


def test_submitted_values_shared_on_the_anchor_workload(tmp_path):
    """Every unit of the benchmark's workload: its submitted values written by the writer."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import anchor

    guide_path, subs_path = anchor.write_workload(tmp_path, 40)[1:]
    compiled = load_ruleset(guide_path)
    subs = list(load_submissions([subs_path]).submissions)
    result = score(compiled, subs)
    shared = {}
    result_json_pieces(result, trace=True, shared=shared)
    assert sorted(id(s.values) for s in subs) == sorted(shared)
    check(compiled, subs)


@pytest.mark.parametrize("name", EXAMPLES)
@budget(8)
@given(data=st.data())
def test_submitted_values_shared_equal_the_submission_writer(name, data):
    """Inputs of every type and decimal form: the shared text is the submission's, or none."""
    result = _scored(name)
    units = [
        u
        for u in result.units
        if type(u._trace) is _LazyTrace and _generated_unit_json(u, u._trace) is not None
    ]
    unit = units[data.draw(st.integers(0, len(units) - 1), label="unit")]
    lazy = unit._trace
    names = dict(lazy.names)
    if data.draw(st.booleans(), label="only the inputs read"):  # as a submission of them all
        reads = sorted({n for e in lazy.compiled.program.plan for n in e.reads})
        names = {n: names[n] for n in reads}
        for name_ in reads:  # dates, lists: the submission writes them otherwise
            if type(names[name_]) not in (Decimal, int, bool, str, type(None)):
                names[name_] = data.draw(_FORMS.map(Decimal), label="instead")
    for name_ in sorted(names):
        if data.draw(st.integers(0, 19), label="change input") == 0:
            names[name_] = data.draw(_INPUTS, label="input")
    if data.draw(st.integers(0, 3), label="a value no criterion reads") == 0:
        names["không đọc"] = Decimal("1.0")
    lazy.names = names
    shared = {}
    text = b"".join(_generated_unit_pieces(unit, lazy, shared) or [b""]).decode()
    event("shared" if shared else "not shared")
    if text:
        assert text == _reference_unit_json(unit)
    if shared:
        assert list(shared) == [id(names)]
        assert shared[id(names)][0] is names
        assert shared[id(names)][1] == _values_json(names)


@given(
    value=(st.decimals(allow_nan=True, allow_infinity=True) | _FORMS.map(Decimal)).filter(
        lambda d: not d.is_snan()  # no text: exact_decimal_text raises, as does the writer
    )
)
@budget(300)
def test_canonical_text_from_str_equals_exact_decimal_text(value):
    """The generated writer's canonical text from a decimal's str(), without its hash."""
    text = str(value)
    assert canonical_text(text, value) == exact_decimal_text(value)
    assert result_json_module._value(value) == '"' + exact_decimal_text(value) + '"'
