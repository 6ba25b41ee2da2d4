"""Issue 14, "also wrong today": each bug with a test that failed before its fix."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from emulation_rules import check_ruleset, load_ruleset
from emulation_rules.cli import run
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
    # words where a number belongs: not a number, nor a named value (format v2) of constants
    assert codes == ["named-value", "unknown-field"]


# --------------------------------------------------------------------------------------------
# A band worth 55 under max: 50 no longer passes check --strict.

BAND_55 = """\
format: emulation-rules/v1
id: g
version: "1"
title: Hướng dẫn mẫu
period: "2021"
scale: 50
inputs:
  ty_le: {type: percent, label: Tỷ lệ hoàn thành kế hoạch, required: true}
  xep_loai: {type: enum, values: [A, B], label: Xếp loại, required: true}
criteria:
  - id: I.1
    title: Tỷ lệ hoàn thành kế hoạch
    max: 40
    bands:
      of: ty_le
      bands:
        - {from: 100, points: 44}
        - {below: 100, points: 40}
  - id: I.2
    title: Tiêu chí định tính (loại A chấm tối đa theo điểm chuẩn, Hưng Yên 2021 V.1.b)
    max: 10
    lookup: {of: xep_loai, points: {A: 10, B: 8.5}}
"""


def test_a_band_above_the_maximum_fails_check_strict(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text(BAND_55, encoding="utf-8")
    warnings = [(i.code, i.line, i.rule_id) for i in check_ruleset(path)]
    assert warnings == [("points-above-max", 17, "I.1")]  # 44 > 40; 40 = 40 and I.2 are fine
    assert run(["check", "--strict", str(path)], io.StringIO(), io.StringIO()) == 1
    path.write_text(BAND_55.replace("points: 44", "points: 40"), encoding="utf-8")
    assert check_ruleset(path) == []
    assert run(["check", "--strict", str(path)], io.StringIO(), io.StringIO()) == 0


def test_every_written_level_above_the_maximum_is_reported(tmp_path):
    path = tmp_path / "g.yaml"
    text = BAND_55.replace("points: 44", "points: 40").replace("A: 10,", "A: 12,")
    path.write_text(text, encoding="utf-8")
    [issue] = check_ruleset(path)
    assert (issue.code, issue.rule_id, issue.path[-3:]) == (
        "points-above-max",
        "I.2",
        ("lookup", "points", "A"),
    )
    assert issue.severity == "warning"
