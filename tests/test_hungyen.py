"""The Hưng Yên 2021 guide (``rulesets/hungyen-cumkhoi-2021.yaml``) and its example.

The scoring method is real (``shared/guides/hungyen-cumkhoi-2021.txt``, part V: V.1 the plan
ratio with the excess moved to bonus and the inverse ratio of the four "giảm" indicators, V.2
every bonus and deduction with its points, V.3 who scores what, V.4 the total; part VI the 02
Cờ and 01 Bằng khen per block); the annex of criteria is not in the document and is modelled
(I 600, II 300, III 100 of 1000 points; grades B, C, D at 85%, 70%, 50% of the benchmark S).
The example scores the 10 real district-level units with their cluster file (the roles) and a
reviews file in which each body reviews only its sections.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from functools import cache
from pathlib import Path

from emulation_rules import (
    ClusterData,
    Submission,
    load_cluster,
    load_reviews,
    load_ruleset,
    load_submissions,
    score,
)

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "rulesets" / "hungyen-cumkhoi-2021.yaml"
EXAMPLE = ROOT / "examples" / "hungyen-2021"
AS_OF = date(2022, 1, 10)

#: The 10 district-level units of Hưng Yên (1 city, 1 town, 8 districts).
MEMBERS = {
    "tp-hung-yen",
    "tx-my-hao",
    "van-lam",
    "van-giang",
    "yen-my",
    "an-thi",
    "khoai-chau",
    "kim-dong",
    "tien-lu",
    "phu-cu",
}
#: The benchmark S of each quantitative item (modelled annex, content I).
S_I = {
    "I.1": D(80),
    "I.2": D(60),
    "I.3": D(60),
    "I.4": D(50),
    "I.5": D(50),
    "I.6": D(50),
    "I.7": D(60),
    "I.8": D(60),
    "I.9": D(60),
    "I.10": D(70),
}


@cache
def guide():
    return load_ruleset(GUIDE)


@cache
def submissions() -> tuple[Submission, ...]:
    batch = load_submissions([EXAMPLE / "submissions.yaml"])
    assert not batch.rejected, batch.rejected
    return batch.submissions


@cache
def cluster() -> ClusterData:
    return load_cluster(EXAMPLE / "cluster.yaml")


@cache
def example():
    return score(guide(), submissions(), cluster=cluster())


def changed(unit_id: str, **values) -> list[Submission]:
    out = []
    for sub in submissions():
        if sub.unit_id == unit_id:
            sub = sub.model_copy(update={"values": {**sub.values, **values}})  # noqa: PLW2901
        out.append(sub)
    return out


def test_guide_is_v2_and_loads_without_errors_or_warnings():
    compiled = guide()
    assert compiled.ruleset.format == "emulation-rules/v2"
    assert compiled.issues == ()
    assert compiled.ruleset.scale == 1000
    assert sum(S_I.values()) == 600  # the modelled annex adds up: I 600 + II 300 + III 100
    assert [c.max for c in compiled.ruleset.criteria] == [600, 300, 100]


def test_example_scores_the_10_real_units_ranked_1_to_10():
    result = example()
    assert result.ok
    assert result.rejected == ()
    assert result.issues == ()
    assert {u.unit_id for u in result.units} == MEMBERS
    assert [u.rank for u in result.units] == list(range(1, 11))
    assert all(u.issues == () for u in result.units)


def test_no_quantitative_bonus_above_10_percent_of_s_nor_above_20_in_all():
    # V.2.a: "không vượt quá 10% điểm chuẩn"; "Tổng số điểm thưởng … không quá 20 điểm".
    for unit in example().units:
        for item, s in S_I.items():
            assert unit.items[item] <= s * D("1.1"), (unit.unit_id, item)
        assert unit.items["I"] <= 620
    # Thị xã Mỹ Hào: bonuses 8 + 6 + 6 + 0 + 5 + 3,14… + 6 + 6 + 6 + 7 = 53,14… > 20: I = 620.
    my_hao = example().unit("tx-my-hao")
    assert [my_hao.items[i] for i in ("I.1", "I.2", "I.4", "I.10")] == [88, 66, 50, 77]
    assert sum(my_hao.items[i] for i in S_I) - 600 > 53
    assert my_hao.items["I"] == 620


def test_giam_indicator_divides_the_plan_by_the_result_and_zero_scores_the_benchmark():
    # V.1: "Lấy đăng ký kế hoạch đầu năm chia cho kết quả thực hiện … nhân với điểm chuẩn".
    # Thành phố Hưng Yên: hộ nghèo kế hoạch 1,39%, thực hiện 1,16%: 60 × 1,39 / 1,16 = 71,89…
    unit = example().unit("tp-hung-yen")
    assert unit.items["I.7.a"] == D(60) * D("1.39") / D("1.16")
    assert unit.items["I.7"] == 66  # 60 + at most 6
    # No poor household left: the source's formula divides by 0; when_zero: max → S, no bonus.
    result = score(guide(), changed("tp-hung-yen", ty_le_ho_ngheo_thuc_hien=0), cluster=cluster())
    assert result.unit("tp-hung-yen").items["I.7"] == 60


def test_late_reports_are_scored_one_by_one_by_days_late():
    # V.2.b: 5–<10 days −5, 10–<15 −10, ≥15 −20, per report.
    result = example()
    assert result.unit("tx-my-hao").items["II.D2"] == -5  # 6 days
    assert result.unit("van-giang").items["II.D2"] == -10  # 3 days (nothing) and 11 days
    assert result.unit("tien-lu").items["II.D2"] == -20  # 17 days
    late = [{"ten": "Báo cáo A", "so_ngay": 5}, {"ten": "Báo cáo B", "so_ngay": 15}]
    rescored = score(guide(), changed("tx-my-hao", bao_cao_cham=late), cluster=cluster())
    unit = rescored.unit("tx-my-hao")
    assert unit.items["II.D2"] == -25
    assert unit.total == example().unit("tx-my-hao").total - 20


def test_head_of_block_deduction_reads_the_role_from_the_cluster_file():
    # V.2.b: −10 for "đơn vị Trưởng khối, Phó trưởng khối" that did not fulfil its duties.
    assert example().unit("kim-dong").items["III.D3"] == -10  # Phó trưởng khối in cluster.yaml
    facts = {"vai_tro": {"tx-my-hao": "truong_khoi", "van-lam": "pho_truong_khoi"}}
    member = ClusterData.model_validate({**cluster().model_dump(), "facts": facts})
    result = score(guide(), submissions(), cluster=member)
    assert result.unit("kim-dong").items["III.D3"] == 0  # an ordinary member: no deduction
    assert result.unit("kim-dong").total == example().unit("kim-dong").total + 10


def test_role_is_never_typed_by_a_unit_and_needs_the_cluster_file():
    result = score(guide(), changed("an-thi", vai_tro="truong_khoi"), cluster=cluster())
    [rejected] = result.rejected
    assert rejected.unit_id == "an-thi"
    assert [i.code for i in rejected.issues] == ["cluster-fact-in-submission"]
    without = score(guide(), submissions())
    assert without.units == ()
    assert {r.unit_id for r in without.rejected} == MEMBERS
    assert {i.code for r in without.rejected for i in r.issues} == {"cluster-fact-missing"}


def test_awards_two_flags_and_one_bang_khen_and_discipline_excludes():
    # VI: "02 Cờ và 01 Bằng khen" per block; V.2.b: a leader warned or worse is not proposed.
    awards = {a.id: a.awarded for a in example().awards}
    assert awards == {
        "co-thi-dua-ubnd-tinh": ("tp-hung-yen", "tx-my-hao"),
        "bang-khen-chu-tich-ubnd-tinh": ("van-lam",),
    }
    phu_cu = example().unit("phu-cu")
    assert (phu_cu.items["II.D3"], phu_cu.eligible) == (-20, False)


def test_each_body_reviews_only_its_sections():
    reviews = list(load_reviews(EXAMPLE / "reviews.yaml").reviews)
    result = score(guide(), submissions(), cluster=cluster(), reviews=reviews, as_of=AS_OF)
    assert result.issues == ()
    # truong_khoi (I, II): Văn Giang II.2 agreed at grade B, 0,85 × 50 = 42,5.
    assert result.unit("van-giang").items["II.2"] == D("42.5")
    # truong_khoi corrects Khoái Châu's I.4 result from 4 to 3 villages (plan 4): 50 × 3 / 4.
    assert result.unit("khoai-chau").items["I.4"] == D("37.5")
    # hoi_dong (III): Văn Lâm III.4 17 instead of 20; Yên Mỹ 2 files returned, −10.
    assert result.unit("van-lam").items["III.4"] == 17
    assert result.unit("yen-my").items["III.D2"] == -10
    assert [u.total for u in result.units][:3] == [D(1030), D("1017.5"), D("1011.5")]


def test_a_body_setting_another_bodys_section_is_refused(tmp_path):
    text = (EXAMPLE / "reviews.yaml").read_text(encoding="utf-8")
    wrong = text.replace("item: II.2", "item: III.2")  # Trưởng khối scores content III
    path = tmp_path / "reviews.yaml"
    path.write_text(wrong, encoding="utf-8")
    reviews = list(load_reviews(path).reviews)
    result = score(guide(), submissions(), cluster=cluster(), reviews=reviews, as_of=AS_OF)
    assert [i.code for i in result.issues] == ["review-not-owner"]
    # III.2 as the rule gives: Văn Giang's own grade B, 0,85 × 30.
    assert result.unit("van-giang").items["III.2"] == D("25.5")
