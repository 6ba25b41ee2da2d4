"""What-if (issue 21): the least change of a unit's inputs that reaches a goal, verified.

Every shipped example: each unit not ranked first gets, for the rank above its own, a change
that reaches it when the cluster is re-scored, or a reason why none exists. Small generated
guides: a brute force over the whole domain confirms every answer, every "unreachable" and
that no answer changes fewer inputs.
"""

from __future__ import annotations

import io
import itertools
import json
from decimal import Decimal as D
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulation_rules import (
    EmulationRulesError,
    Submission,
    compare_units,
    load_cluster,
    load_ruleset,
    load_submissions,
    score,
    whatif,
)
from emulation_rules.cli import run
from emulation_rules.inputs.reviews import load_reviews

ROOT = Path(__file__).resolve().parent.parent
#: Example folder -> guide id, where they differ.
GUIDE_OF = {
    "congan-cum347": "congan-cum347-2024",
    "tiengiang-2022": "tiengiang-stnmt-2022",
    "hungyen-2021": "hungyen-cumkhoi-2021",
}
# the example clusters (examples/service/ is the reference web service, not a cluster)
EXAMPLES = sorted(p.parent.name for p in (ROOT / "examples").glob("*/submissions.yaml"))
TINH_MAU = "tinh-mau-stnmt-2022"


@cache
def example(name: str) -> tuple[Any, tuple[Submission, ...], Any, tuple[Any, ...]]:
    folder = ROOT / "examples" / name
    guide = load_ruleset(ROOT / "rulesets" / f"{GUIDE_OF.get(name, name)}.yaml")
    subs = load_submissions([folder / "submissions.yaml"]).submissions
    cluster = load_cluster(folder / "cluster.yaml") if (folder / "cluster.yaml").exists() else None
    reviews = (
        tuple(load_reviews(folder / "reviews.yaml").reviews)
        if (folder / "reviews.yaml").exists()
        else ()
    )
    return guide, subs, cluster, reviews


@pytest.mark.slow
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_unit_gets_one_rank_higher_or_a_reason(name: str) -> None:
    guide, subs, cluster, reviews = example(name)
    result = score(guide, subs, cluster=cluster, reviews=reviews)
    for unit in result.units:
        if unit.rank is None or unit.rank == 1:
            continue
        goal = f"rank:{unit.rank - 1}"
        answer = whatif(
            guide, subs, unit.unit_id, goal, cluster=cluster, reviews=reviews, budget=12
        )
        assert answer.status in ("reached", "unreachable"), (unit.unit_id, answer.reason)
        if answer.status == "unreachable":
            assert answer.reason
            assert answer.reason.startswith("tổng điểm tối đa có thể đạt là")
            continue
        # verified independently: the changed submission, the cluster re-scored
        assert answer.submission is not None
        changed = [answer.submission if s.unit_id == unit.unit_id else s for s in subs]
        again = score(guide, changed, cluster=cluster, reviews=reviews).unit(unit.unit_id)
        assert again.rank is not None
        assert again.rank <= unit.rank - 1
        assert answer.after is not None
        assert answer.after.rank == again.rank
        assert answer.after.total == again.total
        assert answer.changes
        for change in answer.changes:
            assert change.input not in {"", None}
            assert answer.submission.values[change.input] == change.new
            assert " từ " in change.text


def test_a_single_change_with_its_points_in_vietnamese() -> None:
    guide, subs, _, _ = example(TINH_MAU)
    answer = whatif(guide, subs, "huyen-c", "class:Hoàn thành xuất sắc nhiệm vụ")
    assert answer.status == "reached"
    assert answer.fewest
    [change] = answer.changes
    assert change.text == (
        "tăng tỷ lệ cơ sở sản xuất kinh doanh đạt tiêu chuẩn môi trường từ 88% lên 96%: "
        "+0,5 điểm ở c2.1"
    )
    assert change.points == (("c2.1", D("0.5")),)
    assert answer.after is not None
    assert answer.after.classification == "Hoàn thành xuất sắc nhiệm vụ"
    # the least: one step less does not reach the goal
    less = answer.submission.model_copy(
        update={"values": {**answer.submission.values, change.input: D(95)}}
    )
    changed = [less if s.unit_id == "huyen-c" else s for s in subs]
    assert score(guide, changed).unit("huyen-c").classification != "Hoàn thành xuất sắc nhiệm vụ"


def test_keep_forbids_an_input() -> None:
    guide, subs, _, _ = example(TINH_MAU)
    goal = "class:Hoàn thành xuất sắc nhiệm vụ"
    first = whatif(guide, subs, "huyen-c", goal)
    kept = whatif(guide, subs, "huyen-c", goal, keep=[first.changes[0].input])
    assert kept.status == "reached"
    assert all(c.input != first.changes[0].input for c in kept.changes)


def test_already_reached_and_unreachable_totals() -> None:
    guide, subs, _, _ = example(TINH_MAU)
    already = whatif(guide, subs, "huyen-a", "rank:1")
    assert already.status == "already"
    assert not already.changes
    far = whatif(guide, subs, "huyen-b", "total:500")
    assert far.status == "unreachable"
    assert far.reason is not None
    assert far.reason.endswith("< 500")
    assert far.submission is None


def test_out_of_time_is_not_unreachable() -> None:
    guide, subs, cluster, _ = example("congan-cum347")
    answer = whatif(guide, subs, "ca-xa-my-loi", "rank:1", cluster=cluster, budget=D("0.05"))
    assert answer.status == "not_found"
    assert answer.reason is not None
    assert "không tìm thấy trong thời gian cho phép" in answer.reason


@pytest.mark.parametrize(
    ("goal", "fragment"),
    [
        ("hang:1", "is not a goal"),
        ("rank:0", "is not a whole number"),
        ("rank:9", "the cluster has 3 unit(s)"),
        ("class:Giỏi", "is not a classification of the guide"),
        ("award:co", "is not an award of the guide"),
        ("total:abc", "is not a number"),
    ],
)
def test_bad_requests_are_issues(goal: str, fragment: str) -> None:
    guide, subs, _, _ = example(TINH_MAU)
    with pytest.raises(EmulationRulesError) as caught:
        whatif(guide, subs, "huyen-b", goal)
    assert caught.value.issues[0].code == "whatif-request"
    assert fragment in caught.value.issues[0].message


def test_unknown_unit_and_kept_input() -> None:
    guide, subs, _, _ = example(TINH_MAU)
    with pytest.raises(EmulationRulesError, match="no single submission"):
        whatif(guide, subs, "huyen-x", "rank:1")
    with pytest.raises(EmulationRulesError, match="does not declare: khong_co"):
        whatif(guide, subs, "huyen-b", "rank:1", keep=["khong_co"])


def test_compare_names_the_items_that_decide() -> None:
    guide, subs, _, _ = example(TINH_MAU)
    comparison = compare_units(guide, subs, "huyen-a", "huyen-b")
    assert comparison.gap == D("3.4")
    assert sum(d.difference for d in comparison.items) == comparison.gap
    decisive = {d.item for d in comparison.items if d.decisive}
    assert decisive == {"4.4", "b1.1", "b4.1"}
    assert comparison.items[0].item == "4.4"


def test_cli_text_json_and_exit_codes() -> None:
    args = [
        "whatif",
        str(ROOT / "rulesets" / f"{TINH_MAU}.yaml"),
        str(ROOT / "examples" / TINH_MAU / "submissions.yaml"),
    ]
    out, err = io.StringIO(), io.StringIO()
    code = run([*args, "--unit", "huyen-c", "--goal", "rank:2", "--format", "json"], out, err)
    assert code == 0, err.getvalue()
    data = json.loads(out.getvalue())
    assert data["status"] == "reached"
    assert data["after"]["rank"] <= 2
    out = io.StringIO()
    assert run([*args, "--unit", "huyen-b", "--goal", "total:500"], out, err) == 1
    assert "tổng điểm tối đa có thể đạt là" in out.getvalue()
    out = io.StringIO()
    assert run([*args, "--compare", "huyen-a", "huyen-b"], out, err) == 0
    assert "Chênh lệch tổng điểm: +3,4" in out.getvalue()
    err = io.StringIO()
    assert run([*args, "--unit", "huyen-b", "--goal", "hang:1"], io.StringIO(), err) == 1
    assert "whatif-request" in err.getvalue()
    err = io.StringIO()
    assert run([*args, "--unit", "huyen-b"], io.StringIO(), err) == 1
    assert "usage" in err.getvalue()
    err = io.StringIO()
    assert (
        run([*args, "--unit", "huyen-b", "--goal", "rank:1", "--budget", "x"], io.StringIO(), err)
        == 1
    )


# ----------------------------------------------------------------------- generated guides

#: The unit's domain: x count 0..3, y bool, z enum, p decimal 0..4 (whole).
DOMAIN: dict[str, list[Any]] = {
    "x": [0, 1, 2, 3],
    "y": [False, True],
    "z": ["a", "b", "c"],
    "p": [D(0), D(1), D(2), D(3), D(4)],
}
INPUTS = {
    "x": {"type": "count", "label": "Số x", "max": 3, "missing": 0},
    "y": {"type": "bool", "label": "Có y", "missing": False},
    "z": {"type": "enum", "label": "Mức z", "values": ["a", "b", "c"], "missing": "a"},
    "p": {"type": "decimal", "label": "Giá trị p", "min": 0, "max": 4, "places": 0, "missing": 0},
}
points = st.integers(min_value=0, max_value=4)
CRITERIA = {
    "met": st.builds(lambda m: {"max": m or 1, "met": "y"}, points),
    "per_event": st.builds(
        lambda k: {"kind": "deduction", "per_event": {"count": "x", "points": -(k or 1)}}, points
    ),
    "bonus": st.builds(
        lambda k: {"kind": "bonus", "per_event": {"count": "x", "points": k or 1}}, points
    ),
    "bands": st.builds(
        lambda a, b, c: {
            "max": max(a, b, c or 1),
            "bands": {
                "of": "p",
                "bands": [
                    {"below": 2, "points": a},
                    {"from": 2, "below": 4, "points": b},
                    {"from": 4, "points": c or 1},
                ],
            },
        },
        points,
        points,
        points,
    ),
    "lookup": st.builds(
        lambda a, b, c: {
            "max": max(a, b, c or 1),
            "lookup": {"of": "z", "points": {"a": a, "b": b, "c": c or 1}},
        },
        points,
        points,
        points,
    ),
    "formula": st.just({"max": 12, "formula": "x * p"}),
    "rank_points": st.just({"max": 3, "rank_points": {"of": "x + p", "points": [3, 2, 1]}}),
}


def _guide(parts: list[dict[str, Any]]) -> Any:
    criteria = [{"id": "C0", "title": "Điểm chuẩn", "max": 1}]
    criteria += [{"id": f"C{i}", "title": f"Tiêu chí {i}", **p} for i, p in enumerate(parts, 1)]
    text = json.dumps(
        {
            "format": "emulation-rules/v1",
            "id": "whatif-nho",
            "version": "1",
            "title": "Hướng dẫn nhỏ",
            "period": "2024",
            "scale": 1 + sum(p.get("max", 0) for p in parts if "kind" not in p),
            "inputs": INPUTS,
            "criteria": criteria,
        },
        ensure_ascii=False,
    )
    return load_ruleset(text.encode("utf-8"), name="whatif-nho.yaml")


values = st.fixed_dictionaries({name: st.sampled_from(domain) for name, domain in DOMAIN.items()})


def _submissions(units: list[dict[str, Any]]) -> list[Submission]:
    return [
        Submission(unit_id=f"u{i}", name=f"Đơn vị {i}", values=dict(v)) for i, v in enumerate(units)
    ]


def _reached(guide: Any, subs: list[Submission], unit: str, goal: str, result: Any = None) -> bool:
    kind, target = goal.split(":")
    scored = (result or score(guide, subs, trace=False)).unit(unit)
    if kind == "rank":
        return scored.status == "scored" and scored.rank is not None and scored.rank <= int(target)
    return scored.total is not None and scored.total >= D(target)


def _brute(guide: Any, subs: list[Submission], unit: str, goal: str) -> dict[int, int]:
    """The fewest steps of every number of changed inputs that reaches the goal."""
    mine = next(s for s in subs if s.unit_id == unit)
    best: dict[int, int] = {}
    for combo in itertools.product(*DOMAIN.values()):
        candidate = dict(zip(DOMAIN, combo, strict=True))
        changed = [n for n in DOMAIN if candidate[n] != mine.values[n]]
        steps = sum(
            abs(DOMAIN[n].index(candidate[n]) - DOMAIN[n].index(mine.values[n])) for n in changed
        )
        new = mine.model_copy(update={"values": candidate})
        if _reached(guide, [new if s.unit_id == unit else s for s in subs], unit, goal):
            best[len(changed)] = min(best.get(len(changed), steps), steps)
    return best


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    kinds=st.lists(st.sampled_from(sorted(CRITERIA)), min_size=2, max_size=4),
    data=st.data(),
    units=st.lists(values, min_size=3, max_size=3),
    goal_kind=st.sampled_from(["rank", "total"]),
    total=st.integers(min_value=0, max_value=20),
)
def test_answers_agree_with_brute_force(
    kinds: list[str], data: st.DataObject, units: list[dict[str, Any]], goal_kind: str, total: int
) -> None:
    guide = _guide([data.draw(CRITERIA[k]) for k in kinds])
    subs = _submissions(units)
    result = score(guide, subs, trace=False)
    unit = "u1"
    me = result.unit(unit)
    goal = f"rank:{max(1, (me.rank or 3) - 1)}" if goal_kind == "rank" else f"total:{total}"
    answer = whatif(guide, subs, unit, goal, budget=60)
    brute = _brute(guide, subs, unit, goal)
    if _reached(guide, subs, unit, goal, result):
        assert answer.status == "already"
        return
    if answer.status == "unreachable":
        assert answer.proof == "exhaustive"
        assert not brute, (goal, brute)
        return
    assert answer.status == "reached"
    assert answer.submission is not None
    changed = [answer.submission if s.unit_id == unit else s for s in subs]
    assert _reached(guide, changed, unit, goal)
    fewest = min(brute)
    assert answer.fewest
    assert len(answer.changes) == fewest
    assert sum(c.steps for c in answer.changes) == brute[fewest]
