"""Shared fixtures: build small guides from YAML text and score units against them."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
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


#: The modules whose tests assert the English texts of the command line (written before the
#: catalogs of issue 15): they run with ``EMULATION_RULES_LANG=en``, what ``--lang en`` prints.
#: The Vietnamese default and ``--lang`` are tested in ``test_messages.py``.
ENGLISH_MODULES = frozenset(
    {
        "test_audit",
        "test_cli",
        "test_composition",
        "test_excel",
        "test_guidetests",
        "test_hostile_io",
        "test_reference_replay",
        "test_report",
        "test_scaffold",
        "test_shipped",
    }
)


@pytest.fixture(autouse=True)
def _english_for_english_assertions(request: pytest.FixtureRequest, monkeypatch) -> None:
    if request.module.__name__.rpartition(".")[2] in ENGLISH_MODULES:
        monkeypatch.setenv("EMULATION_RULES_LANG", "en")
    else:
        monkeypatch.delenv("EMULATION_RULES_LANG", raising=False)
