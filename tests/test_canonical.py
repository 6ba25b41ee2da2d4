"""Canonical JSON written in one pass gives exactly what the straightforward writer gave.

The reference implementations below are the project's earlier code, kept verbatim: every value
goes through ``canonical_value`` by ``isinstance``, the result's dict is canonicalised after its
traces were, and every digest canonicalises its data again. The fast code must agree with them
value for value, type for type, byte for byte.
"""

from __future__ import annotations

import dataclasses
import enum
import gc
import hashlib
import json
import sys
from collections import OrderedDict, namedtuple
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation, localcontext
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulation_rules import load_cluster, load_ruleset, load_submissions, score
from emulation_rules._support import canonical as _canonical
from emulation_rules._support.canonical import (
    canonical_bytes,
    canonical_json_text,
    canonical_value,
    decimal_text,
    digest,
)
from emulation_rules.audit.records import build_record, record_bytes, record_digest
from emulation_rules.engine.awards import result_dict
from emulation_rules.engine.evaluator import TraceNode
from emulation_rules.engine.scoring import ClusterResult, trace_to_dict
from emulation_rules.inputs.reviews import load_reviews

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2022, 12, 31)

PROPERTIES = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --------------------------------------------------------------------------------------------
# The reference: the earlier code, verbatim


def ref_decimal_text(value: Decimal | int) -> str:
    if isinstance(value, int):
        return str(value)
    if value == 0:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def ref_canonical_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return ref_decimal_text(value)
    if isinstance(value, int):
        return value if abs(value) < 2**53 else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): ref_canonical_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [ref_canonical_value(v) for v in value]
    msg = f"cannot canonicalise {type(value).__name__}"
    raise TypeError(msg)


def ref_canonical_bytes(value: Any) -> bytes:
    return json.dumps(
        ref_canonical_value(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def ref_digest(value: Any) -> str:
    return "sha256:" + hashlib.sha256(ref_canonical_bytes(value)).hexdigest()


def ref_trace_to_dict(node: TraceNode) -> dict[str, Any]:
    out: dict[str, Any] = {}
    stack: list[tuple[TraceNode, dict[str, Any]]] = [(node, out)]
    while stack:
        current, target = stack.pop()
        target.update(
            {
                "id": current.id,
                "title": current.title,
                "kind": current.kind,
                "rule": current.rule,
                "inputs": dict(current.inputs),
                "parts": [[label, amount] for label, amount in current.parts],
                "adjustments": [[code, amount, note] for code, amount, note in current.adjustments],
                "value": current.value,
                "max": current.max,
                "applicable": current.applicable,
                "status": current.status,
                "note": current.note,
                "line": current.line,
                "cohort": dict(current.cohort),
                "layer": current.layer,
                "children": [],
            }
        )
        for child in current.children:
            slot: dict[str, Any] = {}
            target["children"].append(slot)
            stack.append((child, slot))
    return ref_canonical_value(out)  # type: ignore[no-any-return]


def ref_unit_dict(unit: Any, *, trace: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "unit_id": unit.unit_id,
        "name": unit.name,
        "status": unit.status,
        "rank": unit.rank,
        "total": unit.total,
        "max": unit.max,
        "percent": unit.percent,
        "classification": unit.classification,
        "reasons": list(unit.reasons),
        "deductions": unit.deductions,
        "items": dict(unit.items),
        "not_applicable": list(unit.not_applicable),
        "rank_keys": dict(unit.rank_keys),
        "rank_decided_by": unit.rank_decided_by,
        "eligible": unit.eligible,
        "eligibility_reasons": list(unit.eligibility_reasons),
        "awards": list(unit.awards),
        "self_scores": dict(unit.self_scores),
        "computed": dict(unit.computed_items) if unit.computed_items is not None else None,
        "computed_total": unit.computed_total,
        "departures": [d.as_dict() for d in unit.departures],
        "reviews": [list(r) for r in unit.reviews],
        "corrected": {k: list(v) for k, v in unit.corrected.items()},
        "issues": [i.as_dict() for i in unit.issues],
    }
    if trace and unit.trace is not None:
        data["trace"] = ref_trace_to_dict(unit.trace)
    return data


def ref_to_dict(result: ClusterResult, *, trace: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ruleset": {
            "id": result.ruleset_id,
            "version": result.ruleset_version,
            "title": result.ruleset_title,
            "digest": result.ruleset_digest,
            "source_digest": result.ruleset_source_digest,
        },
        "engine": {"name": "emulation-rules", "version": result.engine_version},
        "units": [ref_unit_dict(u, trace=trace) for u in result.units],
        "rejected": [
            {
                "unit_id": r.unit_id,
                "name": r.name,
                "status": "rejected",
                "issues": [i.as_dict() for i in r.issues],
            }
            for r in result.rejected
        ],
        "ties": [
            {"rank": t.rank, "unit_ids": list(t.unit_ids), "keys": dict(t.keys)}
            for t in result.ties
        ],
        "issues": [i.as_dict() for i in result.issues],
        "awards": [result_dict(a) for a in result.awards],
        "cluster": result.cluster.model_dump(mode="json") if result.cluster else None,
        "as_of": result.as_of,
    }
    return ref_canonical_value(data)  # type: ignore[no-any-return]


def ref_to_json(result: ClusterResult, *, trace: bool = False, indent: Any = 2) -> str:
    separators = (",", ": ") if indent else (",", ":")
    return json.dumps(
        ref_to_dict(result, trace=trace),
        ensure_ascii=False,
        sort_keys=True,
        indent=indent,
        separators=separators,
    )


# --------------------------------------------------------------------------------------------
# Helpers


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types everywhere and the same key order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(
            same(ka, kb) and same(a[ka], b[kb]) for ka, kb in zip(a, b, strict=True)
        )
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def outcome(function: Any, *args: Any) -> tuple[str, Any]:
    """The value, or the type and message of the exception."""
    try:
        return ("value", function(*args))
    except Exception as exc:  # noqa: BLE001 - compared with the reference's
        return ("raised", (type(exc), str(exc)))


class Text(str):
    __slots__ = ()


class Number(int):
    pass


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2**60


class Amount(Decimal):
    pass


class Day(date):
    pass


class Items(list):  # type: ignore[type-arg]
    pass


Pair = namedtuple("Pair", "left right")  # noqa: PYI024 - a plain tuple subclass

BIG = 2**53
EDGE_DECIMALS = [
    Decimal(t)
    for t in (
        "0",
        "-0",
        "-0.00",
        "0E+3",
        "0E-7",
        "1E+2",
        "-1E+2",
        "1.0E+1",
        "2.50",
        "749.7500",
        "-1.50",
        "1E-30",
        "123456789012345678901234567890.5",
        "9007199254740993",
        "Infinity",
        "-Infinity",
        "NaN",
    )
]

decimals = st.one_of(
    st.sampled_from(EDGE_DECIMALS),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.from_regex(r"-?[0-9]{1,6}(\.[0-9]{0,5})?(E[+-]?[0-9]{1,2})?", fullmatch=True).map(Decimal),
)
integers = st.one_of(
    st.integers(),
    st.sampled_from([BIG - 1, BIG, -BIG, -BIG + 1, BIG + 1, 2**64, -(2**70), 0, -1]),
    st.integers(min_value=-(2**80), max_value=2**80),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=8),
    integers,
    decimals,
    st.dates(),
    st.datetimes(),
    st.text(max_size=4).map(Text),
    integers.map(Number),
    st.sampled_from(list(Level)),
    decimals.map(Amount),
    st.dates().map(lambda d: Day(d.year, d.month, d.day)),
)
keys = st.one_of(
    st.text(max_size=6),
    st.integers(min_value=-3, max_value=3),
    st.booleans(),
    st.none(),
    st.sampled_from(EDGE_DECIMALS[:12]),
    st.dates(),
    st.floats(),
    st.text(max_size=3).map(Text),
)
nested = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.lists(inner, max_size=4).map(Items),
        st.tuples(inner, inner).map(lambda t: Pair(*t)),
        st.dictionaries(keys, inner, max_size=4),
        st.dictionaries(keys, inner, max_size=4).map(OrderedDict),
    ),
    max_leaves=30,
)

# --------------------------------------------------------------------------------------------
# canonical_value, canonical_bytes, digest


@PROPERTIES
@given(nested)
def test_canonical_value_equals_the_reference(value):
    fast, ref = outcome(canonical_value, value), outcome(ref_canonical_value, value)
    assert fast[0] == ref[0]
    assert same(fast[1], ref[1]) if fast[0] == "value" else fast == ref
    assert outcome(canonical_bytes, value) == outcome(ref_canonical_bytes, value)
    assert outcome(digest, value) == outcome(ref_digest, value)


@PROPERTIES
@given(nested)
def test_canonical_data_is_written_without_a_second_walk_and_unchanged(value):
    data = ref_canonical_value(value)
    assert canonical_bytes(data) == ref_canonical_bytes(data) == ref_canonical_bytes(value)
    assert same(canonical_value(data), data)
    assert _canonical.canonical_json_bytes(data) == ref_canonical_bytes(value)


@pytest.mark.parametrize(
    "value",
    [
        1.5,
        {"a": [1, 2.0]},
        {1.5: 2.5},
        {"a"},
        object(),
        MappingProxyType({"a": 1}),
        [Decimal(1), b"bytes"],
        {"a": (1, {"b": frozenset()})},
    ],
)
def test_what_cannot_be_canonicalised_raises_as_before(value):
    expected = outcome(ref_canonical_value, value)
    assert expected[0] == "raised"
    assert outcome(canonical_value, value) == expected
    assert outcome(canonical_bytes, value) == outcome(ref_canonical_bytes, value)


def test_a_signalling_nan_raises_as_before():
    with pytest.raises(InvalidOperation):
        ref_decimal_text(Decimal("sNaN"))
    with pytest.raises(InvalidOperation):
        decimal_text(Decimal("sNaN"))
    with pytest.raises(InvalidOperation):
        canonical_value({"a": [Decimal("sNaN")]})


@PROPERTIES
@given(st.one_of(decimals, integers, st.booleans(), decimals.map(Amount)))
def test_decimal_text_equals_the_reference_under_any_context(value):
    expected = ref_decimal_text(value)
    assert decimal_text(value) == expected
    with localcontext() as context:
        context.prec = 3  # the text is exact: no rounding to the context
        assert decimal_text(value) == expected
        assert decimal_text(value) == expected  # cached the second time


def test_equal_decimals_share_their_text_and_the_cache_is_bounded(monkeypatch):
    assert [decimal_text(Decimal(t)) for t in ("95.50", "95.5", "95.500E0", "0.9550E+2")] == [
        "95.5"
    ] * 4
    assert [decimal_text(Decimal(t)) for t in ("-0", "0E+5", "0.000")] == ["0"] * 3
    monkeypatch.setattr(_canonical, "_TEXTS_MAX", 8)
    monkeypatch.setattr(_canonical, "_TEXTS", {})
    for n in range(50):
        assert decimal_text(Decimal(n) / 4) == ref_decimal_text(Decimal(n) / 4)
    assert len(_canonical._TEXTS) <= 8
    assert Decimal("NaN") not in _canonical._TEXTS


def test_subclasses_take_the_general_way():
    value = {
        Text("k"): [Number(5), Number(BIG), Level.LOW, Level.HIGH, Amount("2.50")],
        "d": Day(2024, 1, 2),
        "t": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "n": Pair(Decimal("1E+2"), Items([Text("x")])),
        "o": OrderedDict([(2, True), (None, None)]),
    }
    fast = canonical_value(value)
    assert same(fast, ref_canonical_value(value))
    assert fast == {
        "k": [5, str(BIG), 1, str(2**60), "2.5"],
        "d": "2024-01-02",
        "t": "2024-01-02T03:04:05+00:00",
        "n": ["100", ["x"]],
        "o": {"2": True, "None": None},
    }
    assert type(fast["k"][0]) is Number  # returned as it was, as before
    assert canonical_bytes(value) == ref_canonical_bytes(value)


# --------------------------------------------------------------------------------------------
# Indented JSON text

json_keys = st.one_of(st.text(max_size=6), st.text(max_size=3).map(Text))
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.text(),
    st.integers(),
    st.floats(),
    st.text(max_size=3).map(Text),
    st.sampled_from(list(Level)),
)
json_data = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.lists(inner, max_size=3).map(Items),
        st.dictionaries(json_keys, inner, max_size=4),
        st.dictionaries(st.integers(min_value=-3, max_value=3), inner, max_size=3),
        st.dictionaries(json_keys, inner, max_size=3).map(OrderedDict),
    ),
    max_leaves=30,
)
indents = st.one_of(st.none(), st.integers(min_value=-1, max_value=5), st.sampled_from(["", "\t"]))


@PROPERTIES
@given(st.one_of(json_data, nested.map(ref_canonical_value)), indents, st.booleans())
def test_json_text_equals_the_json_module(data, indent, compact):
    separators = (",", ":") if compact else (",", ": ")

    def expected() -> str:
        return json.dumps(
            data, ensure_ascii=False, sort_keys=True, indent=indent, separators=separators
        )

    assert outcome(canonical_json_text, data, indent, separators) == outcome(expected)


def test_json_text_of_deep_or_circular_data_is_left_to_the_json_module():
    deep: Any = "leaf"
    for _ in range(sys.getrecursionlimit() + 10):
        deep = [deep]
    assert outcome(canonical_json_text, deep, 2, (",", ": ")) == outcome(
        lambda: json.dumps(deep, ensure_ascii=False, sort_keys=True, indent=2)
    )
    circular: list[Any] = [1]
    circular.append(circular)
    with pytest.raises(ValueError, match="Circular reference"):
        canonical_json_text(circular, 2, (",", ": "))


# --------------------------------------------------------------------------------------------
# Traces

labels = st.one_of(st.text(max_size=5), st.text(max_size=3).map(Text), st.integers(0, 3))
amounts = st.one_of(decimals, integers, decimals.map(Amount), st.none())
node_fields = {
    "id": labels,
    "title": st.one_of(st.text(max_size=8), st.text(max_size=3).map(Text)),
    "kind": st.sampled_from(["score", "group", "bonus", "deduction"]),
    "rule": st.one_of(st.text(max_size=12), st.text(max_size=3).map(Text)),
    "inputs": st.lists(st.tuples(st.one_of(st.text(max_size=3), labels), nested), max_size=4).map(
        tuple
    ),
    "parts": st.lists(st.tuples(labels, amounts), max_size=3).map(tuple),
    "adjustments": st.lists(st.tuples(labels, amounts, st.text(max_size=5)), max_size=2).map(tuple),
    "value": amounts,
    "max": amounts,
    "applicable": st.one_of(st.booleans(), integers.map(Number)),
    "status": st.one_of(st.sampled_from(["scored", "not_applicable"]), st.text().map(Text)),
    "note": st.one_of(st.none(), st.text(max_size=5), st.text(max_size=3).map(Text)),
    "line": st.one_of(st.none(), integers, integers.map(Number)),
    "cohort": st.lists(st.tuples(st.text(max_size=3), nested), max_size=3).map(tuple),
    "layer": st.one_of(st.none(), st.text(max_size=5), st.text(max_size=3).map(Text)),
}
trace_nodes = st.recursive(
    st.fixed_dictionaries(node_fields).map(lambda f: TraceNode(**f, children=())),
    lambda inner: st.tuples(st.fixed_dictionaries(node_fields), st.lists(inner, max_size=3)).map(
        lambda t: TraceNode(**t[0], children=tuple(t[1]))
    ),
    max_leaves=6,
)


@PROPERTIES
@given(trace_nodes)
def test_trace_to_dict_equals_the_reference(node):
    fast, ref = outcome(trace_to_dict, node), outcome(ref_trace_to_dict, node)
    assert fast[0] == ref[0]
    if fast[0] == "value":
        assert same(fast[1], ref[1])
    else:
        assert fast[1][0] is ref[1][0]  # the same kind of error


# --------------------------------------------------------------------------------------------
# Results and records of the shipped examples

GUIDE_FOR = {
    "tiengiang-2022": "tiengiang-stnmt-2022",
    "congan-cum347": "congan-cum347-2024",
    "hungyen-2021": "hungyen-cumkhoi-2021",
}
# the example clusters (examples/service/ is the reference web service, not a cluster)
EXAMPLES = sorted(p.parent.name for p in (ROOT / "examples").glob("*/submissions.yaml"))


def _example(name: str, *, reviewed: bool) -> tuple[Any, ...]:
    folder = ROOT / "examples" / name
    guide = load_ruleset(ROOT / "rulesets" / f"{GUIDE_FOR.get(name, name)}.yaml")
    batch = load_submissions([folder / "submissions.yaml"])
    cluster = load_cluster(folder / "cluster.yaml") if (folder / "cluster.yaml").exists() else None
    reviews = (
        list(load_reviews(folder / "reviews.yaml").reviews)
        if reviewed and (folder / "reviews.yaml").exists()
        else []
    )
    as_of = AS_OF if reviewed else None
    result = score(
        guide,
        batch.submissions,
        rejected=batch.rejected,
        reviews=reviews,
        cluster=cluster,
        as_of=as_of,
    )
    return guide, batch, cluster, reviews, as_of, result


@pytest.mark.parametrize("reviewed", [False, True])
@pytest.mark.parametrize("name", EXAMPLES)
def test_results_and_records_of_the_examples_equal_the_reference(name, reviewed):
    guide, batch, cluster, reviews, as_of, result = _example(name, reviewed=reviewed)
    for trace in (False, True):
        assert same(result.to_dict(trace=trace), ref_to_dict(result, trace=trace))
    for indent in (2, None, 0, 4, "\t"):
        assert result.to_json(trace=True, indent=indent) == ref_to_json(  # type: ignore[arg-type]
            result, trace=True, indent=indent
        )
    assert result.to_json() == ref_to_json(result)
    record = build_record(
        guide,
        list(batch.submissions),
        result,
        reviews=reviews,
        cluster=cluster,
        rejected_before=batch.rejected,
        as_of=as_of,
    )
    assert record["digest"] == ref_digest({k: v for k, v in record.items() if k != "digest"})
    assert record["input_digest"] == ref_digest(record["inputs"])
    assert same(record["result"], ref_to_dict(result, trace=True))
    assert record_digest(record) == record["digest"]
    assert record_bytes(record) == ref_canonical_bytes(record)
    read_back = json.loads(record_bytes(record))
    assert record_bytes(read_back) == ref_canonical_bytes(record)
    assert record_digest(read_back) == record["digest"]


def test_a_result_whose_to_dict_is_not_canonical_is_digested_as_before():
    guide, batch, _, reviews, as_of, result = _example("tiengiang-2022", reviewed=True)

    @dataclasses.dataclass(frozen=True)
    class Annotated(ClusterResult):
        def to_dict(self, *, trace: bool = False) -> dict[str, Any]:
            data = super().to_dict(trace=trace)
            data["note"] = (Decimal("1.50"), date(2024, 5, 6), BIG)
            return data

    annotated = Annotated(**{f.name: getattr(result, f.name) for f in dataclasses.fields(result)})
    record = build_record(guide, list(batch.submissions), annotated, reviews=reviews, as_of=as_of)
    assert record["result"]["note"] == (Decimal("1.50"), date(2024, 5, 6), BIG)  # kept as given
    assert record["digest"] == ref_digest({k: v for k, v in record.items() if k != "digest"})
    assert record_bytes(record) == ref_canonical_bytes(record)


def test_writing_a_result_restores_the_collector_as_it_found_it():
    *_, result = _example("tiengiang-2022", reviewed=False)
    assert gc.isenabled()
    result.to_json(trace=True)
    assert gc.isenabled()
    gc.disable()
    try:
        result.to_dict(trace=True)
        result.to_json(trace=True)
        assert not gc.isenabled()
    finally:
        gc.enable()
