"""The Tiền Giang DONRE 2022 benchmark table, pinned number by number.

Each test scores one or a few units built from ``PERFECT`` (every required input at a value
that earns the benchmark and nothing more) with a few values overridden, and checks the exact
points the written table gives. Source: shared/guides/tiengiang-stnmt-2022-bang-diem-chuan.txt.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from emulation_rules import Submission, load_ruleset, score

GUIDE = Path(__file__).resolve().parent.parent / "rulesets" / "tiengiang-stnmt-2022.yaml"

#: Required inputs at "perfect" values: the benchmark everywhere, no bonus claimed except the
#: one the table gives every unit that launches its reform campaign in writing (3.2.1, +0.5).
PERFECT: dict[str, Any] = {
    "a4_ty_le_cap_gcn_ho_gia_dinh": Decimal("98.5"),  # meets a4, below the 99% bonus
    "c1_ty_le_thu_gom": Decimal(100),
    "c2_ty_le_co_so_dat_chuan": Decimal(92),  # C2 = 5, C2.4 starts above 92
    "c3_1_co_cong_van_chi_dao": True,
    "c3_2_co_to_chuc_thu_gom": True,
    "c4_1_co_giai_phap_cai_thien_kenh_rach": True,
    "c4_2_du_100_phan_tram_xa": True,
    "c5_1_co_van_ban_huong_dan": True,
    "c5_1_co_ke_hoach_kiem_tra": True,
    "c5_3_co_bao_cao": True,
    "c6_co_bao_cao": True,
    "d1_ty_le_thuc_hien_ke_hoach": Decimal(100),
    "c312_ngay_ban_hanh_ke_hoach_cchc": "2022-01-20",
    "c32_co_phat_dong_bang_van_ban": True,
    "c33_so_ho_so_tiep_nhan": 800,
    "c411_ngay_ban_hanh_van_ban_phat_dong": "2022-01-15",
    "c52_co_gui_bao_cao_giai_trinh": True,
}

#: What PERFECT scores: 100 plus the 3.2.1 bonus.
PERFECT_TOTAL = Decimal("100.5")


@pytest.fixture(scope="module")
def guide():
    return load_ruleset(GUIDE)


def unit(unit_id: str = "u1", **overrides: Any) -> Submission:
    values = {**PERFECT, **overrides}
    return Submission(unit_id=unit_id, name=f"Đơn vị thử {unit_id}", values=values)


def scored(guide, **overrides: Any):
    result = score(guide, [unit(**overrides)])
    assert not result.rejected, result.rejected
    (u,) = result.units
    assert u.status != "error", u.issues
    return u


# -------------------------------------------------------------------------------- the whole


def test_perfect_unit_scores_100_plus_its_bonuses(guide):
    u = scored(guide)
    assert u.status == "scored"
    assert u.max == Decimal(100)
    assert u.total == PERFECT_TOTAL
    assert u.items["TC1"] == Decimal(80)
    assert u.items["a"] == Decimal(30)
    assert u.items["b"] == Decimal(15)
    assert u.items["C"] == Decimal(25)
    assert u.items["d"] == Decimal(10)
    assert u.items["TC2"] == Decimal(2)
    assert u.items["TC3"] == Decimal("10.5")
    assert u.items["3.2.1"] == Decimal("0.5")
    assert u.items["TC4"] == Decimal(3)
    assert u.items["TC5"] == Decimal(5)
    assert u.deductions == Decimal(0)


def test_total_may_exceed_100(guide):
    u = scored(
        guide,
        a4_ty_le_cap_gcn_ho_gia_dinh=Decimal("99.2"),
        a4_ty_le_cap_gcn_toan_dia_ban=Decimal(96),  # a4.2 +2
        c2_ty_le_co_so_dat_chuan=Decimal(99),  # C2.4 +0.5
        c33_so_ho_so_tiep_nhan=2500,
        c33_ty_le_truoc_han=Decimal(12),  # 3.3.2 +2.7
        c431_so_bai_viet_duoc_dang=7,  # 4.3.1 +1.4, capped at +1
        d1_ty_le_thuc_hien_ke_hoach=Decimal(125),  # d1.5 +2
        d2_3_so_vu_rut_don=3,  # d2.3 +3, capped at +2
    )
    assert u.status == "scored"
    assert u.total == Decimal("110.7")
    assert u.total > u.max


def test_not_sending_the_self_assessment_is_not_classified(guide):
    u = scored(guide, c52_co_gui_bao_cao_giai_trinh=False)
    assert u.status == "not_classified"
    assert u.rank is None
    assert any(reason.startswith("5.2") for reason in u.reasons)


# -------------------------------------------------------------------------------- a. đất đai


def test_a1_deductions_are_capped_at_1_5(guide):
    u = scored(guide, a1_1_so_truong_hop=2, a1_2_so_truong_hop=2)  # 4 × −0.5 = −2
    assert u.items["a1.1"] == Decimal(-1)
    assert u.items["a1.2"] == Decimal(-1)
    assert u.items["a1"] == Decimal("1.5")
    assert u.total == PERFECT_TOTAL - Decimal("1.5")


def test_a1_deductions_under_the_cap_count_in_full(guide):
    u = scored(guide, a1_1_so_truong_hop=1, a1_2_so_truong_hop=1)
    assert u.items["a1"] == Decimal(2)


@pytest.mark.parametrize(
    ("household", "overall", "bonus"),
    [
        (Decimal("99.2"), Decimal(96), Decimal(2)),  # both cases hold: the higher one, not 1 + 2
        (Decimal("99.2"), Decimal(90), Decimal(1)),  # only a4.2.1
        (Decimal(99), Decimal(95), Decimal(2)),  # "trở lên": 99.0% and 95.0% count
        (Decimal("98.9"), Decimal(99), Decimal(0)),  # household under 99%
    ],
)
def test_a4_2_is_one_of_two_bonuses(guide, household, overall, bonus):
    u = scored(guide, a4_ty_le_cap_gcn_ho_gia_dinh=household, a4_ty_le_cap_gcn_toan_dia_ban=overall)
    assert u.items["a4.2"] == bonus
    assert u.items["a4"] == Decimal("3.5") + bonus


def test_a4_2_bonus_needs_the_benchmark(guide):
    u = scored(
        guide,
        a4_ty_le_cap_gcn_ho_gia_dinh=Decimal("99.2"),
        a4_ty_le_cap_gcn_toan_dia_ban=Decimal(96),
        a4_1_3_so_phan_anh_xac_minh_dung=1,  # one verified complaint: −0.5
    )
    assert u.items["a4.1"] == Decimal("-0.5")
    assert u.items["a4"] == Decimal(3)  # 3.5 − 0.5, and no bonus


def test_a4_1_1_counts_only_verified_complaints(guide):
    assert scored(guide).items["a4.1.1"] == Decimal(0)
    u = scored(guide, a4_1_1_phan_anh_xac_minh_dung=True)
    assert u.items["a4.1.1"] == Decimal(-1)
    assert u.items["a4"] == Decimal("2.5")


def test_a4_deductions_are_capped_at_2(guide):
    u = scored(
        guide,
        a4_1_1_moi_dang_ky_khong_dat_100=True,  # −1
        a4_ty_le_cap_gcn_ho_gia_dinh=Decimal(98),  # −0.5
        a4_1_3_so_phan_anh_xac_minh_dung=2,  # −1
    )
    assert u.items["a4.1"] == Decimal("-2.5")
    assert u.items["a4"] == Decimal("1.5")


def test_a7_bonus_is_outside_the_deduction_cap(guide):
    u = scored(
        guide,
        a7_1_khong_co_ke_hoach_dau_gia=True,
        a7_3_khong_co_van_ban_chi_dao=True,
        a7_4_khong_kiem_tra=True,
        a7_2_so_truong_hop_thong_ke_thieu=3,  # −0.5 × 3 − 0.6 = −2.1, capped at −1.5
        a7_6_so_giai_phap=2,  # +2, no cap
    )
    assert u.items["a7"] == Decimal("3.5")


def test_a9_deductions_are_capped_at_2_5(guide):
    u = scored(
        guide,
        a9_1_cham_gui_bao_cao_gop_y=True,
        a9_2_de_xay_ra_tieu_cuc=True,
        a9_3_khong_phoi_hop_bang_gia_dat=True,
        a9_4_so_bao_cao_gop_y_truoc_han=3,
    )
    assert u.items["a9"] == Decimal("2.8")  # 5 − 2.5 + 0.3


# -------------------------------------------------------------------------------- b. nước


def test_b_per_line_caps(guide):
    u = scored(
        guide,
        b1_1_so_truong_hop=6,  # −1.5, capped at −1
        b1_2_so_ky_khong_bao_cao=2,  # −0.5
        b2_1_so_gieng_tu_phat_hien=3,  # +1.5, capped at +1
        b2_3_so_lan_khong_phoi_hop=2,  # −0.4
        b3_2_so_truong_hop=25,  # −2.5, capped at −2
        b4_1_so_gieng=10,  # −5, capped at −3
        b4_3_so_ky_khong_bao_cao=1,  # −0.25
    )
    assert u.items["b1"] == Decimal("0.5")
    assert u.items["b2"] == Decimal("5.6")
    assert u.items["b3"] == Decimal(1)
    assert u.items["b4"] == Decimal("1.75")


def test_b2_5_and_b2_6_plan_bonus_or_deduction(guide):
    planned = scored(guide, b2_5_co_ke_hoach_hoan_thanh_dung_tien_do=True)
    assert planned.items["b2"] == Decimal("5.5")
    no_plan = scored(guide, b2_6_khong_tham_muu_ke_hoach=True)
    assert no_plan.items["b2"] == Decimal("4.5")


# -------------------------------------------------------------------------------- C. môi trường


@pytest.mark.parametrize(
    ("rate", "points"),
    [
        (Decimal(100), Decimal(5)),
        (Decimal("98.5"), Decimal(5)),
        (Decimal("98.01"), Decimal(5)),
        (Decimal(98), Decimal(4)),  # choice: exactly 98% is not "trên 98%": 4 points
        (Decimal("97.5"), Decimal(4)),
        (Decimal(97), Decimal(4)),
        (Decimal("96.99"), Decimal(3)),
        (Decimal(96), Decimal(3)),
        (Decimal("95.99"), Decimal(0)),
        (Decimal(95), Decimal(0)),
    ],
)
def test_c1_collection_rate_bands(guide, rate, points):
    assert scored(guide, c1_ty_le_thu_gom=rate).items["C1"] == points


@pytest.mark.parametrize(
    ("rate", "points"),
    [
        (Decimal("90.5"), Decimal(5)),
        (Decimal(90), Decimal(4)),  # choice: exactly 90% is not "trên 90%": 4 points
        (Decimal(80), Decimal(4)),
        (Decimal("79.99"), Decimal(3)),
        (Decimal(70), Decimal(3)),
        (Decimal("69.99"), Decimal(0)),
    ],
)
def test_c2_facility_rate_bands(guide, rate, points):
    assert scored(guide, c2_ty_le_co_so_dat_chuan=rate).items["C2"] == points


@pytest.mark.parametrize(
    ("rate", "bonus"),
    [
        (Decimal(92), Decimal(0)),
        (Decimal("92.5"), Decimal("0.1")),
        (Decimal(93), Decimal("0.2")),
        (Decimal("95.9"), Decimal("0.4")),
        (Decimal(96), Decimal("0.5")),
        (Decimal(99), Decimal("0.5")),
        (Decimal(100), Decimal("0.5")),
    ],
)
def test_c2_4_increment_is_capped_at_0_5(guide, rate, bonus):
    u = scored(guide, c2_ty_le_co_so_dat_chuan=rate)
    assert u.items["C2.4"] == bonus
    assert u.items["C2"] == Decimal(5) + bonus


def test_c3_1_missing_documents_and_forfeit(guide):
    assert scored(guide, c3_1_so_tai_lieu_thieu=3).items["C3.1"] == Decimal("1.7")
    assert scored(guide, c3_1_so_tai_lieu_thieu=8).items["C3.1"] == Decimal("1.5")  # cap 0.5
    u = scored(guide, c3_1_co_cong_van_chi_dao=False, c3_1_so_tai_lieu_thieu=2)
    assert u.items["C3.1"] == Decimal(0)  # choice: forfeited to 0, not −2


def test_c3_2_commune_deductions_and_forfeit(guide):
    u = scored(guide, c3_2_so_xa_khong_thu_gom=12, c3_2_so_xa_thu_gom_khong_du_lan=3)
    assert u.items["C3.2"] == Decimal("0.7")  # 3 − 2 (cap) − 0.3
    assert scored(guide, c3_2_co_to_chuc_thu_gom=False).items["C3.2"] == Decimal(0)


@pytest.mark.parametrize(
    ("rounds", "bonus"),
    [(2, Decimal(0)), (3, Decimal("0.2")), (4, Decimal("0.4")), (9, Decimal(1))],
)
def test_c3_3_extra_collection_rounds(guide, rounds, bonus):
    u = scored(guide, c3_3_so_lan_thu_gom=rounds)
    assert u.items["C3.3"] == bonus
    assert u.items["C3"] == Decimal(5) + bonus


def test_c3_3_needs_every_commune(guide):
    u = scored(guide, c3_3_so_lan_thu_gom=4, c3_2_so_xa_thu_gom_khong_du_lan=1)
    assert u.items["C3.3"] == Decimal(0)


def test_c4_and_c5_qualitative_items(guide):
    u = scored(
        guide,
        c4_2_du_100_phan_tram_xa=False,
        c5_1_co_ke_hoach_kiem_tra=False,
        c5_2_so_xa_khong_du_ke_hoach=2,
        c5_3_so_xa_khong_dat=12,
    )
    assert u.items["C4"] == Decimal(2)
    assert u.items["C5.1"] == Decimal("0.5")
    assert u.items["C5.2"] == Decimal("0.6")
    assert u.items["C5.3"] == Decimal(1)  # 3 − 2.4, capped at −2


def test_c6_report(guide):
    assert scored(guide, c6_so_muc_thieu_tai_lieu=2).items["C6"] == Decimal("0.8")
    assert scored(guide, c6_co_bao_cao=False).items["C6"] == Decimal(0)  # choice: 0, not −1


# -------------------------------------------------------------------------------- d. thanh tra


@pytest.mark.parametrize(
    ("rate", "value"),
    [
        (Decimal(80), Decimal(1)),  # d1.2 −2
        (Decimal("94.99"), Decimal(1)),
        (Decimal(95), Decimal(2)),  # d1.3 −1
        (Decimal("99.99"), Decimal(2)),
        (Decimal(100), Decimal(3)),  # exactly the plan
        (Decimal(110), Decimal(4)),  # d1.4 +1
        (Decimal("119.99"), Decimal(4)),
        (Decimal(120), Decimal(5)),  # d1.5 +2
    ],
)
def test_d1_completion_bands(guide, rate, value):
    assert scored(guide, d1_ty_le_thuc_hien_ke_hoach=rate).items["d1"] == value


def test_d1_no_plan_is_minus_3_and_nothing_else(guide):
    u = scored(
        guide,
        d1_1_khong_xay_dung_hoac_khong_thuc_hien=True,
        d1_ty_le_thuc_hien_ke_hoach=Decimal(0),
    )
    assert u.items["d1"] == Decimal(0)


def test_d2_combined_cap_of_7(guide):
    u = scored(guide, d2_1_so_truong_hop=6, d2_2_so_truong_hop=3, d2_3_so_vu_rut_don=1)
    assert u.items["d2"] == Decimal(0)  # −9 + 1 = −8, capped at −7
    u = scored(guide, d2_1_so_truong_hop=2, d2_4_so_truong_hop=1, d2_3_so_vu_rut_don=5)
    assert u.items["d2"] == Decimal("6.5")  # 7 − 2.5 + 2 (d2.3 capped at 2)


# -------------------------------------------------------------------------------- TC2 – TC5


def test_2_1_1_discipline_per_person_and_grade(guide):
    u = scored(guide, c211_so_cbcc_khien_trach=1, c211_so_cbcc_canh_cao_tro_len=1)
    assert u.items["2.1.1"] == Decimal(-3)
    assert u.items["2.1"] == Decimal(-2)  # the table sets no floor


def test_2_2_reports(guide):
    assert scored(guide, c221_so_bao_cao_gui_som=3).items["2.2"] == Decimal("2.5")
    assert scored(guide, c222_co_bao_cao_tre_han=True).items["2.2"] == Decimal(0)


@pytest.mark.parametrize(
    ("issued", "value"),
    [("2021-12-28", Decimal(2)), ("2022-01-31", Decimal(2)), ("2022-02-01", Decimal("1.5"))],
)
def test_3_1_plan_deadline(guide, issued, value):
    assert scored(guide, c312_ngay_ban_hanh_ke_hoach_cchc=issued).items["3.1"] == value


def test_3_2_campaign(guide):
    u = scored(guide, c32_co_phat_dong_bang_van_ban=False, c323_khong_kiem_tra=True)
    assert u.items["3.2"] == Decimal(1)


@pytest.mark.parametrize(
    ("dossiers", "early", "bonus"),
    [
        (800, Decimal("0.5"), Decimal(0)),  # under 1%: no bonus
        (800, Decimal(1), Decimal("0.5")),
        (999, Decimal(6), Decimal(1)),
        (800, Decimal("9.99"), Decimal("1.5")),
        (800, Decimal(10), Decimal(2)),
        (1000, Decimal("4.99"), Decimal(1)),
        (1500, Decimal(6), Decimal("1.5")),
        (1999, Decimal(7), Decimal(2)),
        (1500, Decimal(25), Decimal("2.5")),
        (2000, Decimal(1), Decimal("1.2")),
        (2500, Decimal(5), Decimal("1.7")),
        (2500, Decimal(8), Decimal("2.2")),
        (2500, Decimal(12), Decimal("2.7")),
    ],
)
def test_3_3_2_early_table(guide, dossiers, early, bonus):
    u = scored(guide, c33_so_ho_so_tiep_nhan=dossiers, c33_ty_le_truoc_han=early)
    assert u.items["3.3.2"] == bonus
    assert u.items["3.3"] == Decimal(6) + bonus


@pytest.mark.parametrize(
    ("dossiers", "late", "deduction"),
    [
        (900, 5, Decimal(-1)),  # 0.56%
        (500, 5, Decimal("-1.5")),  # 1%
        (500, 35, Decimal(-2)),  # 7%
        (500, 50, Decimal("-2.5")),  # 10%
        (1500, 3, Decimal("-0.5")),  # 0.2%
        (1500, 15, Decimal(-1)),  # 1%
        (1000, 99, Decimal("-1.5")),  # 9.9%
        (1000, 100, Decimal(-2)),  # 10%
        (2400, 12, Decimal("-0.2")),  # 0.5%
        (2500, 100, Decimal("-0.7")),  # 4%
        (2000, 140, Decimal("-1.2")),  # 7%
        (3000, 600, Decimal("-1.7")),  # 20%
    ],
)
def test_3_3_3_late_table(guide, dossiers, late, deduction):
    u = scored(guide, c33_so_ho_so_tiep_nhan=dossiers, c33_so_ho_so_tre_han=late)
    assert u.items["3.3.3"] == deduction
    assert u.items["3.3"] == Decimal(6) + deduction


def test_3_3_late_dossiers_cancel_the_early_bonus(guide):
    u = scored(
        guide,
        c33_so_ho_so_tiep_nhan=2500,
        c33_ty_le_truoc_han=Decimal(12),
        c33_so_ho_so_tre_han=1,  # 0.04%
    )
    assert u.items["3.3.2"] == Decimal(0)
    assert u.items["3.3.3"] == Decimal("-0.2")


def test_3_3_4_verified_complaint(guide):
    assert scored(guide, c334_phan_anh_xac_minh_dung=True).items["3.3"] == Decimal(4)


@pytest.mark.parametrize(
    ("issued", "value"), [("2022-01-31", Decimal(1)), ("2022-02-10", Decimal(0))]
)
def test_4_1_campaign_deadline(guide, issued, value):
    assert scored(guide, c411_ngay_ban_hanh_van_ban_phat_dong=issued).items["4.1"] == value


def test_4_3_articles_and_missed_quarters(guide):
    assert scored(guide, c431_so_bai_viet_duoc_dang=3).items["4.3"] == Decimal("2.1")
    assert scored(guide, c431_so_bai_viet_duoc_dang=9).items["4.3"] == Decimal("2.5")  # cap 1
    u = scored(guide, c432_so_quy_khong_viet_bai=4, c421_so_phong_trao_khong_tham_gia=2)
    assert u.items["4.3"] == Decimal("-0.5")  # no floor in the table
    assert u.items["4.2"] == Decimal("-0.5")


def test_5_reports_and_coordination(guide):
    u = scored(
        guide,
        c51_so_bao_cao_tre_han=2,
        c53_so_nhiem_vu_phoi_hop_tre=8,  # −4, capped at −3 on its line
        c55_so_nhiem_vu_khong_phoi_hop=2,  # −2
    )
    assert u.items["5.a"] == Decimal(1)
    assert u.items["5.b"] == Decimal(0)  # together capped at −3
    assert u.items["TC5"] == Decimal(1)


# -------------------------------------------------------------------------------- ranking


def test_ranking_breaks_ties_by_tc1_then_deductions(guide):
    subs = [
        unit("a", a1_1_so_truong_hop=1, c221_so_bao_cao_gui_som=1),  # 100.5, TC1 79.5
        unit("b", c51_so_bao_cao_tre_han=1, c221_so_bao_cao_gui_som=1),  # 100.5, TC1 80, −0.5
        unit("c"),  # 100.5, TC1 80, no deduction
    ]
    result = score(guide, subs)
    assert [u.total for u in result.units] == [PERFECT_TOTAL] * 3
    assert [(u.unit_id, u.rank) for u in result.units] == [("c", 1), ("b", 2), ("a", 3)]
    assert not result.ties
