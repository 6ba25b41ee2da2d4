"""Issue 14, rule 10: rank to points from an outside ranking (``rank_points: {rank: …}``).

Real numbers: the police cluster guide (``rulesets/congan-cum347-2024.yaml``, criterion
``CUC``; ``../shared/guides/congan-*.txt``): "điểm chấm của các Cục nghiệp vụ: xếp thứ nhất 60,
thứ hai 45, thứ ba 30, thứ tư 15, thứ năm 0". The Cục rank the units themselves: the rank comes
from outside, and a unit whose submission is rejected here must not move anyone else's points.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulation_rules import check_ruleset, load_ruleset, parse_submissions, score
from emulation_rules.engine.scoring import trace_to_dict

GUIDE = """\
format: emulation-rules/v2
id: cum-mau-hang-ngoai
version: "2024.1"
title: Cụm thi đua mẫu (điểm chấm của các Cục nghiệp vụ, xếp thứ từ ngoài)
period: "2024"
scale: 60
inputs:
  thu_hang_cuc: {type: count, label: Thứ hạng do các Cục nghiệp vụ xếp, min: 1, missing: not_applicable}
  diem_cuc: {type: decimal, label: Điểm bình quân các Cục, min: 0, max: 100, required: true}
criteria:
  - id: CUC
    title: Điểm chấm của các Cục nghiệp vụ
    max: 60
    rank_points:
      {source}
      points: [60, 45, 30, 15, 0]
"""

GIVEN = "rank: thu_hang_cuc"
IN_RUN = "of: diem_cuc"

UNITS = [  # the Cục's own ranking (1st to 4th) and the average points behind it
    ("ca-tinh-a", 1, "92.5"),
    ("ca-tinh-b", 2, "88"),
    ("ca-tinh-c", 3, "80.25"),
    ("ca-tinh-d", 4, "71"),
]


def guide(tmp_path: Path, source: str):
    path = tmp_path / f"g-{source.partition(':')[0]}.yaml"
    path.write_text(GUIDE.replace("{source}", source), encoding="utf-8")
    return load_ruleset(path)


def submissions(*, reject_first: bool):
    units = []
    for unit_id, rank, points in UNITS:
        values = {"thu_hang_cuc": rank, "diem_cuc": points}
        if reject_first and rank == 1:
            values["diem_cuc"] = "92,5"  # a decimal comma: this unit is rejected here
        units.append({"unit_id": unit_id, "name": unit_id, "values": values})
    return parse_submissions(
        {"ruleset": "cum-mau-hang-ngoai", "ruleset_version": "2024.1", "units": units}
    )


def points(result) -> dict[str, object]:
    return {u.unit_id: u.items["CUC"] for u in result.units}


def test_points_follow_the_rank_given_from_outside(tmp_path):
    result = score(guide(tmp_path, GIVEN), submissions(reject_first=False))
    assert points(result) == {"ca-tinh-a": 60, "ca-tinh-b": 45, "ca-tinh-c": 30, "ca-tinh-d": 15}


def test_a_rejected_unit_shifts_no_one_with_a_given_rank(tmp_path):
    result = score(guide(tmp_path, GIVEN), submissions(reject_first=True))
    assert [r.unit_id for r in result.rejected] == ["ca-tinh-a"]
    assert points(result) == {"ca-tinh-b": 45, "ca-tinh-c": 30, "ca-tinh-d": 15}


def test_ranked_within_the_run_a_rejected_unit_shifts_everyone(tmp_path):
    # the v1 behaviour, kept for 'of': the ranking is recomputed among the scored units
    result = score(guide(tmp_path, IN_RUN), submissions(reject_first=True))
    assert points(result) == {"ca-tinh-b": 60, "ca-tinh-c": 45, "ca-tinh-d": 30}


def test_the_trace_says_the_rank_was_given(tmp_path):
    unit = score(guide(tmp_path, GIVEN), submissions(reject_first=True)).unit("ca-tinh-c")
    assert unit.trace is not None
    [node] = trace_to_dict(unit.trace)["children"]
    assert node["cohort"] == {"thứ hạng cho từ ngoài": 3}
    assert "thứ hạng cho từ ngoài" in node["note"]
    assert node["rule"].startswith("thứ hạng cho từ ngoài (thu_hang_cuc)")


def test_a_rank_beyond_the_list_a_missing_rank_and_a_bad_rank(tmp_path):
    compiled = guide(tmp_path, GIVEN)
    data = {
        "ruleset": "cum-mau-hang-ngoai",
        "ruleset_version": "2024.1",
        "units": [
            {"unit_id": "sau", "name": "Thứ sáu", "values": {"thu_hang_cuc": 6, "diem_cuc": 1}},
            {"unit_id": "khong", "name": "Không có", "values": {"diem_cuc": 1}},
        ],
    }
    result = score(compiled, parse_submissions(data))
    assert result.unit("sau").items["CUC"] == 0  # beyond the list: otherwise (0)
    missing = result.unit("khong")
    assert "CUC" in missing.not_applicable  # no rank: out of the unit's maximum
    assert missing.max == 0
    formula = tmp_path / "f.yaml"
    formula.write_text(
        GUIDE.replace("{source}", "rank: diem_cuc / 10").replace("required: true", "missing: 0"),
        encoding="utf-8",
    )
    data["units"][0]["values"]["diem_cuc"] = 15  # rank 1.5: not a whole number
    failed = score(load_ruleset(formula), parse_submissions(data)).unit("sau")
    assert failed.status == "error"
    assert "a rank is a whole number from 1" in failed.issues[-1].message


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("rank: thu_hang_cuc\n      of: diem_cuc", "invalid-value"),  # one source only
        ("rank: thu_hang_cuc\n      order: asc", "invalid-value"),  # order ranks here
        ("rank: thu_hang_cucc", "unknown-input"),
    ],
)
def test_a_given_rank_is_checked_when_the_guide_loads(tmp_path, source, code):
    path = tmp_path / "g.yaml"
    path.write_text(GUIDE.replace("{source}", source), encoding="utf-8")
    assert code in [i.code for i in check_ruleset(path) if i.severity == "error"]


def test_a_given_rank_needs_format_v2(tmp_path):
    path = tmp_path / "g.yaml"
    text = GUIDE.replace("{source}", GIVEN).replace("emulation-rules/v2", "emulation-rules/v1")
    path.write_text(text, encoding="utf-8")
    [issue] = [i for i in check_ruleset(path) if i.severity == "error"]
    assert (issue.code, issue.path[-1]) == ("needs-format-v2", "rank")
