"""Guide tests files: loading, running, failures with traces, coverage, and the command line."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from emulation_rules import RulesetError
from emulation_rules._support.i18n import use_language
from emulation_rules.authoring import guidetests
from emulation_rules.authoring.guidetests import (
    check_suite,
    coverage,
    load_suite,
    run_case,
    run_suite,
)
from emulation_rules.cli import run

ROOT = Path(__file__).resolve().parent.parent
TG = ROOT / "rulesets" / "tiengiang-stnmt-2022.yaml"

GUIDE = """\
format: emulation-rules/v1
id: vi-du
version: "1"
title: Hướng dẫn thử
period: "2024"
scale: 10
inputs:
  so_bao_cao_tre_han: {type: count, label: Số báo cáo trễ hạn, missing: 0}
  ty_le: {type: percent, label: Tỷ lệ thu gom, required: true}
criteria:
  - id: TC1
    title: Báo cáo
    max: 5
    caps: {deductions: 2}
    children:
      - {id: "1.1", title: Mỗi báo cáo trễ trừ 1, kind: deduction,
         per_event: {count: so_bao_cao_tre_han, points: -1}}
  - id: TC2
    title: Thu gom
    max: 5
    bands:
      of: ty_le
      bands:
        - {from: 90, points: 5}
      otherwise: 2
"""


def write(folder: Path, tests: str, guide: str = GUIDE) -> Path:
    (folder / "g.yaml").write_text(guide, encoding="utf-8")
    path = folder / "g.tests.yaml"
    path.write_text(tests, encoding="utf-8")
    return path


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


PASSING = """\
guide: g.yaml
defaults: {ty_le: 95}
cases:
  - name: đạt
    units: [{unit_id: u1}]
    expect:
      units:
        u1: {total: 10, rank: 1, status: scored, items: {TC1: 5, "1.1": 0}}
  - name: trừ chạm mức
    units:
      - {unit_id: u2, values: {so_bao_cao_tre_han: 3, ty_le: 80}}
    expect:
      units:
        u2: {total: 5, items: {"1.1": -3, TC1: 3, TC2: 2}}
"""


def test_tests_path_is_beside_the_guide():
    assert guidetests.tests_path_for("rulesets/x.yaml") == Path("rulesets/x.tests.yaml")
    assert guidetests.tests_path_for("rulesets/x.tests.yaml") == Path("rulesets/x.tests.yaml")


def test_passing_cases_and_coverage(tmp_path):
    suite = load_suite(write(tmp_path, PASSING))
    results = run_suite(suite)
    assert [r.passed for r in results] == [True, True]
    report = coverage(suite, [r.result for r in results if r.result])
    assert report.complete, report.render()
    assert report.total == 3  # 1.1 fires, TC1's deduction cap is reached, TC2 varies


def test_coverage_reports_a_level_of_bands_that_no_case_reaches(tmp_path):
    """docs/tutorial.md: the report lists 'a level of `bands` never seen' (issue 14)."""
    guide = GUIDE.replace(
        "        - {from: 90, points: 5}\n",
        "        - {from: 90, points: 5, label: Từ 90%}\n        - {from: 70, below: 90, points: 3}\n",
    )

    def report(tests: str, text: str = guide):
        suite = load_suite(write(tmp_path, tests, text))
        return coverage(suite, [r.result for r in run_suite(suite) if r.result])

    # 95 reaches 'Từ 90%', 80 reaches [70, 90): both levels seen
    assert report(PASSING.replace("TC2: 2", "TC2: 3")).complete
    # 95 and 60 (otherwise): the values vary, but no unit is in [70, 90)
    found = report(PASSING.replace("ty_le: 80}", "ty_le: 60}"))
    (gap,) = found.gaps
    assert (gap.id, gap.missing) == ("TC2", ("no unit reaches the level [70, 90)",))
    assert found.exercised == found.total - 1
    # 75 and 80: both in [70, 90), no unit reaches 'Từ 90%' (a labelled level by its label)
    found = report(PASSING.replace("{ty_le: 95}", "{ty_le: 75}"))
    assert [g.missing for g in found.gaps] == [
        (
            "every unit gets the same value from its rule",
            "no unit reaches the level 'Từ 90%'",
        )
    ]
    # two levels with the same points are told apart by the value they read
    same = guide.replace("points: 3}", "points: 5}")
    found = report(PASSING.replace("ty_le: 80}", "ty_le: 60}"), same)
    assert [g.missing for g in found.gaps] == [("no unit reaches the level [70, 90)",)]


def test_a_failing_case_shows_expected_got_and_the_trace(tmp_path):
    failing = PASSING.replace(
        'u2: {total: 5, items: {"1.1": -3, TC1: 3', 'u2: {total: 5, items: {"1.1": -3, TC1: 2'
    )
    path = write(tmp_path, failing)
    suite = load_suite(path)
    result = run_case(suite, 1)
    assert not result.passed
    (mismatch,) = result.mismatches
    assert (mismatch.unit_id, mismatch.what, mismatch.expected, mismatch.got) == (
        "u2",
        "item TC1",
        2,
        3,
    )
    assert mismatch.issue.code == "test-failed"
    assert (mismatch.issue.line, mismatch.issue.column) == (14, 48)
    assert mismatch.issue.message == "case 'trừ chạm mức': unit 'u2': item TC1: expected 2, got 3"
    lines = result.render(suite)
    assert lines[0] == (
        f"{path}:14:48: test-failed: trường hợp 'trừ chạm mức': đơn vị 'u2': mục TC1: cần 2, được 3"
    )
    with use_language("en"):
        assert result.render(suite)[0] == f"{path}:14:48: test-failed: {mismatch.issue.message}"
    text = "\n".join(lines)
    assert "TC1  Báo cáo = 3 / 5 điểm" in text
    assert "Điểm trừ tối đa 2 điểm: điều chỉnh +1 điểm" in text
    assert "1.1  Mỗi báo cáo trễ trừ 1 = \u22123 điểm" in text  # the differing item's children too
    assert "Trừ 1 điểm × 3 trường hợp = \u22123 điểm" in text
    assert "Số liệu: Số báo cáo trễ hạn = 3" in text


def test_the_command_runs_tests_and_exits_1_on_failure(tmp_path):
    path = write(tmp_path, PASSING.replace("total: 10", "total: 9.5"))
    code, out, _ = cli("test", str(tmp_path / "g.yaml"), "--coverage")
    assert code == 1
    assert "SAI   đạt" in out
    assert "tổng điểm: cần 9.5, được 10" in out
    assert "Tổng điểm = 10 điểm" in out
    assert "TOTAL" not in out
    assert "2 trường hợp: 1 đạt, 1 sai" in out
    assert "độ phủ: 3 trên 3 phần của hướng dẫn đã được kiểm thử" in out
    code, out, _ = cli("test", str(tmp_path / "g.yaml"), "--coverage", "--lang", "en")
    assert "FAIL  đạt" in out
    assert "total: expected 9.5, got 10" in out
    assert "2 case(s): 1 passed, 1 failed" in out
    assert "coverage: 3 of 3 parts of the guide exercised" in out
    code, out, _ = cli("test", str(path), "--format", "json")
    assert code == 1
    [report] = json.loads(out)
    assert [c["passed"] for c in report["cases"]] == [False, True]
    assert report["cases"][0]["failures"][0]["what"] == "total"


def test_a_guide_without_tests_file(tmp_path):
    (tmp_path / "g.yaml").write_text(GUIDE, encoding="utf-8")
    code, _, err = cli("test", str(tmp_path / "g.yaml"))
    assert code == 1
    assert "file-not-found" in err
    assert "g.tests.yaml" in err


def test_unknown_names_in_expectations_are_located(tmp_path):
    path = write(
        tmp_path,
        PASSING.replace('"1.1": 0}', '"1.2": 0}').replace("status: scored", "status: xong"),
    )
    with pytest.raises(RulesetError) as caught:
        load_suite(path)
    rendered = [i.render() for i in caught.value.issues]
    assert any("invalid-value: 'xong' is not allowed" in r for r in rendered), rendered
    issues = check_suite(path)
    assert issues
    assert all(i.source == str(path) for i in issues)


def test_unknown_criterion_in_items_gets_a_suggestion(tmp_path):
    path = write(tmp_path, PASSING.replace('"1.1": 0}', '"1.2": 0}'))
    (issue,) = check_suite(path)
    assert issue.code == "unknown-criterion"
    assert (issue.line, issue.column) == (8, 66)
    assert issue.hint == "did you mean '1.1'?"


def test_a_rejected_unit_fails_the_case_unless_expected(tmp_path):
    tests = """\
guide: g.yaml
cases:
  - name: sai dữ liệu
    units: [{unit_id: u1, values: {ty_le: "95,5"}}]
    expect: {units: {}}
  - name: sai dữ liệu, được mong đợi
    units: [{unit_id: u1, values: {ty_le: "95,5"}}]
    expect: {rejected: [u1]}
"""
    suite = load_suite(write(tmp_path, tests))
    first, second = run_suite(suite)
    assert not first.passed
    assert "rejected: " in first.mismatches[0].issue.message
    assert "number-format" in first.mismatches[0].issue.message
    assert second.passed


def test_null_removes_a_default_and_defaults_from_a_submission(tmp_path):
    (tmp_path / "bai-nop.yaml").write_text(
        'ruleset: vi-du\nruleset_version: "1"\nunits:\n'
        "  - {unit_id: mau, name: Mẫu, values: {ty_le: 91, so_bao_cao_tre_han: 1}}\n",
        encoding="utf-8",
    )
    tests = """\
guide: g.yaml
defaults_from: {submissions: bai-nop.yaml, unit: mau}
cases:
  - name: từ đơn vị mẫu
    units:
      - {unit_id: a}
      - {unit_id: b, values: {so_bao_cao_tre_han: null}}
      - {unit_id: c, values: {ty_le: null}}
    expect:
      units:
        a: {total: 9}
        b: {total: 10}
      rejected: [c]
"""
    suite = load_suite(write(tmp_path, tests))
    (result,) = run_suite(suite)
    assert result.passed, result.render(suite)
    bad = write(tmp_path, tests.replace("unit: mau", "unit: khong-co"))
    with pytest.raises(RulesetError) as caught:
        load_suite(bad)
    assert "has no unit 'khong-co'" in str(caught.value)


def test_check_command_checks_tests_files(tmp_path):
    path = write(tmp_path, PASSING)
    code, out, _ = cli("check", str(path))
    assert code == 0
    assert out.strip().endswith(": hợp lệ")
    write(tmp_path, PASSING.replace("guide: g.yaml", "guide: khong-co.yaml"))
    code, out, _ = cli("check", str(path))
    assert code == 1
    assert "file-not-found" in out


def test_shipped_tiengiang_suite_fails_loudly_when_the_guide_changes(tmp_path):
    # a copy of the guide with the a1 deductions cap changed: the a1 case fails and says why
    guide = TG.read_text(encoding="utf-8").replace(
        'caps: {deductions: 1.5}            # "Tổng điểm trừ của mục a1',
        'caps: {deductions: 2}            # "Tổng điểm trừ của mục a1',
    )
    assert guide != TG.read_text(encoding="utf-8")
    folder = tmp_path / "rulesets"
    folder.mkdir()
    (folder / TG.name).write_text(guide, encoding="utf-8")
    shutil.copy(guidetests.tests_path_for(TG), folder)
    examples = tmp_path / "examples" / "tiengiang-2022"
    examples.mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "tiengiang-2022" / "submissions.yaml", examples)
    suite = load_suite(guidetests.tests_path_for(folder / TG.name))
    failed = [r for r in run_suite(suite) if not r.passed]
    assert {r.name for r in failed} == {
        "Năm phòng TN&MT cấp huyện của bộ hồ sơ mẫu",
        "a. Đất đai: mọi dòng trừ chạm mức tối đa, điểm cộng vẫn được tính",
    }
    text = "\n".join(failed[1].render(suite))
    assert "mục a1: cần 1.5, được 1" in text
    assert "a1  Triển khai kịp thời" in text  # the trace of the differing item follows


def test_wrong_inline_units_and_cluster_facts_fail_their_case_with_located_issues(tmp_path):
    tests = """\
guide: g.yaml
cases:
  - name: sai khóa
    units: [{unit_id: u1, valuess: {ty_le: 95}}]
    expect: {units: {}}
  - name: sai dữ liệu cụm
    units: [{unit_id: u2, values: {ty_le: 95}}]
    cluster: {members: 0}
    expect: {}
"""
    path = write(tmp_path, tests)
    suite = load_suite(path)
    first, second = run_suite(suite)
    (mismatch,) = first.mismatches
    assert f"{path}:4:27: unknown-field: unknown field 'valuess'" in mismatch.issue.message
    assert "(did you mean 'values'?)" in mismatch.issue.message
    assert second.result is None
    (mismatch,) = second.mismatches
    assert mismatch.issue.message.startswith("case 'sai dữ liệu cụm': cannot be run: ")
    assert f"{path}:8:24: invalid-value" in mismatch.issue.message


def test_every_kind_of_unknown_name_in_expectations(tmp_path):
    tests = PASSING.replace(
        'u1: {total: 10, rank: 1, status: scored, items: {TC1: 5, "1.1": 0}}',
        "u1: {items: {TC1x: 5}, not_applicable: [TC8], awards: [co], "
        "not_classified: [cong], classification: Giỏi}",
    ).replace("u2: {total: 5,", "u2: {awards: [bang],")
    issues = check_suite(write(tmp_path, tests + "      awards: {ky-niem: []}\n"))
    found = [(i.code, i.message.split(",")[0]) for i in issues]
    assert found == [
        ("unknown-criterion", "the expectations name 'TC1x'"),
        ("unknown-criterion", "the expectations name 'TC8'"),
        ("unknown-criterion", "the expectations name 'co'"),
        ("unknown-criterion", "the expectations name 'cong'"),
        ("invalid-value", "the expectations name 'Giỏi'"),
        ("unknown-criterion", "the expectations name 'bang'"),
        ("unknown-criterion", "the expectations name 'ky-niem'"),
    ], found
    assert "not a criterion of vi-du" in issues[0].message
    assert "not an award of vi-du" in issues[2].message
    assert "not a 'not_classified' gate of vi-du" in issues[3].message
    assert "not a classification label of vi-du" in issues[4].message
    assert issues[0].hint == "did you mean 'TC1'?"
