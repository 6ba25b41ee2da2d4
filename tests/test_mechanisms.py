"""Every per-unit scoring mechanism of domain.md §4, with the real numbers of real guides.

TG = the Tiền Giang DONRE 2022 benchmark table; CA = the police "Vì An ninh Tổ quốc" Article 6;
CA347 = the police cluster 347 criteria tree. Each test names its mechanism number.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from emulation_rules import RulesetError, Submission, score
from emulation_rules.engine.evaluator import evaluate_values

# --------------------------------------------------------------------------------------------
# Structure and totals


def test_1_tree_of_any_depth_parent_is_sum_of_children(make_guide, run_unit):
    # CA347 shape: I. 700 → 1. 200 → 1.1 50 → 1.1.1 20 + 1.1.2 30 (scaled down to 4 levels)
    guide = make_guide(
        """
        inputs:
          dat_1_1_1: {type: bool, label: Đạt 1.1.1, missing: false}
        criteria:
          - id: I
            title: Thực hiện nhiệm vụ chuyên môn
            max: 70
            children:
              - id: I.1
                title: Công tác bảo vệ an ninh quốc gia
                max: 50
                children:
                  - id: I.1.1
                    title: Nắm tình hình
                    max: 20
                    children:
                      - {id: I.1.1.a, title: Báo cáo, max: 12, met: dat_1_1_1}
                      - {id: I.1.1.b, title: Tham mưu, max: 8}
                  - {id: I.1.2, title: Đấu tranh, max: 30}
              - {id: I.2, title: Phòng chống tội phạm, max: 20}
          - {id: II, title: Xây dựng lực lượng, max: 30}
        """
    )
    unit = run_unit(guide, dat_1_1_1=False)
    assert unit.items["I.1.1"] == 8
    assert unit.items["I.1"] == 38
    assert unit.items["I"] == 58
    assert unit.total == 88
    assert run_unit(guide, dat_1_1_1=True).total == 100


def test_1_children_that_do_not_add_up_are_an_error_with_line(make_guide):
    with pytest.raises(RulesetError) as caught:
        make_guide(
            """
            criteria:
              - id: TC1
                title: Tiêu chuẩn 1
                max: 80
                children:
                  - {id: a, title: Đất đai, max: 30}
                  - {id: b, title: Nước, max: 15}
              - {id: TC2, title: Tiêu chuẩn 2, max: 20}
            """
        )
    issues = [i for i in caught.value.issues if i.code == "sum-mismatch"]
    assert len(issues) == 1
    assert issues[0].line == 11  # the 'max: 80' line (6 header lines, a blank, 4 more)
    assert "45" in issues[0].message
    assert "80" in issues[0].message


def test_2_top_level_maxima_must_add_up_to_the_scale(make_guide):
    with pytest.raises(RulesetError) as caught:
        make_guide(
            """
            criteria:
              - {id: TC1, title: Tiêu chuẩn 1, max: 80}
              - {id: TC2, title: Tiêu chuẩn 2, max: 10}
            """,
            scale=100,
        )
    assert [i.code for i in caught.value.issues] == ["scale-mismatch"]


TG_A7 = """
total: {may_exceed_scale: true}
inputs:
  a72_thong_ke_thieu: {type: count, label: Số trường hợp thống kê thiếu, missing: 0}
  a73_khong_van_ban: {type: bool, label: Không có văn bản tham mưu, missing: false}
  a74_khong_kiem_tra: {type: bool, label: Không kiểm tra đất công, missing: false}
  a76_giai_phap: {type: count, label: Số giải pháp quản lý đất công tốt, missing: 0}
criteria:
  - id: a7
    title: Thống kê, quản lý đất công
    max: 3
    caps: {deductions: 1.5}       # "không liên quan đến điểm cộng"
    children:
      - id: a.7.2
        title: Mỗi trường hợp thống kê thiếu trừ 0,2 điểm
        kind: deduction
        per_event: {count: a72_thong_ke_thieu, points: -0.2}
      - id: a.7.3
        title: Không có văn bản tham mưu, chỉ đạo
        kind: deduction
        points: -0.5
        when: a73_khong_van_ban
      - id: a.7.4
        title: Không tổ chức kiểm tra
        kind: deduction
        points: -0.5
        when: a74_khong_kiem_tra
      - id: a.7.6
        title: Mỗi giải pháp quản lý đất công tốt cộng 1 điểm
        kind: bonus
        per_event: {count: a76_giai_phap, points: 1}
"""


def test_3_benchmark_plus_bonus_minus_deduction_may_exceed_the_scale(make_guide, run_unit):
    guide = make_guide(TG_A7, scale=3)
    assert run_unit(guide).total == 3  # benchmark granted by default
    assert run_unit(guide, a72_thong_ke_thieu=2).total == D("2.6")
    unit = run_unit(guide, a76_giai_phap=3)  # +1 per solution, uncapped (TG a7.6)
    assert unit.total == 6
    assert unit.percent == 200


def test_4_capped_model_total_may_not_exceed_the_item_maximum(make_guide, run_unit):
    # CA: flexible ± points, criticised −3, commended +3; the total may not exceed the maximum
    guide = make_guide(
        """
        inputs:
          bi_phe_binh: {type: bool, label: Bị phê bình, missing: false}
          duoc_khen: {type: bool, label: Được khen, missing: false}
        criteria:
          - id: "7"
            title: Điểm linh hoạt
            max: 10
            cap_at_max: true
            children:
              - {id: "7.1", title: Bị phê bình, kind: deduction, points: -3, when: bi_phe_binh}
              - {id: "7.2", title: Được khen, kind: bonus, points: 3, when: duoc_khen}
        """,
        scale=10,
    )
    assert run_unit(guide, duoc_khen=True).items["7"] == 10
    assert run_unit(guide, bi_phe_binh=True).items["7"] == 7
    assert run_unit(guide, bi_phe_binh=True, duoc_khen=True).items["7"] == 10
    trace = run_unit(guide, duoc_khen=True).trace
    assert trace is not None
    node = trace.find("7")
    assert node is not None
    assert ("cap_at_max", D(-3), "không vượt quá 10") in node.adjustments


CA_TARGET = """
inputs:
  ket_qua: {type: decimal, label: Kết quả đạt được, required: true}
  chi_tieu: {type: decimal, label: Chỉ tiêu được giao, missing: not_applicable}
criteria:
  - id: "1"
    title: Chỉ tiêu định lượng có giao chỉ tiêu
    max: 10
    proportional: {achieved: ket_qua, target: chi_tieu, factor: 0.5}
  - {id: "2", title: Các tiêu chí còn lại, max: 990}
"""


def test_5_item_without_target_leaves_the_unit_maximum(make_guide, run_unit):
    # CA: a 10-point item with no assigned target → the unit's maximum is 990
    guide = make_guide(CA_TARGET, scale=1000)
    unit = run_unit(guide, ket_qua=8)
    assert unit.max == 990
    assert unit.not_applicable == ("1",)
    assert unit.total == 990
    assert unit.percent == 100
    assert run_unit(guide, ket_qua=8, chi_tieu=10).max == 1000


def test_6_ranking_by_percentage_of_the_applicable_maximum(make_guide):
    guide = make_guide(
        CA_TARGET
        + """
ranking:
  by: [percent]
""",
        scale=1000,
    )
    units = [
        # 985 of 1000 = 98.5%
        Submission(unit_id="b", name="B", values={"ket_qua": 0, "chi_tieu": 10}),
        # 990 of 990 = 100%
        Submission(unit_id="a", name="A", values={"ket_qua": 3}),
    ]
    result = score(guide, units)
    assert [(u.unit_id, u.rank, u.total, u.max) for u in result.units] == [
        ("a", 1, D(990), D(990)),
        ("b", 2, D(990), D(1000)),
    ]


# --------------------------------------------------------------------------------------------
# Quantitative against a target


@pytest.mark.parametrize(
    ("achieved", "expected"),
    [(8, D(2)), (10, D("2.5")), (0, D(0)), (5, D("1.25"))],
)
def test_7_8_below_target_half_s_a_over_t_and_met_half_s(make_guide, run_unit, achieved, expected):
    # CA Article 6 with S = 5, T = 10: A=8 → 2; A=10 → 2.5 (½·S·A/T, capped at ½·S)
    guide = make_guide(
        """
        inputs:
          a: {type: decimal, label: Kết quả, required: true}
          t: {type: decimal, label: Chỉ tiêu, required: true}
        criteria:
          - id: "6.1"
            title: Chỉ tiêu định lượng
            max: 5
            proportional: {achieved: a, target: t, factor: 0.5}
        """,
        scale=5,
    )
    assert run_unit(guide, a=achieved, t=10).total == expected


def test_7_zero_target_fails_only_that_unit(make_guide):
    guide = make_guide(
        """
        inputs:
          a: {type: decimal, label: Kết quả, required: true}
          t: {type: decimal, label: Chỉ tiêu, required: true}
        criteria:
          - {id: "1", title: Chỉ tiêu, max: 5, proportional: {achieved: a, target: t}}
        """,
        scale=5,
    )
    result = score(
        guide,
        [
            Submission(unit_id="x", name="X", values={"a": 3, "t": 0}),
            Submission(unit_id="y", name="Y", values={"a": 3, "t": 6}),
        ],
    )
    assert result.unit("y").total == D("2.5")
    failed = result.unit("x")
    assert failed.status == "error"
    assert [i.code for i in failed.issues] == ["eval-div-zero"]
    assert failed.issues[0].rule_id == "1"
    assert failed.issues[0].line is not None
    assert not result.ok


# --------------------------------------------------------------------------------------------
# Bands, tables, increments


def test_12_qualitative_pass_fail(make_guide, run_unit):
    # TG C4.1: 2 points if implemented, 0 if not
    guide = make_guide(
        """
        inputs:
          c41_co_giai_phap: {type: bool, label: Có giải pháp cải thiện kênh rạch, required: true}
        criteria:
          - {id: C4.1, title: Cải thiện kênh rạch ô nhiễm, max: 2, met: c41_co_giai_phap}
        """,
        scale=2,
    )
    assert run_unit(guide, c41_co_giai_phap=True).total == 2
    assert run_unit(guide, c41_co_giai_phap=False).total == 0


TG_C1_C2 = """
inputs:
  c1: {type: percent, label: Tỷ lệ thu gom chất thải rắn đô thị, required: true}
  c2: {type: percent, label: Tỷ lệ cơ sở đạt tiêu chuẩn môi trường, required: true}
criteria:
  - id: C1
    title: Thu gom chất thải rắn đô thị
    max: 5
    bands:
      of: c1
      bands:
        - {above: 98, points: 5}
        - {from: 97, to: 98, points: 4}
        - {from: 96, below: 97, points: 3}
      otherwise: 0
  - id: C2
    title: Cơ sở xử lý chất thải đạt tiêu chuẩn
    max: 5
    bands:
      of: c2
      bands:
        - {above: 90, points: 5}
        - {from: 80, to: 90, points: 4}
        - {from: 70, below: 80, points: 3}
      otherwise: 0
    children:
      - id: C2.4
        title: Trên 92% cộng 0,1; cứ tăng 1% cộng 0,1, tối đa 0,5
        kind: bonus
        increment: {of: c2, above: 92, every: 1, points: 0.1, cap: 0.5}
"""


@pytest.mark.parametrize(
    ("rate", "points"),
    [
        ("99.5", 5),
        ("98.01", 5),
        ("98", 4),
        ("97.5", 4),
        ("97", 4),
        ("96.99", 3),
        ("96", 3),
        ("95.9", 0),
    ],
)
def test_13_rate_bands_half_open(make_guide, run_unit, rate, points):
    # TG C1: >98% → 5; 97% to <98% → 4; 96% to <97% → 3
    guide = make_guide(TG_C1_C2, scale=10)
    assert run_unit(guide, c1=D(rate), c2=75).items["C1"] == points


@pytest.mark.parametrize(
    ("rate", "bonus"),
    [("92", "0"), ("92.5", "0.1"), ("93", "0.2"), ("95.9", "0.4"), ("96", "0.5"), ("99", "0.5")],
)
def test_15_increment_above_threshold_capped(make_guide, run_unit, rate, bonus):
    # TG C2.4: >92% → +0.1, +0.1 per further 1%, at most +0.5
    guide = make_guide(TG_C1_C2, scale=10)
    unit = run_unit(guide, c1=99, c2=D(rate))
    assert unit.items["C2.4"] == D(bonus)
    assert unit.items["C2"] == 5 + D(bonus)


def test_13_bands_combined_with_a_bonus_child_is_a_conflict_only_for_score_children(make_guide):
    with pytest.raises(RulesetError) as caught:
        make_guide(
            """
            inputs:
              x: {type: decimal, label: X, required: true}
            criteria:
              - id: A
                title: A
                max: 5
                bands: {of: x, bands: [{from: 0, points: 5}]}
                children:
                  - {id: A.1, title: A1, max: 5}
            """,
            scale=5,
        )
    assert "construct-conflict" in [i.code for i in caught.value.issues]


TG_D1 = """
total: {may_exceed_scale: true}
inputs:
  d1_co_ke_hoach: {type: bool, label: Có xây dựng và thực hiện kế hoạch thanh tra, required: true}
  d1_ty_le: {type: percent, label: Tỷ lệ thực hiện chỉ tiêu kế hoạch, missing: 0, places: 2}
criteria:
  - id: d1
    title: Thực hiện chỉ tiêu kế hoạch thanh tra, kiểm tra hàng năm
    max: 3
    children:
      - id: d1.1
        title: Không xây dựng hoặc không thực hiện kế hoạch hàng năm
        kind: deduction
        points: -3
        when: not d1_co_ke_hoach
      - id: d1.2-5
        title: Thực hiện so với chỉ tiêu kế hoạch
        kind: adjustment
        when: d1_co_ke_hoach
        bands:
          of: d1_ty_le
          bands:
            - {below: 95, points: -2}
            - {from: 95, below: 100, points: -1}
            - {from: 100, to: 100, points: 0}
            - {above: 100, below: 120, points: 1}
            - {from: 120, points: 2}
"""


@pytest.mark.parametrize(
    ("plan", "rate", "value"),
    [(False, 0, 0), (True, 90, 1), (True, 97, 2), (True, 100, 3), (True, 110, 4), (True, 125, 5)],
)
def test_14_completion_bands_with_signed_points(make_guide, run_unit, plan, rate, value):
    # TG d1: no plan −3; <95% −2; 95–<100% −1; exceeded <20% +1; ≥20% +2
    guide = make_guide(TG_D1, scale=3)
    assert run_unit(guide, d1_co_ke_hoach=plan, d1_ty_le=rate).total == value


TG_33 = """
total: {may_exceed_scale: true}
inputs:
  n: {type: count, label: Số hồ sơ tiếp nhận trong năm, required: true}
  truoc_han: {type: percent, label: Tỷ lệ giải quyết trước hạn, required: true}
  tre_han: {type: percent, label: Tỷ lệ giải quyết trễ hạn, required: true}
criteria:
  - id: "3.3"
    title: Giải quyết thủ tục hành chính
    max: 6
    children:
      - id: 3.3.2
        title: Điểm thưởng theo tỷ lệ trước hạn (không có hồ sơ trễ hạn)
        kind: bonus
        when: tre_han == 0
        table:
          rows: {of: n, bands: [{below: 1000}, {from: 1000, below: 2000}, {from: 2000}]}
          columns:
            of: truoc_han
            bands: [{from: 1, below: 5}, {from: 5, below: 7}, {from: 7, below: 10}, {from: 10}]
          values:
            - [0.5, 1, 1.5, 2]
            - [1, 1.5, 2, 2.5]
            - [1.2, 1.7, 2.2, 2.7]
          otherwise: 0
      - id: 3.3.3
        title: Điểm trừ theo tỷ lệ trễ hạn
        kind: deduction
        table:
          rows: {of: n, bands: [{below: 1000}, {from: 1000, below: 2000}, {from: 2000}]}
          columns:
            of: tre_han
            bands: [{above: 0, below: 1}, {from: 1, below: 7}, {from: 7, below: 10}, {from: 10}]
          values:
            - [-1, -1.5, -2, -2.5]
            - [-0.5, -1, -1.5, -2]
            - [-0.2, -0.7, -1.2, -1.7]
          otherwise: 0
"""


@pytest.mark.parametrize(
    ("n", "early", "late", "value"),
    [
        (1500, "6", "0", "7.5"),  # 1000–<2000 dossiers, early 5–<7% → +1.5
        (800, "10", "0", "8"),  # <1000, early ≥10% → +2
        (2000, "1", "0", "7.2"),  # ≥2000, early 1–<5% → +1.2
        (999, "4.99", "0", "6.5"),
        (2500, "0.5", "0", "6"),  # early under 1%: no bonus (TG 3.3.2)
        (2500, "8", "0.5", "5.8"),  # late under 1% with ≥2000 → −0.2, and no bonus
        (700, "0", "12", "3.5"),  # <1000, late ≥10% → −2.5
        (1999, "0", "7", "4.5"),  # 1000–<2000, late 7–<10% → −1.5
    ],
)
def test_16_17_two_dimensional_tables_with_precondition(
    make_guide, run_unit, n, early, late, value
):
    guide = make_guide(TG_33, scale=6)
    assert run_unit(guide, n=n, truoc_han=D(early), tre_han=D(late)).total == D(value)


# --------------------------------------------------------------------------------------------
# Counts, events, timeliness

TG_EVENTS = """
total: {may_exceed_scale: true}
inputs:
  bai_viet: {type: count, label: Số bài viết được đăng, missing: 0, evidence: true}
  quy_khong_viet: {type: count, label: Số quý không viết bài, missing: 0, max: 4}
  a1_truong_hop: {type: count, label: Số trường hợp chậm triển khai, missing: 0}
  b41_gieng: {type: count, label: Số giếng chưa đăng ký do Sở phát hiện, missing: 0}
  b12_ky: {type: count, label: Số kỳ không báo cáo giếng trám lấp, missing: 0, max: 2}
  bao_cao_som: {type: count, label: Số báo cáo gửi trước 5 ngày làm việc, missing: 0}
  thieu_tai_lieu: {type: count, label: Số mục thiếu tài liệu chứng minh, missing: 0}
criteria:
  - id: "4.3"
    title: Tham gia viết bài, đưa tin
    max: 1.5
    children:
      - id: 4.3.1
        title: Mỗi bài viết được đăng cộng 0,2 điểm (tổng không quá 1 điểm)
        kind: bonus
        per_event: {count: bai_viet, points: 0.2, cap: 1}
      - id: 4.3.2
        title: Không viết bài cho Bản tin, trừ 0,5 điểm mỗi quý
        kind: deduction
        per_event: {count: quy_khong_viet, points: -0.5}
  - id: a1
    title: Triển khai Luật Đất đai
    max: 3
    caps: {deductions: 1.5}
    children:
      - id: a1.1
        title: Mỗi trường hợp chậm triển khai trừ 0,5 điểm
        kind: deduction
        per_event: {count: a1_truong_hop, points: -0.5}
  - id: b4
    title: Đăng ký khai thác nước dưới đất
    max: 5
    children:
      - id: b.4.1
        title: Mỗi giếng chưa đăng ký trừ 0,5 điểm (tối đa 3 điểm)
        kind: deduction
        per_event: {count: b41_gieng, points: -0.5, cap: 3}
  - id: b1
    title: Thống kê giếng khoan
    max: 2
    children:
      - id: b.1.2
        title: Không báo cáo danh sách giếng trám lấp, trừ 0,25 điểm/kỳ
        kind: deduction
        per_event: {count: b12_ky, points: -0.25}
  - id: a9
    title: Thẩm định bồi thường
    max: 5
    children:
      - id: a9.4
        title: Mỗi báo cáo gửi trước 05 ngày làm việc cộng 0,1 điểm
        kind: bonus
        per_event: {count: bao_cao_som, points: 0.1}
  - id: C6
    title: Báo cáo 05 chỉ tiêu môi trường
    max: 1
    children:
      - id: C6.1
        title: Thiếu tài liệu của 1 mục trừ 0,1 điểm, tối đa 0,5 điểm
        kind: deduction
        per_event: {count: thieu_tai_lieu, points: -0.1, cap: 0.5}
"""


def test_18_per_event_bonus_uncapped(make_guide, run_unit):
    guide = make_guide(TG_EVENTS, scale="17.5")
    assert run_unit(guide, bao_cao_som=7).items["a9"] == D("5.7")


@pytest.mark.parametrize(("articles", "bonus"), [(0, "0"), (3, "0.6"), (5, "1.0"), (7, "1")])
def test_19_per_event_bonus_with_cap(make_guide, run_unit, articles, bonus):
    guide = make_guide(TG_EVENTS, scale="17.5")
    unit = run_unit(guide, bai_viet=articles)
    assert unit.items["4.3.1"] == D(bonus)


@pytest.mark.parametrize(
    ("cases", "a1", "wells", "b4"),
    [(1, "2.5", 1, "4.5"), (3, "1.5", 6, "2"), (4, "1.5", 10, "2")],
)
def test_20_per_event_deduction_with_caps(make_guide, run_unit, cases, a1, wells, b4):
    # TG a1: −0.5 per case, at most 1.5; b4.1: −0.5 per well, at most 3
    guide = make_guide(TG_EVENTS, scale="17.5")
    unit = run_unit(guide, a1_truong_hop=cases, b41_gieng=wells)
    assert unit.items["a1"] == D(a1)
    assert unit.items["b4"] == D(b4)


def test_20_cap_is_recorded_in_the_trace(make_guide, run_unit):
    guide = make_guide(TG_EVENTS, scale="17.5")
    trace = run_unit(guide, a1_truong_hop=4).trace
    assert trace is not None
    a1 = trace.find("a1")
    assert a1 is not None
    assert a1.parts == (("benchmark", D(3)), ("a1.1", D("-2.0")))
    assert a1.adjustments == (("cap_deductions", D("0.5"), "điểm trừ tối đa 1.5"),)


def test_21_per_period_deductions(make_guide, run_unit):
    guide = make_guide(TG_EVENTS, scale="17.5")
    unit = run_unit(guide, b12_ky=2, quy_khong_viet=3)
    assert unit.items["b.1.2"] == D("-0.50")
    assert unit.items["4.3"] == 0  # 1.5 − 3 × 0.5


def test_28_missing_evidence_deduction(make_guide, run_unit):
    guide = make_guide(TG_EVENTS, scale="17.5")
    assert run_unit(guide, thieu_tai_lieu=3).items["C6"] == D("0.7")
    assert run_unit(guide, thieu_tai_lieu=8).items["C6"] == D("0.5")


def test_29_evidence_requirement_flags_claims_without_evidence(make_guide):
    guide = make_guide(TG_EVENTS, scale="17.5")
    result = score(
        guide,
        [
            Submission(unit_id="a", name="A", values={"bai_viet": 2}),
            Submission(
                unit_id="b",
                name="B",
                values={"bai_viet": 2},
                evidence={"bai_viet": ("Bản tin số 3/2022", "Bản tin số 5/2022")},
            ),
        ],
    )
    assert [i.code for i in result.unit("a").issues] == ["evidence-missing"]
    assert result.unit("a").issues[0].severity == "warning"
    assert result.unit("b").issues == ()
    assert result.unit("a").total == result.unit("b").total  # flagged for the reviewer, not changed


def test_22_deduction_cap_ignores_bonuses(make_guide, run_unit):
    # TG a7: deductions at most 1.5 "không liên quan đến điểm cộng"
    guide = make_guide(TG_A7, scale=3)
    unit = run_unit(guide, a72_thong_ke_thieu=6, a73_khong_van_ban=True, a76_giai_phap=2)
    # −1.2 − 0.5 = −1.7 capped at −1.5; +2 bonus untouched: 3 − 1.5 + 2
    assert unit.items["a7"] == D("3.5")


TG_D2 = """
total: {may_exceed_scale: true}
inputs:
  d21: {type: count, label: Số trường hợp xử lý không đúng thời gian, missing: 0}
  d22: {type: count, label: Số trường hợp không thông báo kết quả, missing: 0}
  d23: {type: count, label: Số vụ vận động rút đơn, missing: 0}
criteria:
  - id: d2
    title: Giải quyết khiếu nại, tố cáo
    max: 7
    caps: {adjustments: 7}       # "Điểm trừ, cộng tối đa đối với d2 không quá 7 điểm"
    children:
      - {id: d2.1, title: Xử lý không đúng thời gian, kind: deduction, per_event: {count: d21, points: -1}}
      - {id: d2.2, title: Không thông báo kết quả, kind: deduction, per_event: {count: d22, points: -1}}
      - id: d2.3
        title: Vận động rút đơn (điểm cộng tối đa không quá 2 điểm)
        kind: bonus
        per_event: {count: d23, points: 1, cap: 2}
"""


@pytest.mark.parametrize(
    ("d21", "d22", "d23", "value"),
    [(0, 0, 0, 7), (5, 4, 0, 0), (5, 4, 1, 0), (1, 0, 3, 8), (3, 2, 2, 4)],
)
def test_22_combined_cap_on_bonuses_and_deductions(make_guide, run_unit, d21, d22, d23, value):
    guide = make_guide(TG_D2, scale=7)
    assert run_unit(guide, d21=d21, d22=d22, d23=d23).total == value


TG_DEADLINES = """
inputs:
  ngay_ke_hoach: {type: date, label: Ngày ban hành kế hoạch cải cách hành chính, required: true}
  ngay_bao_cao: {type: date, label: Ngày gửi báo cáo thống kê công chức, required: true}
  han_bao_cao: {type: date, label: Hạn gửi báo cáo, required: true}
criteria:
  - id: "3.1"
    title: Xây dựng kế hoạch cải cách hành chính
    max: 2
    children:
      - id: 3.1.2
        title: Ban hành kế hoạch sau ngày 31/1
        kind: deduction
        deadline: {date: ngay_ke_hoach, due: 2022-01-31, late: -0.5}
  - id: "2.2"
    title: Báo cáo, thống kê về công chức, viên chức
    max: 1
    children:
      - id: 2.2.x
        title: Gửi trước 3 ngày cộng 0,5; gửi trễ trừ 1
        kind: adjustment
        deadline: {date: ngay_bao_cao, due: han_bao_cao, late: -1, early: {days: 3, points: 0.5}}
"""


@pytest.mark.parametrize(
    ("plan", "sent", "plan_points", "report_points"),
    [
        ("2022-01-20", "2022-06-27", "2", "1.5"),
        ("2022-01-31", "2022-06-28", "2", "1"),
        ("2022-02-01", "2022-06-30", "1.5", "1"),
        ("2022-03-15", "2022-07-01", "1.5", "0"),
    ],
)
def test_23_deadline_rules(make_guide, run_unit, plan, sent, plan_points, report_points):
    guide = make_guide(TG_DEADLINES, scale=3)
    unit = run_unit(guide, ngay_ke_hoach=plan, ngay_bao_cao=sent, han_bao_cao="2022-06-30")
    assert unit.items["3.1"] == D(plan_points)
    assert unit.items["2.2"] == D(report_points)


TG_DISCIPLINE = """
inputs:
  muc_ky_luat:
    type: enum
    label: Hình thức kỷ luật cao nhất
    values: [khong, khien_trach, canh_cao_tro_len]
    missing: khong
  tu_phat_hien: {type: bool, label: Đơn vị chủ động phát hiện và xử lý, missing: false}
criteria:
  - id: "2.1"
    title: Chấp hành tốt nội quy, quy chế
    max: 1
    children:
      - id: 2.1.1
        title: CB.CC bị kỷ luật (khiển trách −1, cảnh cáo trở lên −2)
        kind: deduction
        lookup:
          of: muc_ky_luat
          points: {khong: 0, khien_trach: -1, canh_cao_tro_len: -2}
        waive_if: tu_phat_hien
"""


@pytest.mark.parametrize(
    ("grade", "self_found", "value"),
    [
        ("khong", False, "1"),
        ("khien_trach", False, "0"),
        ("canh_cao_tro_len", False, "-1"),
        ("canh_cao_tro_len", True, "1"),
    ],
)
def test_24_25_severity_grades_and_waiver(make_guide, run_unit, grade, self_found, value):
    guide = make_guide(TG_DISCIPLINE, scale=1)
    unit = run_unit(guide, muc_ky_luat=grade, tu_phat_hien=self_found)
    assert unit.items["2.1"] == D(value)
    if self_found:
        assert unit.trace is not None
        node = unit.trace.find("2.1.1")
        assert node is not None
        assert node.status == "waived"


def test_26_deduction_only_when_verified(make_guide, run_unit):
    guide = make_guide(
        """
        inputs:
          co_phan_anh: {type: bool, label: Có đơn thư phản ánh, missing: false}
          xac_minh_dung: {type: bool, label: Nội dung phản ánh được xác minh là đúng, missing: false}
        criteria:
          - id: "3.3"
            title: Giải quyết thủ tục hành chính
            max: 6
            children:
              - id: 3.3.4
                title: Có đơn thư phản ánh (nếu xác minh đúng)
                kind: deduction
                points: -2
                when: co_phan_anh and xac_minh_dung
        """,
        scale=6,
    )
    assert run_unit(guide, co_phan_anh=True).total == 6
    assert run_unit(guide, co_phan_anh=True, xac_minh_dung=True).total == 4


def test_27_forfeit_the_whole_item(make_guide, run_unit):
    # TG C3.1: report with evidence 2 (−0.1 per missing document, at most 0.5);
    # no directing document → 0
    guide = make_guide(
        """
        inputs:
          co_cong_van: {type: bool, label: Có công văn chỉ đạo, required: true}
          thieu_tai_lieu: {type: count, label: Số mục thiếu tài liệu, missing: 0}
        criteria:
          - id: C3.1
            title: Tham mưu chỉ đạo thu gom bao gói thuốc BVTV
            max: 2
            forfeit_if: not co_cong_van
            children:
              - id: C3.1.a
                title: Thiếu tài liệu mỗi mục trừ 0,1 điểm (tối đa 0,5)
                kind: deduction
                per_event: {count: thieu_tai_lieu, points: -0.1, cap: 0.5}
        """,
        scale=2,
    )
    assert run_unit(guide, co_cong_van=True, thieu_tai_lieu=2).total == D("1.8")
    unit = run_unit(guide, co_cong_van=False, thieu_tai_lieu=2)
    assert unit.total == 0
    assert unit.trace is not None
    node = unit.trace.find("C3.1")
    assert node is not None
    assert node.status == "forfeited"
    assert node.adjustments[-1] == ("forfeit", D("-1.8"), "not co_cong_van")
    # it loses its points but adds no deduction (a "fewer deductions" tie-break must not
    # count the missing documents of an item that scored nothing)
    assert unit.deductions == 0
    assert run_unit(guide, co_cong_van=True, thieu_tai_lieu=2).deductions == D("0.2")


@pytest.mark.parametrize("interpreter", [False, True])
def test_rounding_a_formula_over_counts(make_guide, interpreter):
    guide = make_guide(
        """
        inputs:
          a: {type: count, label: Số việc A, missing: 0}
          b: {type: count, label: Số việc B, missing: 0}
        criteria:
          - id: T
            title: Tổng số việc
            max: 10
            formula: a + b
            rounding: {places: 1}
        """,
        scale=10,
    )
    unit = evaluate_values(guide, "u", "U", {"a": 3, "b": 4}, interpreter=interpreter)
    assert unit.status == "scored"
    assert unit.items["T"] == 7
    assert str(unit.items["T"]) == "7.0"


TG_A4 = """
total: {may_exceed_scale: true}
inputs:
  moi_dang_ky_du: {type: bool, label: Mời đăng ký đạt 100% số thửa, required: true}
  ty_le_ho: {type: percent, label: "Tỷ lệ diện tích cấp GCN cho hộ gia đình, cá nhân", required: true}
  ty_le_chung: {type: percent, label: Tỷ lệ cấp GCN trên địa bàn (kể cả tổ chức), required: true}
criteria:
  - id: a4
    title: Cấp giấy chứng nhận lần đầu
    max: 3.5
    caps: {deductions: 2}
    children:
      - id: a4.1.1
        title: Mời đăng ký không đạt 100% số thửa
        kind: deduction
        points: -1
        when: not moi_dang_ky_du
      - id: a4.1.2
        title: Cấp GCN cho hộ gia đình, cá nhân dưới 98,5% diện tích
        kind: deduction
        points: -0.5
        when: ty_le_ho < 98.5
      - id: a4.2
        title: Đạt đủ điểm chuẩn thì cộng điểm đối với 01 trong 02 trường hợp
        kind: bonus
        requires_benchmark: true
        combine: highest
        children:
          - {id: a4.2.1, title: Hộ gia đình đạt 99% trở lên, points: 1, when: ty_le_ho >= 99}
          - id: a4.2.2
            title: Hộ gia đình đạt 99% và toàn địa bàn đạt 95% trở lên
            points: 2
            when: ty_le_ho >= 99 and ty_le_chung >= 95
"""


@pytest.mark.parametrize(
    ("invited", "households", "overall", "value"),
    [
        (True, "99.2", "96", "5.5"),  # one of two cases: +2, not +3
        (True, "99.2", "90", "4.5"),  # only the first case: +1
        (True, "98.7", "96", "3.5"),  # benchmark met, no bonus case
        (False, "99.2", "96", "2.5"),  # a4.1.1 deduction: benchmark not met, no bonus
        (False, "97", "96", "2"),
    ],
)
def test_30_31_one_of_two_bonus_gated_on_the_benchmark(
    make_guide, run_unit, invited, households, overall, value
):
    guide = make_guide(TG_A4, scale="3.5")
    unit = run_unit(guide, moi_dang_ky_du=invited, ty_le_ho=D(households), ty_le_chung=D(overall))
    assert unit.items["a4"] == D(value)


def test_31_denied_bonus_is_recorded(make_guide, run_unit):
    guide = make_guide(TG_A4, scale="3.5")
    unit = run_unit(guide, moi_dang_ky_du=False, ty_le_ho=D("99.2"), ty_le_chung=96)
    assert unit.trace is not None
    node = unit.trace.find("a4")
    assert node is not None
    assert ("benchmark_not_met", D(-2), "a4.2: chỉ cộng khi đạt đủ điểm chuẩn") in node.adjustments


# --------------------------------------------------------------------------------------------
# Qualification and numbers

CLASSIFIED = """
total: {may_exceed_scale: true}
inputs:
  gui_bao_cao: {type: bool, label: Có gửi báo cáo giải trình và bảng chấm điểm, required: true}
  thuong: {type: decimal, label: Điểm thưởng, missing: 0}
criteria:
  - id: TC1
    title: Tiêu chuẩn 1
    max: 100
    children:
      - {id: TC1.b, title: Thưởng, kind: adjustment, formula: thuong}
not_classified:
  - id: "5.2"
    when: not gui_bao_cao
    reason: Không gửi báo cáo giải trình chấm điểm thi đua và bản chấm điểm thi đua
classification:
  on: total
  bands:
    - {above: 100, label: Hoàn thành xuất sắc nhiệm vụ}
    - {from: 80, to: 100, label: Hoàn thành tốt nhiệm vụ}
    - {from: 50, below: 80, label: Hoàn thành nhiệm vụ}
  otherwise: Không hoàn thành nhiệm vụ
"""


def test_36_not_classified_when_no_self_assessment(make_guide, run_unit):
    guide = make_guide(CLASSIFIED)
    unit = run_unit(guide, gui_bao_cao=False)
    assert unit.status == "not_classified"
    assert unit.reasons == (
        "5.2: Không gửi báo cáo giải trình chấm điểm thi đua và bản chấm điểm thi đua",
    )
    assert unit.classification is None


@pytest.mark.parametrize(
    ("bonus", "label"),
    [
        ("1.5", "Hoàn thành xuất sắc nhiệm vụ"),
        ("0", "Hoàn thành tốt nhiệm vụ"),
        ("-20", "Hoàn thành tốt nhiệm vụ"),
        ("-20.5", "Hoàn thành nhiệm vụ"),
        ("-60", "Không hoàn thành nhiệm vụ"),
    ],
)
def test_37_classification_labels(make_guide, run_unit, bonus, label):
    guide = make_guide(CLASSIFIED)
    unit = run_unit(guide, gui_bao_cao=True, thuong=D(bonus))
    assert unit.classification == label


def test_46_exact_decimals_and_declared_rounding(make_guide, run_unit):
    guide = make_guide(
        """
        inputs:
          d1: {type: decimal, label: Điểm đoàn 1, required: true}
          d2: {type: decimal, label: Điểm đoàn 2, required: true}
          d3: {type: decimal, label: Điểm đoàn 3, required: true}
        criteria:
          - id: X
            title: Trung bình ba đoàn chấm (làm tròn 2 chữ số)
            max: 10
            formula: (d1 + d2 + d3) / 3
            rounding: {places: 2}
          - id: Y
            title: Cộng ba lần 0,1
            max: 1
            formula: 0.1 + 0.1 + 0.1
          - id: Z
            title: Làm tròn nửa chẵn
            max: 10
            formula: round(d1, 2, 'half_even')
        """,
        scale=21,
    )
    unit = run_unit(guide, d1=D("2.665"), d2=9, d3=9)
    assert unit.items["Y"] == D("0.3")
    assert unit.items["X"] == D("6.89")  # 20.665 / 3 = 6.888… → 6.89 half-up
    assert unit.items["Z"] == D("2.66")  # half-even: 2.665 → 2.66
    assert run_unit(guide, d1=8, d2=9, d3=9).items["X"] == D("8.67")
    trace = unit.trace
    assert trace is not None
    x = trace.find("X")
    assert x is not None
    assert x.adjustments[0][0] == "rounding"


def test_47_target_situations(make_guide):
    # same target for all (a constant), a different target per unit, and no target
    guide = make_guide(
        """
        constants:
          chi_tieu_chung: 10
        inputs:
          ket_qua: {type: decimal, label: Kết quả, required: true}
          chi_tieu_rieng: {type: decimal, label: Chỉ tiêu riêng, missing: not_applicable}
        criteria:
          - id: A
            title: Chỉ tiêu chung
            max: 5
            proportional: {achieved: ket_qua, target: chi_tieu_chung, factor: 0.5}
          - id: B
            title: Chỉ tiêu riêng từng đơn vị
            max: 5
            proportional: {achieved: ket_qua, target: chi_tieu_rieng, factor: 0.5}
        """,
        scale=10,
    )
    result = score(
        guide,
        [
            Submission(unit_id="u1", name="U1", values={"ket_qua": 8, "chi_tieu_rieng": 16}),
            Submission(unit_id="u2", name="U2", values={"ket_qua": 8}),
        ],
    )
    assert result.unit("u1").items["A"] == 2
    assert result.unit("u1").items["B"] == D("1.25")  # 5 × ½ × 8 / 16
    assert result.unit("u2").max == 5
    assert result.unit("u2").not_applicable == ("B",)
