"""The cluster phase: Article 6 target rule, rank-to-points, eligibility, awards and votes."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from emulation_rules import RulesetError, Submission, evaluate, score
from emulation_rules.inputs.cluster_data import ClusterData

ARTICLE_6 = """
inputs:
  a: {type: decimal, label: "Số đối tượng phát hiện, tấn công, vô hiệu hóa", required: true}
  t: {type: decimal, label: Chỉ tiêu được giao, missing: not_applicable}
criteria:
  - id: "1"
    title: "Phát hiện, tấn công, vô hiệu hóa đối tượng phát tán thông tin xấu độc"
    max: 5
    target: {achieved: a, target: t}
  - {id: "2", title: Các tiêu chí còn lại, max: 995}
ranking: {by: [percent]}
"""


def units(*rows):
    return [Submission(unit_id=u, name=f"Công an {u}", values=v) for u, v in rows]


@pytest.fixture
def article6(make_guide):
    return make_guide(ARTICLE_6, scale=1000)


def test_article_6_worked_examples(article6):
    # S = 5, T = 10: A=8 → 2; A=10 → 2.5; A=20 leading → 5; A=15 → 2.5 + 50/100·2.5 = 3.75
    result = score(
        article6,
        units(
            ("A", {"a": 8, "t": 10}),
            ("B", {"a": 10, "t": 10}),
            ("C", {"a": 20, "t": 10}),
            ("D", {"a": 15, "t": 10}),
        ),
    )
    assert {u.unit_id: u.items["1"] for u in result.units} == {
        "A": D(2),
        "B": D("2.5"),
        "C": D(5),
        "D": D("3.75"),
    }
    trace = result.unit("D").trace
    assert trace is not None
    node = trace.find("1")
    assert node is not None
    assert dict(node.cohort) == {
        "chỉ tiêu": D(10),
        "kết quả": D(15),
        "tỷ lệ vượt %": D(50),
        "tỷ lệ vượt % dẫn đầu cụm": D(100),
        "đơn vị dẫn đầu": "C",
    }


def test_item_with_no_target_leaves_the_maximum(article6):
    result = score(article6, units(("A", {"a": 8, "t": 10}), ("E", {"a": 4})))
    assert result.unit("E").max == 995
    assert result.unit("E").not_applicable == ("1",)
    assert result.unit("A").max == 1000


def test_ten_point_item_with_no_target_gives_990(make_guide):
    guide = make_guide(
        ARTICLE_6.replace("max: 5", "max: 10").replace("max: 995", "max: 990"), scale=1000
    )
    assert evaluate(guide, Submission(unit_id="x", name="X", values={"a": 3})).max == 990


def test_units_without_target_scored_against_their_leader(make_guide):
    guide = make_guide(
        ARTICLE_6.replace(
            "target: {achieved: a, target: t}",
            "target: {achieved: a, target: t, no_target: leader}",
        ),
        scale=1000,
    )
    result = score(guide, units(("A", {"a": 8, "t": 10}), ("E", {"a": 4}), ("F", {"a": 6})))
    assert result.unit("E").items["1"] == D(5) * 4 / 6
    assert result.unit("F").items["1"] == 5
    assert result.unit("E").max == 1000


def test_several_leaders_all_get_full_points(article6):
    result = score(
        article6,
        units(("A", {"a": 20, "t": 10}), ("B", {"a": 30, "t": 15}), ("C", {"a": 11, "t": 10})),
    )
    assert result.unit("A").items["1"] == 5
    assert result.unit("B").items["1"] == 5
    assert result.unit("C").items["1"] == D("2.5") + D(10) / 100 * D("2.5")


def test_zero_target_fails_only_that_unit(article6):
    result = score(article6, units(("A", {"a": 8, "t": 0}), ("B", {"a": 10, "t": 10})))
    assert result.unit("A").status == "error"
    assert result.unit("A").issues[0].code == "eval-div-zero"
    assert result.unit("A").issues[0].rule_id == "1"
    assert result.unit("B").items["1"] == D("2.5")


def test_cluster_items_cannot_read_other_criteria(make_guide):
    with pytest.raises(RulesetError) as caught:
        make_guide(ARTICLE_6.replace("achieved: a,", "achieved: score('2'),"), scale=1000)
    [error] = [i for i in caught.value.issues if i.severity == "error"]
    assert "cluster-phase" in error.message


RANK_POINTS = """
inputs:
  cuc_a: {type: decimal, label: Điểm Cục A chấm, missing: not_applicable}
  cuc_b: {type: decimal, label: Điểm Cục B chấm, missing: not_applicable}
  cuc_c: {type: decimal, label: Điểm Cục C chấm, missing: not_applicable}
criteria:
  - id: "9"
    title: Điểm chấm của các Cục nghiệp vụ (xếp thứ trong Cụm thi đua số 6)
    max: 60
    rank_points:
      average_of: [cuc_a, cuc_b, cuc_c]
      points: [60, 45, 30, 15, 0]
"""


def test_rank_to_points_after_averaging_raters(make_guide):
    guide = make_guide(RANK_POINTS, scale=60)
    result = score(
        guide,
        units(
            ("P1", {"cuc_a": 90, "cuc_b": 80}),  # 85
            ("P2", {"cuc_a": 95}),  # 95
            ("P3", {"cuc_a": 70, "cuc_b": 80, "cuc_c": 90}),  # 80
            ("P4", {"cuc_c": 85}),  # 85, tied with P1
            ("P5", {"cuc_a": 60}),  # 60
            ("P6", {"cuc_b": 50}),  # 50: sixth, beyond the list
            ("P7", {}),  # no score at all: not applicable
        ),
    )
    points = {u.unit_id: u.items["9"] for u in result.units}
    assert points == {"P2": 60, "P1": 45, "P4": 45, "P3": 15, "P5": 0, "P6": 0, "P7": 0}
    assert result.unit("P7").max == 0
    trace = result.unit("P4").trace
    assert trace is not None
    node = trace.find("9")
    assert node is not None
    assert dict(node.cohort)["thứ hạng trong cụm"] == 2
    assert dict(node.cohort)["đồng hạng với"] == "P1"


AWARDS = """
total: {may_exceed_scale: true}
inputs:
  diem: {type: decimal, label: Điểm, required: true}
  ky_luat: {type: bool, label: Có cán bộ bị kỷ luật, missing: false}
criteria:
  - {id: A, title: Điểm, max: 100, formula: diem}
classification:
  bands:
    - {from: 90, label: Hoàn thành xuất sắc nhiệm vụ}
    - {from: 70, below: 90, label: Hoàn thành tốt nhiệm vụ}
  otherwise: Hoàn thành nhiệm vụ
eligibility:
  - {id: KL, when: ky_luat, reason: Có cán bộ bị kỷ luật trong năm}
awards:
  - id: co-bo
    title: Cờ thi đua của Bộ
    requires: {classification: [Hoàn thành xuất sắc nhiệm vụ]}
    quota: {percent: 20, of: eligible, rounding: floor}
  - id: bang-khen
    title: Bằng khen
    requires: {classification: [Hoàn thành xuất sắc nhiệm vụ, Hoàn thành tốt nhiệm vụ]}
"""

SEVEN = (
    ("bac-kan", {"diem": 98}),
    ("bac-giang", {"diem": 96}),
    ("phu-tho", {"diem": 95}),
    ("thai-nguyen", {"diem": 91}),
    ("tuyen-quang", {"diem": 85, "ky_luat": True}),
    ("yen-bai", {"diem": 80}),
    ("hoa-binh", {"diem": 60}),
)


def test_quota_arithmetic_and_no_double_award(make_guide):
    guide = make_guide(AWARDS)
    result = score(guide, units(*SEVEN))
    flag, merit = result.awards
    # 6 eligible units (one has a discipline finding): 20% of 6 = 1.2 → 1
    assert flag.arithmetic == "20% của 6 đơn vị đủ điều kiện = 1.2 → 1 (làm tròn xuống)"
    assert flag.awarded == ("bac-kan",)
    assert merit.awarded == ("bac-giang", "phu-tho", "thai-nguyen", "yen-bai")
    decisions = {d.unit_id: d.reason for d in merit.decisions}
    assert decisions["bac-kan"].startswith("đã được đề nghị Cờ thi đua của Bộ")
    assert (
        decisions["tuyen-quang"]
        == "không đủ điều kiện khen thưởng: KL: Có cán bộ bị kỷ luật trong năm"
    )
    assert "Hoàn thành nhiệm vụ" in decisions["hoa-binh"]
    assert result.unit("bac-kan").awards == ("co-bo",)
    assert result.unit("tuyen-quang").eligible is False


def test_allow_with_permits_two_awards(make_guide):
    guide = make_guide(
        AWARDS.replace("    title: Bằng khen\n", "    title: Bằng khen\n    allow_with: [co-bo]\n")
    )
    result = score(guide, units(*SEVEN))
    assert result.unit("bac-kan").awards == ("co-bo", "bang-khen")


def test_a_tie_at_the_quota_is_never_split(make_guide):
    guide = make_guide(
        AWARDS.replace("quota: {percent: 20, of: eligible, rounding: floor}", "quota: {count: 2}")
    )
    result = score(
        guide,
        units(("a", {"diem": 98}), ("b", {"diem": 95}), ("c", {"diem": 95}), ("d", {"diem": 91})),
    )
    flag = result.awards[0]
    assert flag.awarded == ("a",)
    reasons = {d.unit_id: d.reason for d in flag.decisions}
    assert reasons["b"].startswith("đồng hạng 2 với b, c: còn 1 suất")
    assert reasons["d"].startswith("suất còn lại chờ cuộc họp quyết định")


VOTE = AWARDS.replace(
    "    quota: {percent: 20, of: eligible, rounding: floor}\n",
    "    quota: {count: 3}\n    vote: {base: members, threshold: 50, strict: true, quorum: '2/3'}\n",
)


def test_vote_strictly_more_than_half_of_members(make_guide):
    guide = make_guide(VOTE)
    cluster = ClusterData(
        meeting={"attendees": 6}, votes={"co-bo": {"bac-kan": 6, "bac-giang": 4, "phu-tho": 3}}
    )
    result = score(guide, units(*SEVEN), cluster=cluster)
    flag = result.awards[0]
    assert flag.awarded == ("bac-kan", "bac-giang")
    assert flag.vote == "cần trên 50% số đơn vị thành viên (7); dự họp 6/7, đủ 2/3"
    reasons = {d.unit_id: d.reason for d in flag.decisions}
    assert reasons["phu-tho"] == "được 3/7 phiếu, chưa đạt trên 50%"


def test_vote_at_least_a_share_of_attendees(make_guide):
    guide = make_guide(
        VOTE.replace(
            "base: members, threshold: 50, strict: true",
            "base: attendees, threshold: 50, strict: false",
        )
    )
    cluster = ClusterData(
        meeting={"attendees": 6}, votes={"co-bo": {"bac-kan": 6, "bac-giang": 4, "phu-tho": 3}}
    )
    result = score(guide, units(*SEVEN), cluster=cluster)
    assert result.awards[0].awarded == (
        "bac-kan",
        "bac-giang",
        "phu-tho",
    )  # 3/6 is "từ 50% trở lên"


def test_no_quorum_means_no_award(make_guide):
    guide = make_guide(VOTE)
    cluster = ClusterData(meeting={"attendees": 4}, votes={"co-bo": {"bac-kan": 4}})
    result = score(guide, units(*SEVEN), cluster=cluster)
    assert result.awards[0].awarded == ()
    assert "không đủ số thành viên dự họp" in (result.awards[0].vote or "")


def test_missing_votes_are_reported(make_guide):
    result = score(make_guide(VOTE), units(*SEVEN))
    assert result.awards[0].awarded == ()
    assert result.awards[0].vote is not None
    assert "chưa có số phiếu" in result.awards[0].vote


def test_next_year_heads_are_recorded_not_derived(make_guide, tmp_path):
    guide = make_guide(AWARDS)
    cluster = ClusterData(next_year={"head": "thai-nguyen", "deputies": ["hoa-binh"]})
    result = score(guide, units(*SEVEN), cluster=cluster)
    data = result.to_dict()
    assert data["cluster"]["next_year"] == {"head": "thai-nguyen", "deputies": ["hoa-binh"]}
    unit = next(u for u in data["units"] if u["unit_id"] == "bac-kan")
    assert {"percent", "classification", "eligible", "awards"} <= set(unit)
    assert unit["awards"] == ["co-bo"]


def test_award_referring_to_unknown_label_is_a_guide_error(make_guide):
    with pytest.raises(RulesetError) as caught:
        make_guide(
            AWARDS.replace(
                "requires: {classification: [Hoàn thành xuất sắc nhiệm vụ]}",
                "requires: {classification: [Xuất sắc]}",
            )
        )
    assert caught.value.issues[0].code == "invalid-value"
    assert caught.value.issues[0].hint == "did you mean 'Hoàn thành xuất sắc nhiệm vụ'?"


def test_rank_decided_by_names_the_separating_key(make_guide):
    guide = make_guide(AWARDS.replace("criteria:", "ranking: {by: [total, deductions]}\ncriteria:"))
    result = score(guide, units(("a", {"diem": 98}), ("b", {"diem": 95})))
    assert [u.rank_decided_by for u in result.units] == [None, "total"]
