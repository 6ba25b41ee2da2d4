"""Shared fixtures: build small guides from YAML text and score units against them."""

from __future__ import annotations

import textwrap
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from emulation_rules import CompiledRuleset, Submission, UnitScore, evaluate, load_ruleset

ROOT = Path(__file__).resolve().parent.parent

HEADER = """\
format: emulation-rules/v1
id: thu-nghiem
version: "1"
title: Hướng dẫn thử nghiệm
period: "2024"
"""


def build_guide(body: str, *, scale: str | int = 100, header: str = HEADER) -> bytes:
    """Guide YAML bytes: the standard header, ``scale``, then ``body`` (dedented)."""
    return (header + f"scale: {scale}\n" + textwrap.dedent(body)).encode("utf-8")


@pytest.fixture
def make_guide() -> Callable[..., CompiledRuleset]:
    def make(body: str, *, scale: str | int = 100) -> CompiledRuleset:
        return load_ruleset(build_guide(body, scale=scale), name="guide.yaml")

    return make


@pytest.fixture
def run_unit() -> Callable[..., UnitScore]:
    def run(guide: CompiledRuleset, unit_id: str = "u1", **values: Any) -> UnitScore:
        return evaluate(guide, Submission(unit_id=unit_id, name=f"Đơn vị {unit_id}", values=values))

    return run


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@contextmanager
def _bounded(seconds: float, mebibytes: int) -> Iterator[None]:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.1f} s (bound {seconds} s)"
    assert peak < mebibytes * 2**20, f"peak {peak / 2**20:.0f} MiB (bound {mebibytes} MiB)"


@pytest.fixture(scope="session")
def bounded() -> Callable[[float, int], AbstractContextManager[None]]:
    """``with bounded(seconds, mebibytes):`` fails the test past a time or memory bound.

    For the fuzz targets: a quadratic path or a blow-up fails one example instead of hanging
    the run. Memory is Python's own allocations (tracemalloc).
    """
    return _bounded


@pytest.fixture(autouse=True)
def _vietnamese_by_default(monkeypatch) -> None:
    """Every test sees the default language, Vietnamese, whatever the caller's environment.

    The English texts are asserted with ``--lang en`` or ``use_language("en")`` where a test
    wants them (issue 15: the tests assert what users read by default).
    """
    monkeypatch.delenv("EMULATION_RULES_LANG", raising=False)
