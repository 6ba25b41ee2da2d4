"""Properties of the cluster phase, ranking and awards over random clusters (hypothesis)."""

from __future__ import annotations

import itertools
import math
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulation_rules import Submission, load_ruleset, score

GUIDE = """\
format: emulation-rules/v1
id: cum-ngau-nhien
version: "1"
title: Cụm thi đua ngẫu nhiên
period: "2024"
scale: 100
total: {may_exceed_scale: true}
inputs:
  a: {type: decimal, label: Kết quả, required: true, places: 0, max: 50}
  t: {type: decimal, label: Chỉ tiêu, missing: not_applicable, places: 0, min: 1, max: 30}
  cuc: {type: decimal, label: Điểm Cục chấm, missing: not_applicable, places: 0, max: 100}
  x: {type: decimal, label: Điểm tự chấm, required: true, places: 1, max: 75}
  ky_luat: {type: bool, label: Bị kỷ luật, missing: false}
criteria:
  - {id: "1", title: Chỉ tiêu định lượng, max: 10, target: {achieved: a, target: t, no_target: leader}}
  - {id: "2", title: Xếp hạng của Cục, max: 15, rank_points: {of: cuc, points: [15, 10, 5]}}
  - {id: "3", title: Các tiêu chí khác, max: 75, formula: x}
classification:
  on: percent
  bands:
    - {from: 80, label: Xuất sắc}
    - {from: 50, below: 80, label: Khá}
  otherwise: Trung bình
eligibility:
  - {id: KL, when: ky_luat, reason: Bị kỷ luật}
ranking:
  by: [percent, {score: "1"}]
  method: {method}
awards:
  - id: co
    title: Cờ thi đua
    requires: {classification: [Xuất sắc]}
    quota: {percent: 30, of: eligible, rounding: {rounding}}
  - id: bang-khen
    title: Bằng khen
    requires: {classification: [Xuất sắc, Khá]}
    quota: {count: 2}
"""

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def guide(method: str = "competition", rounding: str = "floor"):
    text = GUIDE.replace("{method}", method).replace("{rounding}", rounding)
    return load_ruleset(text.encode("utf-8"), name="cum.yaml")


GUIDES = {m: guide(m) for m in ("competition", "dense", "ordinal")}


@st.composite
def clusters(draw, min_size: int = 2, max_size: int = 8):
    size = draw(st.integers(min_value=min_size, max_value=max_size))
    units = []
    for index in range(size):
        values: dict[str, object] = {
            "a": D(draw(st.integers(min_value=0, max_value=50))),
            "x": D(draw(st.integers(min_value=0, max_value=750))) / 10,
            "ky_luat": draw(st.booleans()),
        }
        if draw(st.booleans()):
            values["t"] = D(draw(st.integers(min_value=1, max_value=30)))
        if draw(st.booleans()):
            values["cuc"] = D(draw(st.integers(min_value=0, max_value=100)))
        units.append(Submission(unit_id=f"u{index}", name=f"Đơn vị {index}", values=values))
    return units


@SETTINGS
@given(units=clusters(), data=st.data())
def test_permuting_units_never_changes_any_result(units, data):
    permuted = data.draw(st.permutations(units))
    compiled = GUIDES["competition"]
    assert score(compiled, units).to_json(trace=True) == score(compiled, permuted).to_json(
        trace=True
    )


@SETTINGS
@given(units=clusters(), data=st.data())
def test_raising_a_units_result_never_lowers_its_target_score(units, data):
    compiled = GUIDES["competition"]
    index = data.draw(st.integers(min_value=0, max_value=len(units) - 1))
    before = score(compiled, units).unit(f"u{index}").items["1"]
    raised = list(units)
    old = raised[index]
    bump = D(data.draw(st.integers(min_value=1, max_value=10)))
    new_a = min(D(50), old.values["a"] + bump)
    raised[index] = old.model_copy(update={"values": {**old.values, "a": new_a}})
    after = score(compiled, raised).unit(f"u{index}").items["1"]
    assert after >= before


@SETTINGS
@given(units=clusters(), method=st.sampled_from(["competition", "dense", "ordinal"]))
def test_ranks_follow_the_method(units, method):
    result = score(GUIDES[method], units)
    ranked = [u for u in result.units if u.rank is not None]
    ranks = [u.rank for u in ranked]
    n = len(ranked)
    if method == "ordinal":
        assert ranks == list(range(1, n + 1))
    for previous, current in itertools.pairwise(ranked):
        same = previous.rank_keys == current.rank_keys
        if method == "competition":
            expected = previous.rank if same else ranked.index(current) + 1
            assert current.rank == expected
        elif method == "dense":
            assert current.rank == previous.rank + (0 if same else 1)
        else:
            assert current.rank == previous.rank + 1
    assert not ranks or ranks[0] == 1


@SETTINGS
@given(units=clusters(min_size=1), rounding=st.sampled_from(["floor", "ceil", "half_up"]))
def test_a_quota_is_never_exceeded(units, rounding):
    result = score(guide(rounding=rounding), units)
    flag, merit = result.awards
    eligible = sum(1 for u in result.units if u.status == "scored" and u.eligible)
    exact = D(30) * eligible / 100
    limit = {
        "floor": math.floor(exact),
        "ceil": math.ceil(exact),
        "half_up": int(exact.quantize(D(1), rounding="ROUND_HALF_UP")),
    }[rounding]
    assert flag.quota == limit
    assert len(flag.awarded) <= limit
    assert len(merit.awarded) <= 2
    # no double award, and every awarded unit is eligible
    assert not set(flag.awarded) & set(merit.awarded)
    for unit_id in flag.awarded + merit.awarded:
        assert result.unit(unit_id).eligible


@pytest.mark.parametrize("method", ["competition", "dense", "ordinal"])
def test_equal_keys_give_equal_ranks_except_ordinal(method):
    same = {"a": D(5), "x": D(60)}
    units = [Submission(unit_id=f"u{i}", name=f"Đơn vị {i}", values=same) for i in range(3)]
    ranks = [u.rank for u in score(GUIDES[method], units).units]
    assert ranks == ([1, 2, 3] if method == "ordinal" else [1, 1, 1])
