"""docs/embedding.md is the developer's start: its Python blocks run, in order, as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "embedding.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_page_has_its_examples():
    assert len(_blocks()) >= 4


def test_every_python_block_runs_in_order(monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {"__name__": "embedding_doc"}
    for block in _blocks():
        exec(compile(block, str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    out = capsys.readouterr().out
    assert "tx-cai-lay" in out  # the ranked units were printed
    assert "number-format" in out  # the error example printed its code
    assert "number-format /units/0/values/c1_ty_le_thu_gom" in out  # the body's pointer
