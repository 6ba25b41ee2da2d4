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
