"""Invariants over random inputs (hypothesis): exactness, bounds, order and process independence."""

from __future__ import annotations

import decimal
import itertools
import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulation_rules import Submission, load_ruleset, score

TG = "rulesets/tiengiang-stnmt-2022.yaml"

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def tg(root):
    return load_ruleset(root / TG)


def _value_strategy(field):
    if field.type == "bool":
        return st.booleans()
    if field.type == "count":
        high = int(field.max) if field.max is not None else 20
        return st.integers(min_value=0, max_value=min(high, 20))
    if field.type in ("decimal", "percent"):
        low = field.min if field.min is not None else Decimal(0)
        high = field.max if field.max is not None else Decimal(5000)
        places = field.places if field.places is not None else 2
        return st.decimals(
            min_value=low, max_value=high, places=places, allow_nan=False, allow_infinity=False
        )
    if field.type == "date":
        from datetime import date

        return st.dates(min_value=date(2022, 1, 1), max_value=date(2022, 12, 31)).map(
            lambda d: d.isoformat()
        )
    if field.type == "enum":
        return st.sampled_from(field.values)
    return st.text(alphabet="abc", max_size=5)


def units_strategy(compiled, count=None):
    count = count if count is not None else st.integers(min_value=1, max_value=5)
    fields = dict(compiled.inputs)

    def unit(index):
        return st.fixed_dictionaries({name: _value_strategy(f) for name, f in fields.items()}).map(
            lambda values: Submission(unit_id=f"u{index}", name=f"Đơn vị {index}", values=values)
        )

    return count.flatmap(lambda n: st.tuples(*(unit(i) for i in range(n))))


def _no_floats(value):
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(_no_floats(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_no_floats(v) for v in value)
    return True


@SETTINGS
@given(data=st.data())
def test_no_float_reaches_a_score_and_totals_reconcile(tg, data):
    units = data.draw(units_strategy(tg))
    result = score(tg, units)
    for unit in result.units:
        if unit.status == "error":
            continue  # a unit the data makes impossible (e.g. a zero divisor) is reported, not scored
        assert isinstance(unit.total, Decimal)
        assert all(isinstance(v, Decimal) for v in unit.items.values())
        # the total is the sum of the top-level criteria (the guide may exceed its scale)
        assert unit.total == sum((unit.items[r] for r in tg.roots), Decimal(0))
        trace = unit.trace
        assert trace is not None
        stack = [trace]
        while stack:  # every criterion reconciles: value = parts + adjustment lines
            node = stack.pop()
            assert node.value == sum((p[1] for p in node.parts), Decimal(0)) + sum(
                (a[1] for a in node.adjustments), Decimal(0)
            )
            assert not isinstance(node.value, float)
            stack.extend(node.children)
    assert _no_floats(result.to_dict(trace=True))


@SETTINGS
@given(data=st.data())
def test_scoring_in_any_order_gives_the_same_result(tg, data):
    units = data.draw(units_strategy(tg, count=st.integers(min_value=2, max_value=5)))
    permuted = data.draw(st.permutations(units))
    first = score(tg, units).to_json(trace=True)
    second = score(tg, permuted).to_json(trace=True)
    assert first == second


@SETTINGS
@given(data=st.data())
def test_ranks_are_consistent_with_keys(tg, data):
    units = data.draw(units_strategy(tg, count=st.integers(min_value=2, max_value=6)))
    result = score(tg, units)
    ranked = [u for u in result.units if u.rank is not None]
    assert [u.rank for u in ranked] == sorted(u.rank for u in ranked)
    for a, b in itertools.pairwise(ranked):
        if a.rank_keys == b.rank_keys:
            assert a.rank == b.rank
        else:
            assert a.rank < b.rank
    if ranked:
        assert ranked[0].rank == 1


@SETTINGS
@given(data=st.data())
def test_caller_decimal_context_does_not_change_results(tg, data):
    units = data.draw(units_strategy(tg, count=st.integers(min_value=1, max_value=3)))
    expected = score(tg, units).to_json()
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = decimal.ROUND_DOWN
        assert score(tg, units).to_json() == expected


@pytest.mark.parametrize("seed", ["0", "1", "12345"])
def test_output_is_byte_identical_across_processes_and_hash_seeds(root, seed):
    def run(hash_seed: str) -> bytes:
        env = {
            **os.environ,
            "PYTHONHASHSEED": hash_seed,
            "TZ": "Asia/Ho_Chi_Minh",
            "LC_ALL": "C.UTF-8",
        }
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "emulation_rules",
                "score",
                TG,
                "examples/tiengiang-2022/submissions.yaml",
                "--format",
                "json",
                "--trace",
            ],
            capture_output=True,
            check=False,
            cwd=root,
            env=env,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    baseline = run("random")
    assert run(seed) == baseline
    json.loads(baseline)
