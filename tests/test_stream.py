"""Streaming JSON Lines: the same results as scoring the files, in input order, with jobs."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from emulation_rules import load_ruleset, load_submissions, score
from emulation_rules._support.canonical import canonical_value
from emulation_rules._support.yaml import parse_yaml
from emulation_rules.stream import stream_score

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "rulesets/tiengiang-stnmt-2022.yaml"
SUBS = ROOT / "examples/tiengiang-2022/submissions.yaml"


def _units():
    document, _ = parse_yaml(SUBS.read_text(encoding="utf-8"), str(SUBS))
    return document.data["units"]


def _lines(clusters: int) -> list[str]:
    out = []
    for index in range(clusters):
        for unit in _units():
            data = {**unit, "unit_id": f"{unit['unit_id']}-{index}", "cluster": f"c{index}"}
            out.append(json.dumps(data, ensure_ascii=False, default=str))
    return out


@pytest.mark.parametrize("jobs", [1, 2])
def test_stream_equals_batch_scoring_per_cluster(jobs):
    buffer = io.StringIO()
    stats = stream_score(str(GUIDE), _lines(3), buffer, jobs=jobs)
    assert stats.units == 15
    assert stats.clusters == 3
    streamed = [json.loads(line) for line in buffer.getvalue().splitlines()]
    guide = load_ruleset(GUIDE)
    expected = score(guide, load_submissions([SUBS]).submissions).to_dict()["units"]
    first_cluster = {
        u["unit_id"].removesuffix("-0"): u for u in streamed if u["unit_id"].endswith("-0")
    }
    for unit in expected:
        got = first_cluster[unit["unit_id"]]
        assert (got["total"], got["rank"], got["items"]) == (
            unit["total"],
            unit["rank"],
            unit["items"],
        )
    # input order is kept
    assert [u["unit_id"] for u in streamed] == [json.loads(line)["unit_id"] for line in _lines(3)]


def test_lines_without_cluster_have_no_rank_and_bad_lines_are_rejected():
    lines = [
        json.dumps({k: v for k, v in u.items() if k != "cluster"}, default=str) for u in _units()
    ]
    lines.insert(2, "{not json")
    buffer = io.StringIO()
    stats = stream_score(str(GUIDE), lines, buffer)
    results = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert stats.units == 6
    assert stats.rejected == 1
    assert results[2]["status"] == "rejected"
    assert results[2]["issues"][0]["line"] == 3
    assert all(r.get("rank") is None for r in results)


@pytest.mark.parametrize("trace", [False, True])
def test_each_line_is_canonical_json(trace):
    lines = [*_lines(1), "not json", json.dumps({"unit_id": "x", "values": "wrong"})]
    buffer = io.StringIO()
    stream_score(str(GUIDE), lines, buffer, trace=trace)
    written = buffer.getvalue().splitlines()
    assert len(written) == len(lines)
    for line in written:  # decimals and dates as text, keys sorted: re-canonicalising is a no-op
        data = json.loads(line)
        assert json.dumps(canonical_value(data), ensure_ascii=False, sort_keys=True) == line
    assert trace == ("trace" in json.loads(written[0]))


def test_a_number_too_long_for_python_rejects_its_unit_only():
    big = json.dumps({"unit_id": "big", "name": "B", "values": {"c33_so_ho_so_tiep_nhan": 1}})
    big = big.replace(": 1}", ": " + "9" * 5000 + "}")
    lines = [*_lines(1), big]
    buffer = io.StringIO()
    stats = stream_score(str(GUIDE), lines, buffer)
    written = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert stats.rejected == 1
    assert len(written) == len(lines)
    refused = written[-1]
    assert refused["unit_id"] == "big"
    assert "out-of-range" in [i["code"] for i in refused["issues"]]


def test_a_key_given_twice_in_a_line_rejects_that_unit():
    lines = _lines(1)
    first = lines[0]
    unit_id = json.loads(first)["unit_id"]
    lines[0] = first[:-1] + ', "name": "again"}'
    buffer = io.StringIO()
    stats = stream_score(str(GUIDE), lines, buffer)
    written = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert stats.rejected == 1
    assert written[0]["status"] == "rejected"
    assert written[0]["unit_id"] == unit_id
    assert [i["code"] for i in written[0]["issues"]] == ["duplicate-key"]
    assert "'name' appears twice" in written[0]["issues"][0]["message"]
    assert all(u["status"] != "rejected" for u in written[1:])


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_unit_id_given_again_in_a_later_cluster_is_rejected(jobs):
    lines = _lines(3)
    again = json.loads(lines[0])
    again["cluster"] = "c2"
    lines[12] = json.dumps({**again, "name": "later"}, ensure_ascii=False)  # in cluster c2
    buffer = io.StringIO()
    stats = stream_score(str(GUIDE), lines, buffer, jobs=jobs)
    written = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert stats.rejected == 1
    assert written[0]["status"] != "rejected"  # the first one given is scored
    assert written[12]["status"] == "rejected"
    issue = written[12]["issues"][0]
    assert issue["code"] == "duplicate-unit"
    assert issue["unit_id"] == again["unit_id"]
    assert "first on line 1" in issue["message"]
    assert [u["status"] == "rejected" for u in written].count(True) == 1


def test_a_unit_id_twice_in_one_cluster_rejects_both_like_files():
    lines = _lines(1)
    lines[1] = json.dumps({**json.loads(lines[1]), "unit_id": json.loads(lines[0])["unit_id"]})
    buffer = io.StringIO()
    stream_score(str(GUIDE), lines, buffer)
    written = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [u["status"] for u in written[:2]] == ["rejected", "rejected"]
    assert {i["code"] for u in written[:2] for i in u["issues"]} == {"duplicate-unit"}


def test_units_without_cluster_keep_the_first_of_a_repeated_id():
    units = [json.loads(line) for line in _lines(1)]
    for unit in units:
        del unit["cluster"]
    units.append({**units[0], "unit_id": units[0]["unit_id"].upper()})  # ids ignore case
    buffer = io.StringIO()
    stream_score(str(GUIDE), [json.dumps(u) for u in units], buffer)
    written = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [u["status"] == "rejected" for u in written] == [False] * 5 + [True]
    assert written[-1]["issues"][0]["code"] == "duplicate-unit"


def test_the_end_marker_says_where_the_run_ended():
    lines = ["", *_lines(2), ""]
    buffer = io.StringIO()
    stats = stream_score(str(GUIDE), lines, buffer, marker=True)
    written = buffer.getvalue().splitlines()
    assert len(written) == 11
    assert json.loads(written[-1]) == {
        "stream_end": {
            "complete": True,
            "input_lines": 12,
            "reason": None,
            "resume_after_line": 12,
            "units": 10,
        }
    }
    assert stats.complete
    assert stats.clusters == 2


def test_skipped_lines_are_not_scored_but_their_ids_count():
    lines = _lines(2)
    lines.append(json.dumps({**json.loads(lines[0]), "cluster": "c9"}))
    buffer = io.StringIO()
    stats = stream_score(str(GUIDE), lines, buffer, skip_lines=5, units_before=5, marker=True)
    written = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [u.get("unit_id") for u in written[:-1]] == [json.loads(x)["unit_id"] for x in lines[5:]]
    assert written[-2]["issues"][0]["code"] == "duplicate-unit"
    assert stats.units == 6
    assert written[-1]["stream_end"]["units"] == 11
