"""Every construct of the model has one row in each pass's table, and a section in the docs.

A construct (``met``, ``bands``, …) is compiled (``compiler.constructs.COMPILERS``), put in
words (``compiler.constructs.RULE_WORDS``: the rule the trace and the explanation show),
scored by the interpreter (``engine.evaluator.SCORERS``), written by the code generator
(``engine.codegen.EMITTERS``), bounded by the lint (``compiler.lint.REACH``) and documented
(a ``## `name``` section of ``docs/constructs.md``). Adding a construct to
``guide.model.CONSTRUCTS`` makes :func:`test_every_construct_has_every_row` name each row
still missing.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

import pytest

from emulation_rules.compiler import constructs
from emulation_rules.engine import codegen, evaluator
from emulation_rules.guide.model import CONSTRUCTS

#: The module, not the function ``compiler.lint`` its package exports under the same name.
lint = importlib.import_module("emulation_rules.compiler.lint")
DOCS = Path(__file__).resolve().parent.parent / "docs" / "constructs.md"

#: The pass → (module, name of its table keyed by construct name).
TABLES: dict[str, tuple[ModuleType, str]] = {
    "compile": (constructs, "COMPILERS"),
    "rule words": (constructs, "RULE_WORDS"),
    "score": (evaluator, "SCORERS"),
    "emit": (codegen, "EMITTERS"),
    "lint reach": (lint, "REACH"),
}


def documented(text: str) -> set[str]:
    """The constructs with a section (a ``## `name``` heading, words may follow)."""
    return set(re.findall(r"^## `([a-z_]+)`", text, flags=re.MULTILINE))


def missing_rows(docs_text: str | None = None) -> dict[str, list[str]]:
    """For each table (and the docs), the constructs of the model it has no row for."""
    missing: dict[str, list[str]] = {}
    for name, (module, attribute) in TABLES.items():
        table = getattr(module, attribute)
        absent = [c for c in CONSTRUCTS if c not in table]
        if absent:
            missing[name] = absent
    text = DOCS.read_text(encoding="utf-8") if docs_text is None else docs_text
    absent = [c for c in CONSTRUCTS if c not in documented(text)]
    if absent:
        missing["docs/constructs.md"] = absent
    return missing


def test_every_construct_has_every_row() -> None:
    assert missing_rows() == {}


@pytest.mark.parametrize("name", TABLES)
def test_no_row_for_a_construct_the_model_does_not_have(name: str) -> None:
    module, attribute = TABLES[name]
    assert set(getattr(module, attribute)) <= set(CONSTRUCTS)


@pytest.mark.parametrize("name", TABLES)
def test_a_removed_row_is_named(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module, attribute = TABLES[name]
    table: Any = getattr(module, attribute)
    monkeypatch.setattr(
        module, attribute, MappingProxyType({k: v for k, v in table.items() if k != "lookup"})
    )
    assert missing_rows() == {name: ["lookup"]}


def test_a_removed_section_is_named() -> None:
    text = DOCS.read_text(encoding="utf-8")
    without = re.sub(r"^## `lookup`", "## lookup", text, flags=re.MULTILINE)
    assert missing_rows(without) == {"docs/constructs.md": ["lookup"]}


def test_a_new_construct_names_every_missing_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(globals(), "CONSTRUCTS", (*CONSTRUCTS, "quota"))
    assert missing_rows() == {name: ["quota"] for name in [*TABLES, "docs/constructs.md"]}
