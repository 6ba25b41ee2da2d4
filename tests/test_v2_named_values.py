"""Guide format v2, issue 14 rule 4: named values (a constant's name or an expression over
constants for ``max``, points and caps), evaluated exactly at load, named in the trace.

HY = the Hưng Yên 2021 cluster guide (``../shared/guides/hungyen-cumkhoi-2021.txt``): part V.2.a
(line 84) "Nếu vượt 1% so với kế hoạch thì được thưởng 1% điểm chuẩn của tiêu chí đó, nhưng
không vượt quá 10% điểm chuẩn"; part V.1.b (line 80) "Loại A chấm điểm tối đa theo điểm chuẩn;
loại (B, C, D) các khối thi đua tự thống nhất". The benchmark S = 15 of one quantitative item
is modelled (the guide's annex of criteria is not in the document).
"""

from __future__ import annotations

import pickle
from decimal import Decimal as D

import pytest

from emulation_rules import RulesetError, Submission, check_ruleset, evaluate, load_ruleset
from emulation_rules.guide.model import NamedValue, Ruleset

HEADER = """\
format: emulation-rules/v2
id: hung-yen-thu
version: "1"
title: Khối thi đua thử (Hưng Yên 2021)
period: "2021"
scale: 100
"""

GUIDE = (
    HEADER
    + """\
constants:
  S: 15                 # điểm chuẩn của chỉ tiêu (modelled)
  THUONG_1: 0.01 * S    # vượt 1% → thưởng 1% điểm chuẩn
  TRAN: 0.1 * S         # không vượt quá 10% điểm chuẩn
  LOAI_B: 0.85 * S
inputs:
  ty_le: {type: percent, label: Tỷ lệ thực hiện kế hoạch, missing: 0}
  loai: {type: enum, label: Loại, values: [A, B, C, D], missing: D}
  so_lan: {type: count, label: Số lần nhắc nhở, missing: 0}
criteria:
  - id: I
    title: Chỉ tiêu định lượng
    max: S
    proportional: {achieved: ty_le, target: "100"}
    children:
      - id: I.t
        title: Thưởng vượt kế hoạch
        kind: bonus
        increment: {of: ty_le, above: 100, every: 1, points: THUONG_1, cap: 0.1 * S}
  - id: II
    title: Tiêu chí định tính
    max: S
    lookup:
      of: loai
      points: {A: S, B: LOAI_B, C: 0.6 * S, D: 0}
  - id: III
    title: Phần còn lại
    max: 100 - 2 * S
    caps: {deductions: 0.2 * S}
    children:
      - id: III.tru
        title: Nhắc nhở
        kind: deduction
        per_event: {count: so_lan, points: -TRAN, cap: 4 * TRAN}
"""
)


def _unit(guide, **values):
    return evaluate(guide, Submission(unit_id="u1", name="Đơn vị 1", values=values))


def _find(node, ident):
    if node.id == ident:
        return node
    for child in node.children:
        found = _find(child, ident)
        if found is not None:
            return found
    return None


@pytest.fixture(scope="module")
def guide():
    return load_ruleset(GUIDE.encode(), name="hy.yaml")


def test_constants_from_constants_are_exact_at_load(guide) -> None:
    constants = guide.ruleset.constants
    assert constants["THUONG_1"] == D("0.15")
    assert constants["TRAN"] == D("1.5")
    assert constants["LOAI_B"] == D("12.75")
    assert isinstance(constants["TRAN"], NamedValue)
    assert constants["TRAN"].source == "0.1 * S"
    # the evaluators read plain decimals
    assert all(type(v) is D for v in guide.constants.values())
    assert guide.nodes["III"].max == D(70)
    assert guide.issues == ()


def test_hy_bonus_of_1_percent_of_the_benchmark_capped_at_10_percent(guide) -> None:
    # HY V.2.a: 103% of plan → 3 steps… (the partial first step counts: issue 9), 0.15 each
    unit = _unit(guide, ty_le=D(103), loai="A")
    assert unit.items["I.t"] == D("0.60")
    # 120% of plan: 21 steps × 0.15 = 3.15, capped at 10% of S = 1.5, with the cap named
    unit = _unit(guide, ty_le=D(120), loai="A")
    assert unit.items["I.t"] == D("1.5")
    bonus = _find(unit.trace, "I.t")
    assert bonus.adjustments == (("cap_line", D("-1.65"), "tối đa 0.1 * S = 1.5"),)
    assert bonus.rule == (
        "trên 100: THUONG_1 = 0.15, cứ thêm 1 cộng THUONG_1 = 0.15, tối đa 0.1 * S = 1.5"
    )


def test_hy_grades_as_shares_of_the_benchmark(guide) -> None:
    # HY V.1.b: grade A = the benchmark S; grade B = 85% of S (the cluster's choice, modelled)
    assert _unit(guide, loai="A").items["II"] == D(15)
    assert _unit(guide, loai="B").items["II"] == D("12.75")
    assert _unit(guide, loai="C").items["II"] == D("9.0")
    rule = _find(_unit(guide, loai="B").trace, "II").rule
    assert "B → LOAI_B = 12.75" in rule
    assert "C → 0.6 * S = 9.0" in rule


def test_named_caps_of_a_group_and_of_a_line(guide) -> None:
    # 3 reminders × −1.5 = −4.5 (under the line's cap 4 × TRAN = 6); the group's deductions
    # are capped at 0.2 × S = 3
    unit = _unit(guide, so_lan=3, loai="A")
    assert unit.items["III.tru"] == D("-4.5")
    group = _find(unit.trace, "III")
    assert ("cap_deductions", D("1.5"), "điểm trừ tối đa 0.2 * S = 3.0") in group.adjustments
    assert unit.items["III"] == D("67.0")


def test_a_named_value_round_trips_through_dump_and_pickle(guide) -> None:
    dumped = guide.ruleset.model_dump(mode="json", by_alias=True)
    assert dumped["constants"]["LOAI_B"] == "0.85 * S"
    assert dumped["criteria"][1]["lookup"]["points"]["B"] == "LOAI_B"
    assert Ruleset.model_validate(dumped) == guide.ruleset
    cap = guide.ruleset.criteria[0].children[0].increment.cap
    again = pickle.loads(pickle.dumps(cap))  # noqa: S301 - our own bytes
    assert (again, again.source) == (D("1.5"), "0.1 * S")


def test_lint_still_bounds_the_points() -> None:
    # the lint reads the values of the names: a cap of 2 × S above the item's maximum S, and a
    # cap of 10 × S that 3 events of S each never reach
    text = HEADER + (
        "constants: {S: 10}\ninputs:\n  x: {type: count, label: X, max: 3, missing: 0}\n"
        "criteria:\n"
        "  - {id: a, title: A, max: S, per_event: {count: x, points: 1, cap: 2 * S}}\n"
        "  - {id: b, title: B, max: 90, per_event: {count: x, points: S, cap: 9 * S}}\n"
    )
    lint = [i for i in check_ruleset(text.encode(), name="g.yaml") if i.code == "cap-exceeds-item"]
    messages = sorted(i.message for i in lint)
    assert messages == [
        "the cap 20 of 'a' is larger than its maximum 10",
        "the cap 90 of 'b' can never bind: the line reaches at most 10 × the count's maximum 3 = 30",
    ]


@pytest.mark.parametrize(
    ("constants", "value", "words"),
    [
        ("{S: 10}", "SS", "'SS' is not a constant of the guide"),
        ("{S: 10}", "S / 3", "has no exact decimal value"),
        ("{S: 10}", "S / (S - 10)", "divides by 0"),
        ("{A: B, B: A}", "A", "defined in a circle"),
        ("{S: 10}", "S ** 2", "names of constants, numbers"),
        ("{S: 10}", "score('x')", "names of constants, numbers"),
    ],
)
def test_broken_named_values_are_named_value_errors(constants: str, value: str, words: str) -> None:
    text = HEADER + f'constants: {constants}\ncriteria:\n  - {{id: a, title: A, max: "{value}"}}\n'
    with pytest.raises(RulesetError) as caught:
        load_ruleset(text.encode(), name="g.yaml")
    issues = [i for i in caught.value.issues if i.code == "named-value"]
    assert issues, caught.value.issues
    assert words in issues[0].message
    assert issues[0].path[:2] in (("criteria", 0), ("constants", "A"))


def test_v1_numbers_are_unchanged() -> None:
    # a v1 number written as text keeps its own errors, and "1e5" is not a name
    text = HEADER + 'criteria:\n  - {id: a, title: A, max: "1e5"}\n'
    codes = {i.code for i in check_ruleset(text.encode(), name="g.yaml")}
    assert "named-value" not in codes
    assert "number-format" in codes
