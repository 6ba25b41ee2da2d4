"""Thread safety (issue 7): one compiled guide scored from many threads gives the serial result.

A :class:`CompiledRuleset` is documented as immutable and reusable across threads. These tests
score the shipped example clusters from 8 threads at once, all released together by a barrier
and with a short interpreter switch interval so that the threads interleave inside the engine,
and compare every result's full JSON (with the trace) with the result of scoring serially.
Some threads also change their own decimal context first: the engine must not see it.
"""

from __future__ import annotations

import decimal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from emulation_rules import (
    ClusterData,
    CompiledRuleset,
    SubmissionBatch,
    evaluate,
    load_cluster,
    load_ruleset,
    load_submissions,
    score,
)

ROOT = Path(__file__).resolve().parent.parent
THREADS = 8
ROUNDS = 2


@dataclass(frozen=True)
class Example:
    guide: CompiledRuleset
    batch: SubmissionBatch
    cluster: ClusterData | None

    def score_json(self) -> str:
        result = score(
            self.guide, self.batch.submissions, rejected=self.batch.rejected, cluster=self.cluster
        )
        return result.to_json(trace=True)


def _example(guide: str, folder: str, *, cluster: bool = False) -> Example:
    example = ROOT / "examples" / folder
    return Example(
        load_ruleset(ROOT / "rulesets" / guide),
        load_submissions([example / "submissions.yaml"]),
        load_cluster(example / "cluster.yaml") if cluster else None,
    )


@pytest.fixture(scope="module")
def tiengiang() -> Example:
    return _example("tiengiang-stnmt-2022.yaml", "tiengiang-2022")


@pytest.fixture(scope="module")
def congan() -> Example:
    """The police cluster: Article 6 targets, rank_points, awards with a vote (cluster file)."""
    return _example("congan-cum347-2024.yaml", "congan-cum347", cluster=True)


@pytest.fixture(autouse=True)
def interleave() -> Iterator[None]:
    """Switch threads every 10 µs instead of every 5 ms, so that they really interleave."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def in_threads(work: Callable[[int], list[Any]]) -> list[list[Any]]:
    """Run ``work(index)`` in THREADS threads released at the same moment."""
    barrier = threading.Barrier(THREADS)

    def run(index: int) -> list[Any]:
        barrier.wait(timeout=60)
        if index % 2:
            # a caller's own decimal context (thread-local) must not reach the engine
            decimal.getcontext().prec = 4
            decimal.getcontext().rounding = decimal.ROUND_DOWN
        return work(index)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


@pytest.mark.parametrize("name", ["tiengiang", "congan"])
def test_one_guide_scored_from_eight_threads_equals_serial(name, request):
    example: Example = request.getfixturevalue(name)
    serial = example.score_json()
    results = in_threads(lambda _index: [example.score_json() for _ in range(ROUNDS)])
    assert len(results) == THREADS
    for outputs in results:
        assert len(outputs) == ROUNDS
        for output in outputs:
            assert output == serial


def test_two_guides_scored_from_interleaved_threads(tiengiang, congan):
    """Threads scoring different guides at the same time do not disturb each other."""
    expected = {0: tiengiang.score_json(), 1: congan.score_json()}
    examples = {0: tiengiang, 1: congan}
    results = in_threads(lambda index: [examples[index % 2].score_json() for _ in range(2)])
    for index, outputs in enumerate(results):
        assert outputs == [expected[index % 2]] * 2


def test_units_evaluated_one_by_one_from_threads(tiengiang):
    """``evaluate`` of each unit from every thread gives the serial unit scores."""
    submissions = tiengiang.batch.submissions
    serial = [evaluate(tiengiang.guide, s) for s in submissions]

    def work(index: int) -> list[Any]:
        # each thread walks the units in its own order
        order = submissions[index % len(submissions) :] + submissions[: index % len(submissions)]
        scores = {s.unit_id: evaluate(tiengiang.guide, s) for s in order}
        return [scores[s.unit_id] for s in submissions]

    for outputs in in_threads(work):
        assert outputs == serial
