"""Issue 14, the item rules of guide format v2, with the numbers of the Hưng Yên guide.

The guide (``../shared/guides/hungyen-cumkhoi-2021.txt``, Hướng dẫn của Hội đồng Thi đua -
Khen thưởng tỉnh Hưng Yên, 2021) gives the rules and their numbers in section V; its annex of
criteria (the items and their benchmarks "điểm chuẩn") is not in the document. The guides
below therefore model the items: the benchmarks (10, 20 points) and the units' plans and
results are modelled; the rules, the percentages and the caps are the guide's.

- V.1 (line 77): "lấy số thực hiện chia cho số kế hoạch rồi nhân với điểm chuẩn, nếu điểm đạt
  được cao hơn điểm chuẩn thì phần cao hơn chuyển sang điểm thưởng" → ``excess: bonus``.
- V.1 (line 77), for the "giảm" indicators (giảm tỷ lệ hộ nghèo, giảm tỷ suất sinh, …): "Lấy
  đăng ký kế hoạch đầu năm chia cho kết quả thực hiện trong năm rồi nhân với điểm chuẩn" →
  ``better: lower``; the guide's formula is undefined for a result of 0 → ``when_zero``.
- V.2.a (line 84): "Nếu vượt 1% so với kế hoạch thì được thưởng 1% điểm chuẩn của tiêu chí đó,
  nhưng không vượt quá 10% điểm chuẩn" → ``increment: {…, steps: whole}``.
- V.2.a (line 84): "Tổng số điểm thưởng các chỉ tiêu định lượng không quá 20 điểm" →
  ``shared_caps``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from emulation_rules import (
    RulesetError,
    Submission,
    check_ruleset,
    load_ruleset,
    score,
)
from emulation_rules.inputs.reviews import Override, Review
from emulation_rules.reports.explain import explain_unit

HEADER = """\
format: emulation-rules/v2
id: hungyen-mo-hinh
version: "1"
title: Khối thi đua mô hình theo Hướng dẫn Hưng Yên 2021
period: "2021"
"""


def guide(body: str, *, scale: int = 100, total: str = "may_exceed_scale: true") -> Any:
    text = HEADER + f"scale: {scale}\ntotal: {{{total}}}\n" + body
    return load_ruleset(text.encode("utf-8"), name="hungyen.yaml")


def unit(compiled: Any, **values: Any) -> Any:
    [result] = score(compiled, [Submission(unit_id="u", name="Đơn vị", values=values)]).units
    assert result.status == "scored", result.issues
    return result


def load_errors(body: str, *, scale: int = 100) -> list[tuple[str, str]]:
    text = HEADER + f"scale: {scale}\n" + body
    issues = check_ruleset(text.encode("utf-8"), name="hungyen.yaml")
    return [(i.code, i.message) for i in issues if i.severity == "error"]


# --------------------------------------------------------------------------------------------
# 1. Excess becomes bonus (Hưng Yên V.1, line 77)

EXCESS = """\
inputs:
  ke_hoach: {type: decimal, label: Số kế hoạch, min: 0, required: true}
  thuc_hien: {type: decimal, label: Số thực hiện, min: 0, required: true}
  ke_hoach_2: {type: decimal, label: Số kế hoạch chỉ tiêu 2, min: 0, required: true}
  thuc_hien_2: {type: decimal, label: Số thực hiện chỉ tiêu 2, min: 0, required: true}
criteria:
  - id: I
    title: Chỉ tiêu định lượng
    max: 100
    %s
    children:
      - id: I.1
        title: Chỉ tiêu 1 (thực hiện / kế hoạch × điểm chuẩn)
        max: 10
        proportional: {achieved: thuc_hien, target: ke_hoach%s}
      - id: I.2
        title: Chỉ tiêu 2
        max: 90
        proportional: {achieved: thuc_hien_2, target: ke_hoach_2%s}
"""


def excess_guide(caps: str = "note: không giới hạn", option: str = ", excess: bonus") -> Any:
    return guide(EXCESS % (caps, option, option))


def test_excess_above_the_benchmark_becomes_a_bonus_line_of_the_item() -> None:
    # V.1: result 112 of plan 100 on a benchmark of 10: 10 × 112 / 100 = 11,2 → 10 points and
    # 1,2 bonus; the other item exactly at plan.
    result = unit(excess_guide(), ke_hoach=100, thuc_hien=112, ke_hoach_2=50, thuc_hien_2=50)
    assert result.items["I.1"] == Decimal("11.2")
    assert result.total == Decimal("101.2")
    assert result.trace is not None
    item = result.trace.find("I.1")
    assert item is not None
    assert item.parts == (("proportional", Decimal("11.2")),)
    assert [(code, amount) for code, amount, _ in item.adjustments] == [
        ("cap_line", Decimal("-1.2")),
        ("excess_bonus", Decimal("1.2")),
    ]
    assert "phần vượt chuyển sang điểm thưởng" in item.rule


def test_v1_default_keeps_the_cap() -> None:
    result = unit(
        excess_guide(option=""), ke_hoach=100, thuc_hien=112, ke_hoach_2=50, thuc_hien_2=50
    )
    assert result.items["I.1"] == Decimal(10)
    assert result.trace is not None
    item = result.trace.find("I.1")
    assert item is not None
    assert [code for code, _, _ in item.adjustments] == ["cap_line"]


def test_below_the_plan_no_bonus() -> None:
    # 10 × 95 / 100 = 9,5: no excess, no line
    result = unit(excess_guide(), ke_hoach=100, thuc_hien=95, ke_hoach_2=50, thuc_hien_2=50)
    assert result.items["I.1"] == Decimal("9.5")
    assert result.trace is not None
    node = result.trace.find("I.1")
    assert node is not None
    assert node.adjustments == ()


def test_the_excess_counts_with_the_parents_bonuses() -> None:
    # caps.bonuses 2 of the parent: the excesses 1,2 (I.1: 10 × 112 / 100 = 11,2) and 1,8
    # (I.2: 90 × 91,8 / 90 = 91,8) sum to 3 → cut to 2; the items keep their 10 and 90 points.
    compiled = excess_guide("caps: {bonuses: 2}")
    result = unit(compiled, ke_hoach=100, thuc_hien=112, ke_hoach_2=90, thuc_hien_2=Decimal("91.8"))
    assert result.items["I.1"] == Decimal("11.2")
    assert result.items["I.2"] == Decimal("91.8")
    assert result.items["I"] == Decimal(102)
    assert result.trace is not None
    group = result.trace.find("I")
    assert group is not None
    assert group.adjustments == (("cap_bonuses", Decimal("-1.0"), "điểm cộng tối đa 2"),)


def test_the_excess_is_a_bonus_for_caps_adjustments_too() -> None:
    compiled = excess_guide("caps: {adjustments: 0.5}")
    result = unit(compiled, ke_hoach=100, thuc_hien=112, ke_hoach_2=90, thuc_hien_2=90)
    assert result.items["I"] == Decimal("100.5")


def test_an_agreed_score_moves_no_excess_to_bonus() -> None:
    # the reviewers agree 9 points for I.1 (the rule gave 11,2 = 10 + 1,2): the parent's bonus
    # cap of 1 then has only I.2's excess 1,8 to cut, and I.1 keeps its 9 points
    compiled = excess_guide("caps: {bonuses: 1}")
    review = Review(
        unit_id="u",
        stage="agreed",
        reviewer="Tổ thẩm định",
        at="2021-12-20",
        overrides=[Override(item="I.1", score=9, reason="Số liệu kiểm chứng khác")],
    )
    values = {"ke_hoach": 100, "thuc_hien": 112, "ke_hoach_2": 90, "thuc_hien_2": Decimal("91.8")}
    [result] = score(
        compiled, [Submission(unit_id="u", name="Đơn vị", values=values)], reviews=[review]
    ).units
    assert result.items["I.1"] == 9
    assert result.items["I"] == Decimal(100)  # 9 + 90 points + 1 of the 1,8 bonus


def test_the_explanation_names_the_bonus_line() -> None:
    compiled = excess_guide()
    result = unit(compiled, ke_hoach=100, thuc_hien=112, ke_hoach_2=50, thuc_hien_2=50)
    text = explain_unit(result, compiled)
    assert "Chạm mức tối đa 10 điểm: −1,2 điểm" in text
    assert "Phần vượt chuyển sang điểm thưởng: +1,2 điểm" in text


@pytest.mark.parametrize(
    ("extra", "found"),
    [
        ("kind: bonus", "'excess: bonus' needs a criterion of kind score, not bonus (I.1)"),
        ("cap_at_max: true", "'excess: bonus' cannot be combined with 'cap_at_max'"),
        ("rounding: {places: 2}", "'excess: bonus' cannot be combined with 'rounding'"),
        ("floor: 0", "'excess: bonus' cannot be combined with 'floor'"),
    ],
)
def test_excess_bonus_where_it_would_be_lost_is_a_load_error(extra: str, found: str) -> None:
    body = f"""\
inputs:
  a: {{type: decimal, label: Số thực hiện, required: true}}
  t: {{type: decimal, label: Số kế hoạch, required: true}}
criteria:
  - id: I
    title: Mục I
    max: 10
    children:
      - id: I.1
        title: Chỉ tiêu
        max: 10
        {extra}
        proportional: {{achieved: a, target: t, excess: bonus}}
"""
    errors = load_errors(body, scale=10)
    assert any(code == "invalid-value" and found in message for code, message in errors), errors


def test_a_v2_key_at_its_default_leaves_the_digest_unchanged() -> None:
    # the digest leaves out a v2 key at its default: a v1 guide keeps its digest
    body = EXCESS % ("note: không", "", "")
    v1 = load_ruleset((HEADER + "scale: 100\n" + body).encode(), name="a.yaml")
    v2 = load_ruleset(
        (
            HEADER
            + "scale: 100\n"
            + body.replace("target: ke_hoach}", "target: ke_hoach, excess: cap}")
        ).encode(),
        name="b.yaml",
    )
    assert v1.digest == v2.digest


def test_lint_knows_the_reach_of_the_excess() -> None:
    # results at most 110% of a plan of at least 100: the excess of a benchmark of 10 is at
    # most 1, so a bonus cap of 2 can never bind
    body = """\
inputs:
  ke_hoach: {type: decimal, label: Số kế hoạch, min: 100, required: true}
  thuc_hien: {type: decimal, label: Số thực hiện, min: 0, max: 110, required: true}
criteria:
  - id: I
    title: Chỉ tiêu định lượng
    max: 10
    caps: {bonuses: 2}
    children:
      - id: I.1
        title: Chỉ tiêu 1
        max: 10
        proportional: {achieved: thuc_hien, target: ke_hoach, excess: bonus}
"""
    issues = check_ruleset((HEADER + "scale: 10\n" + body).encode(), name="g.yaml")
    [warning] = [i for i in issues if i.code == "cap-exceeds-item"]
    assert "the bonuses of its children reach at most 1" in warning.message


def test_unknown_excess_value_is_refused() -> None:
    with pytest.raises(RulesetError):
        guide(EXCESS % ("note: không", ", excess: thuong", ", excess: thuong"))


# --------------------------------------------------------------------------------------------
# 3. Lower is better (Hưng Yên V.1, line 77: the "giảm" indicators)

LOWER = """\
inputs:
  ho_ngheo_ke_hoach: {type: percent, label: Tỷ lệ hộ nghèo đăng ký kế hoạch đầu năm, required: true}
  ho_ngheo_thuc_hien: {type: percent, label: Tỷ lệ hộ nghèo thực hiện trong năm, required: true}
criteria:
  - id: I
    title: Chỉ tiêu giảm
    max: 10
    children:
      - id: I.1
        title: Giảm tỷ lệ hộ nghèo (kế hoạch / thực hiện × điểm chuẩn)
        max: 10
        proportional: {achieved: ho_ngheo_thuc_hien, target: ho_ngheo_ke_hoach, better: lower%s}
"""


def lower_guide(option: str = ", when_zero: max, excess: bonus") -> Any:
    return guide(LOWER % option, scale=10)


@pytest.mark.parametrize(
    ("result", "points"),
    [
        # a poverty rate planned at 3,5% and brought down to 2,8%: 10 × 3,5 / 2,8 = 12,5
        ("2.8", "12.5"),
        # exactly the plan: the benchmark
        ("3.5", "10"),
        # 4,2% (worse than planned): 10 × 3,5 / 4,2 = 8,33…
        ("4.2", str(Decimal(10) * Decimal("3.5") / Decimal("4.2"))),
        # no poor household left: the formula is undefined, when_zero: max gives the cap
        ("0", "10"),
    ],
)
def test_lower_is_better_divides_the_plan_by_the_result(result: str, points: str) -> None:
    scored = unit(lower_guide(), ho_ngheo_ke_hoach="3.5", ho_ngheo_thuc_hien=result)
    assert scored.items["I.1"] == Decimal(points)


def test_a_result_of_zero_is_traced_with_its_rule() -> None:
    compiled = lower_guide()
    scored = unit(compiled, ho_ngheo_ke_hoach="3.5", ho_ngheo_thuc_hien="0")
    assert scored.trace is not None
    item = scored.trace.find("I.1")
    assert item is not None
    assert item.adjustments == (
        ("when_zero", Decimal(0), "kết quả thực hiện bằng 0: tính điểm tối đa"),
    )
    text = explain_unit(scored, compiled)
    assert "Kết quả thực hiện bằng 0: tính điểm tối đa (không chia được cho 0)" in text


def test_the_explanation_names_the_plan_and_the_result() -> None:
    compiled = lower_guide()
    scored = unit(compiled, ho_ngheo_ke_hoach="3.5", ho_ngheo_thuc_hien="2.8")
    text = explain_unit(scored, compiled)
    assert (
        "× («Tỷ lệ hộ nghèo đăng ký kế hoạch đầu năm») / («Tỷ lệ hộ nghèo thực hiện trong năm"
        "»)) (chỉ tiêu giảm: kế hoạch chia cho kết quả thực hiện); kết quả thực hiện bằng 0: "
        "tính điểm tối đa"
    ) in text
    assert "Phần vượt chuyển sang điểm thưởng: +2,5 điểm" in text


def test_when_zero_zero_and_error() -> None:
    zero = unit(lower_guide(", when_zero: zero"), ho_ngheo_ke_hoach="3.5", ho_ngheo_thuc_hien=0)
    assert zero.items["I.1"] == 0
    compiled = lower_guide(", when_zero: error")
    [failed] = score(
        compiled,
        [
            Submission(
                unit_id="u", name="U", values={"ho_ngheo_ke_hoach": "3.5", "ho_ngheo_thuc_hien": 0}
            )
        ],
    ).units
    assert failed.status == "error"
    assert [(i.code, i.message) for i in failed.issues] == [
        ("eval-div-zero", "the result 'ho_ngheo_thuc_hien' is 0")
    ]


def test_better_lower_needs_a_rule_for_zero() -> None:
    errors = load_errors(LOWER % "", scale=10)
    assert [code for code, _ in errors] == ["missing-field"]
    assert "say what a result of 0 scores with 'when_zero' (I.1)" in errors[0][1]


def test_when_zero_for_a_target_of_zero_when_higher_is_better() -> None:
    body = LOWER.replace(", better: lower%s", ", when_zero: zero")
    scored = unit(guide(body, scale=10), ho_ngheo_ke_hoach=0, ho_ngheo_thuc_hien="2")
    assert scored.items["I.1"] == 0
    assert scored.trace is not None
    item = scored.trace.find("I.1")
    assert item is not None
    assert item.adjustments[0][2] == "chỉ tiêu bằng 0: 0 điểm"


def test_lint_bounds_the_plan_over_the_result() -> None:
    # plans at most 5%, results at least 2,5%: 10 × 5 / 2,5 = 20, an excess of at most 10
    body = """\
inputs:
  ke_hoach: {type: percent, label: Kế hoạch, min: 0, max: 5, required: true}
  thuc_hien: {type: percent, label: Thực hiện, min: 2.5, max: 100, required: true}
criteria:
  - id: I
    title: Chỉ tiêu giảm
    max: 10
    caps: {bonuses: 12}
    children:
      - id: I.1
        title: Giảm tỷ lệ hộ nghèo
        max: 10
        proportional: {achieved: thuc_hien, target: ke_hoach, better: lower, when_zero: max, excess: bonus}
"""
    issues = check_ruleset((HEADER + "scale: 10\n" + body).encode(), name="g.yaml")
    [warning] = [i for i in issues if i.code == "cap-exceeds-item"]
    assert "the bonuses of its children reach at most 10" in warning.message


# --------------------------------------------------------------------------------------------
# 9. Whole or partial steps (Hưng Yên V.2.a, line 84)

STEPS = """\
inputs:
  ty_le_dat_ke_hoach: {type: decimal, label: Tỷ lệ %% đạt kế hoạch, min: 0, required: true}
criteria:
  - id: I
    title: Chỉ tiêu 1
    max: 20
    children:
      - {id: I.0, title: Kết quả chỉ tiêu 1, max: 20, points: 20}
      - id: I.b
        title: Vượt 1%% so với kế hoạch thưởng 1%% điểm chuẩn, không vượt quá 10%% điểm chuẩn
        kind: bonus
        increment: {of: ty_le_dat_ke_hoach, above: 100, every: 1, points: 0.2, cap: 2%s}
"""


@pytest.mark.parametrize(
    ("rate", "whole", "partial"),
    [
        # benchmark 20 (modelled): 1% of it, 0,2, for each 1% above the plan, at most 10% = 2
        ("100", "0", "0"),
        ("100.5", "0", "0.2"),  # half a step: not "vượt 1%" yet
        ("101", "0.2", "0.4"),
        ("103.7", "0.6", "0.8"),
        ("110", "2", "2"),  # ten whole steps: exactly 10% of the benchmark
        ("125", "2", "2"),  # capped at 10%
    ],
)
def test_whole_steps_count_only_full_steps(rate: str, whole: str, partial: str) -> None:
    for option, expected in ((", steps: whole", whole), ("", partial)):
        scored = unit(guide(STEPS % option, scale=20), ty_le_dat_ke_hoach=rate)
        assert scored.items["I.b"] == Decimal(expected), (option, rate)


def test_whole_steps_in_the_rule_and_the_explanation() -> None:
    compiled = guide(STEPS % ", steps: whole", scale=20)
    scored = unit(compiled, ty_le_dat_ke_hoach="103.7")
    assert scored.trace is not None
    node = scored.trace.find("I.b")
    assert node is not None
    assert node.rule == "trên 100: cứ đủ 1 cộng 0.2, không tính bước chưa đủ, tối đa 2"
    assert "Cách tính: trên 100: cứ đủ 1 cộng 0,2, không tính bước chưa đủ, tối đa 2" in (
        explain_unit(scored, compiled)
    )


def test_lint_counts_whole_steps() -> None:
    # at most 105%: five whole steps of 0,2 = 1 (six partial ones = 1,2): a cap of 1,1 never
    # binds with whole steps, and does with partial ones
    body = (STEPS % ", steps: whole").replace("min: 0,", "min: 0, max: 105,")
    body = body.replace("cap: 2", "cap: 1.1")
    issues = check_ruleset((HEADER + "scale: 20\n" + body).encode(), name="g.yaml")
    [warning] = [i for i in issues if i.code == "cap-exceeds-item"]
    assert "the line reaches at most 0.2 × the steps up to the maximum 5 = 1" in warning.message
    partial = body.replace(", steps: whole", "")
    issues = check_ruleset((HEADER + "scale: 20\n" + partial).encode(), name="g.yaml")
    assert not [i for i in issues if i.code == "cap-exceeds-item"]


# --------------------------------------------------------------------------------------------
# 2. One cap over items that are not siblings (Hưng Yên V.2.a, line 84)

POOL = """\
children_sum: "off"
inputs:
  ty_le_1: {type: decimal, label: Tỷ lệ %% đạt kế hoạch chỉ tiêu 1, min: 0, required: true}
  ty_le_2: {type: decimal, label: Tỷ lệ %% đạt kế hoạch chỉ tiêu 2, min: 0, required: true}
  ty_le_3: {type: decimal, label: Tỷ lệ %% đạt kế hoạch chỉ tiêu 3, min: 0, required: true}
  sang_tao: {type: bool, label: Có cách làm sáng tạo, missing: false}
criteria:
  - id: I
    title: Nội dung I
    max: 200
    children:
%s
      - id: I.b
        title: Thực hiện sáng tạo, hiệu quả nổi bật trong phong trào thi đua
        kind: bonus
        points: 5
        when: sang_tao
  - id: II
    title: Nội dung II
    max: 100
    children:
%s
shared_caps:
  - id: thuong-dinh-luong
    title: Tổng số điểm thưởng các chỉ tiêu định lượng
    of: [%s]
    max: 20
"""

ITEM = """\
      - id: %s
        title: Chỉ tiêu định lượng %s (điểm chuẩn 100)
        max: 100
        children:
          - {id: %s.0, title: Kết quả, max: 100, points: 100}
          - id: %s.b
            title: Vượt 1%% so với kế hoạch thưởng 1%% điểm chuẩn, không vượt quá 10%% điểm chuẩn
            kind: bonus
            increment: {of: ty_le_%s, above: 100, every: 1, points: 1, cap: 10, steps: whole}
"""


def pool_guide(first: str, second: str, members: str) -> Any:
    return guide((POOL % (first, second, members)).replace("%%", "%"), scale=300)


def item(ident: str, number: str) -> str:
    return ITEM % (ident, number, ident, ident, number)


def test_a_shared_cap_over_items_of_two_sections_cuts_on_the_total() -> None:
    # three quantitative items with a (modelled) benchmark of 100: 1 point per whole 1% above
    # the plan, at most 10; 110%, 108%, 107% give 10 + 8 + 7 = 25 > 20: 5 cut on the total
    compiled = pool_guide(item("I.1", "1") + item("I.2", "2"), item("II.1", "3"), "I.1, I.2, II.1")
    scored = unit(compiled, ty_le_1="110", ty_le_2="108.5", ty_le_3="107", sang_tao=True)
    assert scored.items["I"] == Decimal(223)  # 200 + 10 + 8 + the 5 for creativity, not pooled
    assert scored.items["II"] == Decimal(107)
    assert scored.total == Decimal(325)
    assert scored.trace is not None
    assert scored.trace.adjustments == (
        (
            "shared_cap",
            Decimal(-5),
            "Tổng số điểm thưởng các chỉ tiêu định lượng: tổng điểm thưởng tối đa 20",
        ),
    )
    text = explain_unit(scored, compiled)
    assert (
        "Tổng số điểm thưởng các chỉ tiêu định lượng: tổng điểm thưởng tối đa 20 điểm "
        "(trần chung): −5 điểm"
    ) in text


def test_a_shared_cap_cuts_on_the_lowest_criterion_holding_its_items() -> None:
    compiled = pool_guide(
        item("I.1", "1") + item("I.2", "2") + item("I.3", "3"), item("II.1", "3"), "I.1, I.2, I.3"
    )
    scored = unit(compiled, ty_le_1="110", ty_le_2="108.5", ty_le_3="107")
    assert scored.trace is not None
    group = scored.trace.find("I")
    assert group is not None
    assert [(code, amount) for code, amount, _ in group.adjustments] == [
        ("shared_cap", Decimal(-5))
    ]
    assert scored.items["I"] == Decimal(320)
    assert scored.trace.adjustments == ()
    # under the cap: nothing is cut
    below = unit(compiled, ty_le_1="105", ty_le_2="104", ty_le_3="100.5")
    assert below.items["I"] == Decimal(309)


def test_a_shared_cap_counts_the_bonuses_after_the_caps_below() -> None:
    # item I.1 alone may add 3 at most: 10 + 8 → 3 + 8 = 11, under 20
    first = item("I.1", "1").replace(
        "        children:\n", "        caps: {bonuses: 3}\n        children:\n"
    )
    compiled = pool_guide(first + item("I.2", "2"), item("II.1", "3"), "I.1, I.2, II.1")
    scored = unit(compiled, ty_le_1="110", ty_le_2="108", ty_le_3="107")
    assert scored.total == Decimal(318)  # 300 + 3 + 8 + 7
    assert scored.trace is not None
    assert scored.trace.adjustments == ()


@pytest.mark.parametrize(
    ("members", "code", "found"),
    [
        (
            "I.1, I.9",
            "unknown-criterion",
            "shared cap 'thuong-dinh-luong' names 'I.9', which is not a criterion",
        ),
        ("I, I.1", "invalid-value", "names 'I.1' and 'I', one inside the other"),
        ("I.1, I.1.b", "invalid-value", "names 'I.1.b' and 'I.1', one inside the other"),
    ],
)
def test_shared_cap_errors(members: str, code: str, found: str) -> None:
    text = (
        HEADER
        + "scale: 300\n"
        + (POOL % (item("I.1", "1") + item("I.2", "2"), item("II.1", "3"), members)).replace(
            "%%", "%"
        )
    )
    issues = check_ruleset(text.encode(), name="g.yaml")
    assert any(i.code == code and found in i.message for i in issues), issues


def test_two_shared_caps_may_not_count_one_bonus() -> None:
    text = (
        HEADER
        + "scale: 300\n"
        + (POOL % (item("I.1", "1") + item("I.2", "2"), item("II.1", "3"), "I.1, II.1")).replace(
            "%%", "%"
        )
    )
    text += """\
  - id: thuong-khac
    title: Điểm thưởng khác
    of: [I.1.b, I.2]
    max: 5
"""
    issues = [i for i in check_ruleset(text.encode(), name="g.yaml") if i.severity == "error"]
    assert [(i.code, i.message) for i in issues] == [
        (
            "invalid-value",
            (
                "shared caps 'thuong-khac' and 'thuong-dinh-luong' both count 'I.1.b': a bonus "
                "or deduction may be under one shared cap only"
            ),
        )
    ]


def test_a_shared_cap_may_not_cut_a_choice_of_one_case() -> None:
    text = (
        HEADER
        + "scale: 300\n"
        + (POOL % (item("I.1", "1") + item("I.2", "2"), item("II.1", "3"), "I.1, I.2")).replace(
            "%%", "%"
        )
    )
    text = text.replace(
        "    max: 200\n    children:", "    max: 200\n    combine: highest\n    children:"
    )
    issues = [i for i in check_ruleset(text.encode(), name="g.yaml") if i.severity == "error"]
    assert any(
        "meet under 'I', which counts one case only (combine: highest)" in i.message for i in issues
    ), issues


def test_lint_warns_of_a_shared_cap_that_never_binds() -> None:
    text = (
        HEADER
        + "scale: 300\n"
        + (POOL % (item("I.1", "1"), item("II.1", "3"), "I.1, II.1")).replace("%%", "%")
    )
    text = text.replace("max: 20\n", "max: 25\n")
    [warning] = [
        i for i in check_ruleset(text.encode(), name="g.yaml") if i.code == "cap-exceeds-item"
    ]
    assert warning.message == (
        "the shared cap 25 of 'thuong-dinh-luong' can never bind: the bonuses of its criteria "
        "reach at most 20"
    )


def test_a_v1_guide_without_shared_caps_keeps_its_digest() -> None:
    body = POOL.split("shared_caps:", maxsplit=1)[0] % (item("I.1", "1"), item("II.1", "3"))
    plain = load_ruleset(
        (HEADER + "scale: 300\n" + body.replace("%%", "%")).encode(), name="a.yaml"
    )
    empty = load_ruleset(
        (HEADER + "scale: 300\n" + body.replace("%%", "%") + "shared_caps: []\n").encode(),
        name="b.yaml",
    )
    assert plain.digest == empty.digest
