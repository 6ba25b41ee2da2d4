"""Issue 17: the in-memory API, score(guide, batch), results handed on, errors of our own type."""

from __future__ import annotations

import gc
import io
import json
from decimal import Decimal

import pytest

import emulation_rules
from emulation_rules import (
    ClusterData,
    EmulationRulesError,
    Submission,
    SubmissionBatch,
    SubmissionError,
    load_ruleset,
    load_submissions,
    parse_cluster,
    parse_json,
    parse_reviews,
    parse_submissions,
    score,
    stream_score,
)
from emulation_rules._support.yaml import parse_yaml

GUIDE = "rulesets/tiengiang-stnmt-2022.yaml"
SUBMISSIONS = "examples/tiengiang-2022/submissions.yaml"


@pytest.fixture(scope="module")
def guide(root):
    return load_ruleset(root / GUIDE)


@pytest.fixture(scope="module")
def document(root):
    """The example's submissions as plain data (what a JSON body gives)."""
    parsed, issues = parse_yaml((root / SUBMISSIONS).read_text(encoding="utf-8"), "s.yaml")
    assert parsed is not None, issues
    return parsed.data


def _json_text(data):
    return json.dumps(data, ensure_ascii=False, default=str)


def _units(batch: SubmissionBatch):
    return [s.model_dump() for s in batch.submissions]


def test_a_single_path_is_one_file_never_its_characters(root, monkeypatch):
    monkeypatch.chdir(root)
    batch = load_submissions(SUBMISSIONS)
    assert not batch.issues
    assert len(batch.submissions) == 5
    assert _units(batch) == _units(load_submissions([root / SUBMISSIONS]))
    assert _units(load_submissions(root / SUBMISSIONS)) == _units(batch)


@pytest.mark.parametrize("bad", [b"units: []", 42, [b"x.yaml"]])
def test_load_submissions_refuses_what_is_not_a_path(bad):
    with pytest.raises(TypeError, match="load_submissions"):
        load_submissions(bad)


def test_data_text_and_bytes_read_as_the_file_does(root, guide, document):
    from_file = score(guide, load_submissions(root / SUBMISSIONS))
    name = str(root / SUBMISSIONS)
    yaml_text = (root / SUBMISSIONS).read_text(encoding="utf-8")
    for data in (yaml_text, yaml_text.encode("utf-8")):  # YAML: the same lines and columns
        assert score(guide, parse_submissions(data, name=name)).to_json() == from_file.to_json()

    def scores(result):
        return [
            (u.unit_id, u.rank, u.total, dict(u.items), [(i.code, i.path) for i in u.issues])
            for u in result.units
        ]

    text = _json_text(document)
    for data in (text, text.encode("utf-8"), parse_json(text)):
        batch = parse_submissions(data, name="body")
        assert not batch.issues
        assert not batch.rejected
        assert all(s.source == "body" for s in batch.submissions)
        assert scores(score(guide, batch)) == scores(from_file)


def test_a_bad_value_is_located_by_a_json_pointer(guide, document):
    body = parse_json(_json_text(document))
    body["units"][2]["values"]["c1_ty_le_thu_gom"] = "95,5"  # a decimal comma
    batch = parse_submissions(body, name="body")
    result = score(guide, batch)
    [rejected] = result.rejected
    assert rejected.unit_id == document["units"][2]["unit_id"]
    [issue] = [i for i in rejected.issues if i.severity == "error"]
    assert issue.code == "number-format"
    assert issue.pointer == "/values/c1_ty_le_thu_gom"  # inside the unit
    assert batch.pointer(issue) == "/units/2/values/c1_ty_le_thu_gom"  # in the document
    assert len(result.units) == 4


def test_a_unit_the_model_refuses_is_located_in_the_document(document):
    body = parse_json(_json_text(document))
    del body["units"][1]["name"]
    body["units"][3]["values"] = [1, 2]
    batch = parse_submissions(body, name="body")
    pointers = sorted(batch.pointer(i) for r in batch.rejected for i in r.issues)
    assert pointers == ["/units/1", "/units/3/values"]
    codes = sorted(i.code for r in batch.rejected for i in r.issues)
    assert codes == ["missing-field", "wrong-type"]


def test_data_is_normalised_like_a_file():
    decomposed = "Ha\u0300 N\u00f4\u0323i"
    body = {
        "ruleset": "x",
        "ruleset_version": "1",
        "units": [{"unit_id": "u", "name": decomposed, "values": {}}],
    }
    [sub] = parse_submissions(body).submissions
    assert sub.name == "Hà Nội"
    twice = {"ruleset": "x", "ruleset_version": "1", "units": [{"n\u0303": 1, "\u00f1": 2}]}
    batch = parse_submissions(twice)
    assert [i.code for i in batch.issues] == ["duplicate-key"]
    assert batch.issues[0].pointer == "/units/0/\u00f1"
    keyed = parse_submissions({"ruleset": "x", "ruleset_version": "1", "units": [{1: "a"}]})
    assert [(i.code, i.pointer) for i in keyed.issues] == [("key-type", "/units/0")]
    deep: dict[str, object] = {}
    node = deep
    for _ in range(200):
        node["a"] = {}
        node = node["a"]  # type: ignore[assignment]
    assert [i.code for i in parse_submissions(deep).issues] == ["too-deep"]


def test_a_binary_float_is_refused_per_value(guide, document):
    body = parse_json(_json_text(document))
    body["units"][0]["values"]["c1_ty_le_thu_gom"] = 97.5
    result = score(guide, parse_submissions(body))
    [rejected] = result.rejected
    assert [i.code for i in rejected.issues if i.severity == "error"] == ["value-type"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ('{"a": 1,}', "yaml-syntax"),
        ('{"a": 1, "a": 2}', "duplicate-key"),
        ('{"a": NaN}', "number-format"),
        (b"\xff{}", "encoding"),
        ('{"a": "\x1b[2J"}', "control-char"),
        ("[" * 100_000 + "]" * 100_000, "too-deep"),
    ],
)
def test_parse_json_raises_our_error_with_a_code(data, code):
    with pytest.raises(SubmissionError) as caught:
        parse_json(data)
    assert [i.code for i in caught.value.issues] == [code]


def test_parse_json_is_exact_and_takes_any_length_of_number():
    digits = "9" * 5000
    data = parse_json(f'{{"big": {digits}, "x": 0.1, "f": {digits}.5}}'.encode())
    assert data["big"] == Decimal(digits)
    assert data["x"] == Decimal("0.1")
    assert data["f"] == Decimal(f"{digits}.5")
    with pytest.raises(SubmissionError) as caught:
        parse_json('{\n  "a": }')
    assert (caught.value.issues[0].line, caught.value.issues[0].column) == (2, 8)
    with pytest.raises(TypeError, match="parse_json"):
        parse_json(42)  # type: ignore[arg-type]


def test_a_huge_number_is_refused_by_validation_not_by_the_parser(guide, document):
    data = parse_json(_json_text(document))
    data["units"][0]["values"]["c1_ty_le_thu_gom"] = "__BIG__"
    body = _json_text(data).replace('"__BIG__"', "9" * 5000)
    result = score(guide, parse_submissions(body))
    assert len(result.rejected) == 1
    assert {i.code for i in result.rejected[0].issues} <= {"out-of-range", "number-places"}


def test_constructors_raise_our_error():
    with pytest.raises(SubmissionError) as caught:
        Submission(unit_id="x")  # type: ignore[call-arg]
    [issue] = caught.value.issues
    assert (issue.code, issue.pointer, issue.source) == ("missing-field", "/name", "<Submission>")
    assert "name" in issue.message
    with pytest.raises(EmulationRulesError) as caught:
        ClusterData(members=0)
    assert [(i.code, i.pointer) for i in caught.value.issues] == [("invalid-value", "/members")]
    # the readers still see pydantic's error, and locate it in their file
    with pytest.raises(Exception, match="validation error") as raw:
        Submission.model_validate({"unit_id": "x"})
    assert not isinstance(raw.value, EmulationRulesError)


def test_reviews_and_cluster_from_memory(root):
    text = (root / "examples/tiengiang-2022/reviews.yaml").read_text(encoding="utf-8")
    from_text = parse_reviews(text)
    assert from_text == emulation_rules.load_reviews(root / "examples/tiengiang-2022/reviews.yaml")
    cluster = parse_cluster('{"members": 6, "meeting": {"attendees": 6, "ballots": 6}}')
    assert cluster.members == 6
    assert parse_cluster({"members": 6}) == ClusterData(members=6)
    with pytest.raises(SubmissionError) as caught:
        parse_cluster({"members": 6, "meting": {}})
    [issue] = caught.value.issues
    assert (issue.code, issue.pointer, issue.hint) == (
        "unknown-field",
        "/meting",
        "did you mean 'meeting'?",
    )
    with pytest.raises(SubmissionError, match="mapping"):
        parse_cluster("[1, 2]")
    with pytest.raises(TypeError, match="parse_reviews"):
        parse_reviews([])  # type: ignore[arg-type]


def test_score_with_a_batch_drops_no_problem(root, guide):
    batch = load_submissions([root / SUBMISSIONS, root / "missing.yaml"])
    assert [i.code for i in batch.issues] == ["file-not-found"]
    result = score(guide, batch)
    assert [i.code for i in result.issues[:1]] == ["file-not-found"]
    assert not result.ok
    old = score(guide, batch.submissions, rejected=batch.rejected, issues=batch.issues)
    assert old.to_json() == result.to_json()
    with pytest.raises(SubmissionError, match="cannot be read"):
        score(guide, batch, on_error="raise")


def test_score_refuses_what_is_not_a_guide_or_a_submission(root, guide):
    with pytest.raises(TypeError, match=r"load_ruleset\(\) first"):
        score(str(root / GUIDE), [])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Submission objects"):
        score(guide, [{"unit_id": "x"}])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="evaluate"):
        emulation_rules.evaluate(guide, {"unit_id": "x"})  # type: ignore[arg-type]


def test_unit_results_are_handed_on_normalised(root, guide):
    result = score(guide, load_submissions(root / SUBMISSIONS))
    data = result.to_dict(trace=True)
    for unit, expected in zip(result.units, data["units"], strict=True):
        assert unit.to_dict(trace=True) == expected
        assert json.loads(unit.to_json()) == unit.to_dict()
    assert isinstance(data["units"][0]["max"], str)
    assert data["units"][0]["max"] == "100"  # normalised text, whatever the Decimal's exponent


def test_stream_score_takes_a_compiled_guide(root, guide):
    lines = [
        json.dumps({"unit_id": s.unit_id, "name": s.name, "values": {}}, ensure_ascii=False)
        for s in load_submissions(root / SUBMISSIONS).submissions
    ]
    by_path, compiled = io.StringIO(), io.StringIO()
    stream_score(str(root / GUIDE), lines, by_path)
    stats = stream_score(guide, lines, compiled)
    assert stats.units == 5
    assert compiled.getvalue() == by_path.getvalue()
    with pytest.raises(TypeError, match="stream_score"):
        stream_score(42, lines, io.StringIO())  # type: ignore[arg-type]


def test_the_collector_pause_is_opt_out(root, guide, monkeypatch):
    batch = load_submissions(root / SUBMISSIONS)

    def refuse() -> None:
        raise AssertionError("gc.disable() called")

    monkeypatch.setattr(gc, "disable", refuse)
    result = score(guide, batch, pause_gc=False)
    assert len(result.units) == 5
    with pytest.raises(AssertionError, match=r"gc\.disable"):
        score(guide, batch)
