"""Issue 14: the format policy. The engine reads v1 and v2; a v2 key in a v1 guide is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import Field

from emulation_rules import check_ruleset, load_ruleset
from emulation_rules._support.formats import FrozenModel
from emulation_rules.authoring.schemas import ruleset_schema
from emulation_rules.guide import versions
from emulation_rules.guide.model import FORMAT_VERSIONS, Ruleset

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(p for p in (ROOT / "rulesets").glob("*.yaml") if not p.stem.endswith(".tests"))


class _Inner(FrozenModel):
    plain: int = 0
    fresh: Annotated[int | None, Field(json_schema_extra={"since": "v2"})] = None


class _Outer(FrozenModel):
    items: tuple[_Inner, ...] = ()
    named: dict[str, _Inner] = Field(default_factory=dict)
    newer: Annotated[_Inner | None, Field(json_schema_extra={"since": "v2"})] = None


def test_the_walk_finds_every_v2_key_set_explicitly_and_only_those():
    model = _Outer.model_validate(
        {
            "items": [{"plain": 1}, {"fresh": 0}],
            "named": {"a": {"fresh": None}, "b": {"plain": 2}},
            "newer": {"fresh": 3},  # one finding for 'newer', not one more inside it
        }
    )
    assert list(versions.v2_keys(model)) == [
        ("items", 1, "fresh"),
        # 'named.a.fresh' is set to its default: it says what v1 says, so it needs no v2 (a
        # guide dumped from its model writes every key)
        ("newer",),
    ]
    assert list(versions.v2_keys(_Outer.model_validate({"items": [{"plain": 1}]}))) == []


def test_the_engine_reads_v1_and_v2_and_the_schema_accepts_both():
    assert FORMAT_VERSIONS == ("emulation-rules/v1", "emulation-rules/v2")
    assert ruleset_schema()["properties"]["format"]["enum"] == list(FORMAT_VERSIONS)


GUIDE = """\
format: {format}
id: g
version: "1"
title: Hướng dẫn mẫu
period: "2024"
scale: 10
criteria:
  - {{id: TC1, title: Tiêu chuẩn 1, max: 10}}
"""


@pytest.mark.parametrize("fmt", FORMAT_VERSIONS)
def test_a_guide_without_v2_keys_loads_under_either_format(tmp_path, fmt):
    path = tmp_path / "g.yaml"
    path.write_text(GUIDE.format(format=fmt), encoding="utf-8")
    assert load_ruleset(path).ruleset.format == fmt


def test_an_unsupported_format_names_both_versions(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text(GUIDE.format(format="emulation-rules/v9"), encoding="utf-8")
    [issue] = check_ruleset(path)
    assert issue.code == "unsupported-format"
    assert "'emulation-rules/v1' or 'emulation-rules/v2'" in issue.message


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_the_shipped_v1_guides_use_no_v2_key(path):
    guide = load_ruleset(path)
    if guide.ruleset.format == "emulation-rules/v1":
        assert list(versions.v2_keys(guide.ruleset)) == []


def test_format_issues_name_the_key_and_the_fix():
    ruleset = Ruleset.model_validate(json.loads(json.dumps({
        "format": "emulation-rules/v1", "id": "g", "version": "1", "title": "t",
        "period": "2024", "scale": 10, "criteria": [{"id": "TC1", "title": "t", "max": 10}],
    })))  # fmt: skip
    assert versions.format_issues(ruleset, "g.yaml") == []
