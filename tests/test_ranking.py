"""Ranking: declared keys, rank methods, ties shared and reported, never arbitrary."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from emulation_rules import Submission, score

GUIDE = """
total: {may_exceed_scale: true}
inputs:
  a: {type: decimal, label: Điểm nhóm A, required: true}
  b: {type: decimal, label: Điểm nhóm B, required: true}
  tru: {type: decimal, label: Điểm trừ, missing: 0, min: 0}
criteria:
  - id: A
    title: Nhóm A
    max: 50
    formula: a
  - id: B
    title: Nhóm B
    max: 50
    formula: b
    children:
      - {id: B.1, title: Trừ, kind: deduction, formula: -tru}
ranking:
  by: {by}
  method: {method}
"""


def cluster(make_guide, units, *, by="[total]", method="competition"):
    guide = make_guide(GUIDE.replace("{by}", by).replace("{method}", method))
    subs = [
        Submission(unit_id=uid, name=uid.upper(), values={"a": D(a), "b": D(b), "tru": D(t)})
        for uid, a, b, t in units
    ]
    return score(guide, subs)


UNITS = [
    ("u1", "40", "40", "0"),
    ("u2", "45", "35", "0"),
    ("u3", "30", "45", "0"),
    ("u4", "40", "41", "1"),
]


@pytest.mark.parametrize(
    ("method", "ranks"),
    [
        ("competition", [1, 1, 1, 4]),
        ("dense", [1, 1, 1, 2]),
        ("ordinal", [1, 2, 3, 4]),
    ],
)
def test_rank_methods(make_guide, method, ranks):
    result = cluster(make_guide, UNITS, method=method)
    assert [u.rank for u in result.units] == ranks
    assert [u.unit_id for u in result.units] == ["u1", "u2", "u4", "u3"]
    assert len(result.ties) == 1
    assert result.ties[0].unit_ids == ("u1", "u2", "u4")
    [warning] = result.issues
    assert warning.code == "tie-unresolved"
    assert warning.severity == "warning"


def test_tie_breakers_are_applied_in_order(make_guide):
    result = cluster(make_guide, UNITS, by="[total, {score: A}, deductions]")
    assert [(u.unit_id, u.rank) for u in result.units] == [
        ("u2", 1),
        ("u1", 2),
        ("u4", 3),
        ("u3", 4),
    ]
    assert result.ties == ()
    assert dict(result.unit("u4").rank_keys) == {"total": "80", "score:A": "40", "deductions": "1"}


def test_fewer_deductions_breaks_a_tie(make_guide):
    units = [("x", "40", "40", "0"), ("y", "40", "41", "1")]
    result = cluster(make_guide, units, by="[total, deductions]")
    assert [(u.unit_id, u.rank) for u in result.units] == [("x", 1), ("y", 2)]


def test_ascending_order_for_a_score_key(make_guide):
    result = cluster(make_guide, UNITS, by="[total, {score: A, order: asc}]")
    assert [(u.unit_id, u.rank) for u in result.units] == [
        ("u1", 1),
        ("u4", 1),
        ("u2", 3),
        ("u3", 4),
    ]


def test_unranked_units_follow_with_no_rank(make_guide):
    guide = make_guide(
        GUIDE.replace("{by}", "[total]").replace("{method}", "competition")
        + """
not_classified:
  - {id: G, when: a < 10, reason: Không gửi báo cáo}
"""
    )
    result = score(
        guide,
        [
            Submission(unit_id="a", name="A", values={"a": 5, "b": 50}),
            Submission(unit_id="b", name="B", values={"a": 20, "b": 20}),
        ],
    )
    assert [(u.unit_id, u.rank, u.status) for u in result.units] == [
        ("b", 1, "scored"),
        ("a", None, "not_classified"),
    ]


def test_unknown_ranking_criterion_is_a_guide_error(make_guide):
    from emulation_rules import RulesetError

    with pytest.raises(RulesetError) as caught:
        make_guide(GUIDE.replace("{by}", "[total, {score: C}]").replace("{method}", "dense"))
    assert [i.code for i in caught.value.issues] == ["unknown-criterion"]
