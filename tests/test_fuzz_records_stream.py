"""Fuzzing audit records and the stream (issue 19), with time and memory bounds.

Like ``tests/test_fuzz.py``: bounded and deterministic (``FUZZ_SCALE`` scales it). Whatever
bytes a record holds, reading and replaying it raises only :class:`EmulationRulesError`; a
record re-digested after an edit replays to ``identical`` only when the edit changed nothing
the replay computes. Whatever lines come into ``stream_score``, each non-blank line gives one
JSON output line, and nothing but JSON is written. Each example stays under a time and a
memory bound, so a quadratic path or a blow-up fails the test instead of hanging it.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulation_rules import EmulationRulesError, load_ruleset, load_submissions, score
from emulation_rules.audit.records import (
    build_record,
    parse_record,
    record_bytes,
    record_digest,
    replay,
)
from emulation_rules.stream import stream_score

GUIDE = "rulesets/tinh-mau-stnmt-2022.yaml"
SUBS = "examples/tinh-mau-stnmt-2022/submissions.yaml"
SCALE = int(os.environ.get("FUZZ_SCALE", "1"))
FUZZ = settings(
    max_examples=60 * SCALE,
    deadline=None,
    derandomize=SCALE == 1,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: Bounds of one example: far above what a real record or line needs.
SECONDS = 20.0
MEBIBYTES = 200


@pytest.fixture(scope="module")
def record(root) -> dict[str, Any]:
    os.chdir(root)
    guide = load_ruleset(GUIDE)
    batch = load_submissions([SUBS])
    result = score(guide, batch.submissions, rejected=batch.rejected)
    return build_record(guide, batch.submissions, result, rejected_before=batch.rejected)


@FUZZ
@given(data=st.data())
def test_a_mutated_record_raises_only_documented_errors(record, bounded, data):
    body = bytearray(record_bytes(record))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(body) - 1))
        body[at] = data.draw(st.integers(0, 255))
    with bounded(SECONDS, MEBIBYTES):
        try:
            replay(parse_record(bytes(body)))
        except EmulationRulesError as error:
            problem = error
        else:
            problem = None
    assert problem is None or problem.issues or problem.message


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


_NEW_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.text(max_size=20),
    st.sampled_from(["1e999999", "", "0", "-1"]),
    st.builds(list),
    st.builds(dict),
)


@FUZZ
@given(choice=st.integers(0, 10**9), new=_NEW_VALUES)
def test_an_edited_and_redigested_record_replays_only_to_documented_outcomes(
    record, bounded, choice, new
):
    # an attacker can recompute the plain sha256 digest; replay must still not crash or hang
    edited = json.loads(record_bytes(record))
    leaves = [p for p, _ in _leaves(edited) if p and p[0] != "digest"]
    path = leaves[choice % len(leaves)]
    target = edited
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    edited["digest"] = record_digest(edited)
    with bounded(SECONDS, MEBIBYTES):
        try:
            replay(parse_record(json.dumps(edited, ensure_ascii=False)))
        except EmulationRulesError as error:
            problem = error
        else:
            problem = None
    assert problem is None or problem.issues or problem.message


@pytest.fixture(scope="module")
def lines(root) -> list[str]:
    os.chdir(root)
    batch = load_submissions([SUBS])
    return [
        json.dumps(
            {"cluster": "c", **s.model_dump(mode="json", exclude_none=True)}, ensure_ascii=False
        )
        for s in batch.submissions
    ]


@FUZZ
@given(data=st.data())
def test_any_stream_input_gives_one_json_line_per_line(lines, bounded, data):
    chosen = list(lines)
    for _ in range(data.draw(st.integers(0, 3))):
        index = data.draw(st.integers(0, len(chosen) - 1))
        line = chosen[index]
        at = data.draw(st.integers(0, max(0, len(line) - 1)))
        chosen[index] = line[:at] + data.draw(st.text(max_size=8)) + line[at + 1 :]
    chosen += data.draw(st.lists(st.text(max_size=40), max_size=3))
    chosen = [line.replace("\n", " ").replace("\r", " ") for line in chosen]
    out = io.StringIO()
    with bounded(SECONDS, MEBIBYTES):
        try:
            stream_score(GUIDE, chosen, out, marker=True)
        except EmulationRulesError as error:  # an input with no units at all
            problem = error
        else:
            problem = None
    if problem is not None:
        assert problem.issues
        return
    written = out.getvalue().split("\n")[:-1]  # JSON Lines end at "\n" only (not at U+0085)
    parsed = [json.loads(line) for line in written]
    assert "stream_end" in parsed[-1]
    assert parsed[-1]["stream_end"]["complete"] is True
    expected = sum(1 for line in chosen if line.strip())
    assert len(parsed) - 1 == expected
