"""Issue 14, "also wrong today": each bug with a test that failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulation_rules import check_ruleset, load_ruleset
from emulation_rules.errors import RulesetSchemaError

ROOT = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------------------------
# An unknown key no longer stops the later phases: a file with three mistakes, one run.

THREE_MISTAKES = """\
format: emulation-rules/v1
id: g
version: "1"
title: Hướng dẫn mẫu (nội dung I, II của Phụ lục, Hưng Yên 2021)
period: "2021"
scale: 100
inputs:
  so_sang_kien: {type: count, label: Số sáng kiến, missing: 0}
criteria:
  - id: I
    title: Nội dung I
    max: 60
    diem_toi_da: 60
  - id: II
    title: Nội dung II
    max: 30
    formula: so_sang_kein * 5
"""


def test_a_file_with_three_mistakes_reports_all_three_in_one_run(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text(THREE_MISTAKES, encoding="utf-8")
    found = [(i.code, i.line) for i in check_ruleset(path) if i.severity == "error"]
    assert found == [
        ("scale-mismatch", 6),  # 60 + 30 is not 100
        ("unknown-field", 13),  # the Vietnamese key, ignored for the later phases
        ("expr-unknown-name", 17),  # the misspelt input
    ]
    with pytest.raises(RulesetSchemaError) as caught:  # still not loadable
        load_ruleset(path)
    assert [i.code for i in caught.value.issues if i.severity == "error"] == [
        "scale-mismatch",
        "unknown-field",
        "expr-unknown-name",
    ]


def test_an_unknown_key_with_another_schema_error_stops_as_before(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text(THREE_MISTAKES.replace("max: 30", "max: ba mươi"), encoding="utf-8")
    codes = sorted(i.code for i in check_ruleset(path))
    assert codes == ["number-format", "unknown-field"]
