"""More invariants (issue 7): bounds, locale and time-zone independence, round trips.

* **Bounds.** For every shipped guide and random valid submissions: a criterion with
  ``cap_at_max`` never exceeds its maximum, one with ``floor`` never falls below it, a bonus is
  never negative and a deduction never positive; without ``total.may_exceed_scale`` a total
  stays within the unit's applicable maximum, which stays within the scale.
* **Determinism.** The command line's JSON result is byte-identical whatever the time zone,
  the locale and the hash seed of the process.
* **Round trips.** A guide dumped from its model (``model_dump(mode="json", by_alias=True)``)
  and written as JSON or YAML loads back to the same digest; submissions dumped and validated
  again, or written to a YAML or JSON file and read again, are the same submissions and score
  the same.

The audit-record properties (records, verify, tamper detection) are tested with the audit
module.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from emulation_rules import (
    CompiledRuleset,
    Submission,
    load_ruleset,
    load_submissions,
    score,
)
from emulation_rules.guide.model import parse_number_text

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"
EXAMPLES = ROOT / "examples"


def _is_guide(path: Path) -> bool:
    """A guide file starts its top level with ``format:`` (guide test suites do not)."""
    return re.search(r"^format:", path.read_text(encoding="utf-8"), re.MULTILINE) is not None


GUIDES = sorted(
    p.name for p in RULESETS.glob("*.yaml") if not p.name.endswith(".tests.yaml") and _is_guide(p)
)


def _examples() -> dict[str, str]:
    """Example folders whose submissions answer a shipped guide, by guide file."""
    ids = {}
    for name in GUIDES:
        found = re.search(
            r"^id: *(\S+)", (RULESETS / name).read_text(encoding="utf-8"), re.MULTILINE
        )
        assert found, name
        ids[found.group(1).strip("'\"")] = name
    out = {}
    for path in sorted(EXAMPLES.glob("*/submissions.yaml")):
        found = re.search(r"^ruleset: *(\S+)", path.read_text(encoding="utf-8"), re.MULTILINE)
        if found and found.group(1).strip("'\"") in ids:
            out[ids[found.group(1).strip("'\"")]] = path.parent.name
    return out


#: Example folders whose submissions answer a shipped guide, by guide file.
EXAMPLE_FOR = _examples()

PROPERTIES = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_CACHE: dict[str, CompiledRuleset] = {}


def guide(name: str) -> CompiledRuleset:
    if name not in _CACHE:
        _CACHE[name] = load_ruleset(RULESETS / name)
    return _CACHE[name]


def test_the_shipped_guides_and_their_examples_are_found():
    assert len(GUIDES) >= 7, GUIDES
    assert {"tiengiang-stnmt-2022.yaml", "congan-cum347-2024.yaml"} <= set(EXAMPLE_FOR)


# --------------------------------------------------------------------------------------------
# Bounds


def value_strategy(field: Any, period: str, *, divisor: bool = False) -> st.SearchStrategy[Any]:
    """A valid value of an input (edges included), or nothing when the input may be missing.

    A ``divisor`` (the target of a ``target`` or ``proportional`` item) is never 0: a zero
    target is an evaluation error for the unit (tested elsewhere), not a bound.
    """
    if field.type == "bool":
        value: st.SearchStrategy[Any] = st.booleans()
    elif field.type == "enum":
        value = st.sampled_from(field.values)
    elif field.type == "text":
        value = st.text(alphabet="abc ", max_size=5)
    elif field.type == "date":
        year = int(period[:4])
        value = st.dates(min_value=date(year - 1, 1, 1), max_value=date(year + 1, 12, 31)).map(
            date.isoformat
        )
    elif field.type == "count":
        high = int(field.max) if field.max is not None else 30
        low = int(field.min) if field.min is not None else 0
        value = st.integers(min_value=low, max_value=max(low, min(high, low + 30)))
    else:
        low = field.min if field.min is not None else Decimal(-50)
        if divisor:
            low = max(low, Decimal("0.5"))
        high = field.max if field.max is not None else Decimal(5000)
        places = field.places if field.places is not None else 3
        value = st.decimals(
            min_value=low, max_value=high, places=places, allow_nan=False, allow_infinity=False
        ) | st.sampled_from(sorted({low, high, min(max(low, Decimal(0)), high)}))
    if field.required:
        return value
    return st.none() | value  # None: not submitted, the declared missing value applies


def _divisors(compiled: CompiledRuleset) -> set[str]:
    """Inputs used as the target of a ``target`` or ``proportional`` item."""
    out = set()
    for _, crit in compiled.ruleset.walk():
        construct = crit.target or crit.proportional
        if construct is not None:
            out.add(construct.target.strip())
    return out


def units_strategy(compiled: CompiledRuleset) -> st.SearchStrategy[list[Submission]]:
    divisors = _divisors(compiled)
    period = compiled.ruleset.period
    fields = {
        n: value_strategy(f, period, divisor=n in divisors) for n, f in compiled.inputs.items()
    }

    def unit(index: int) -> st.SearchStrategy[Submission]:
        return st.fixed_dictionaries(fields).map(
            lambda values: Submission(
                unit_id=f"u{index}",
                name=f"Đơn vị {index}",
                values={k: v for k, v in values.items() if v is not None},
            )
        )

    return st.integers(min_value=1, max_value=3).flatmap(
        lambda n: st.tuples(*(unit(i) for i in range(n))).map(list)
    )


@pytest.mark.parametrize("name", GUIDES)
def test_bounds_hold_for_random_units(name):
    compiled = guide(name)
    criteria = [c for _, c in compiled.ruleset.walk()]
    total = compiled.ruleset.total

    @PROPERTIES
    @given(units=units_strategy(compiled))
    def check(units):
        result = score(compiled, units)
        assert {u.unit_id for u in result.units} | {r.unit_id for r in result.rejected} == {
            u.unit_id for u in units
        }
        for unit in result.units:
            event(f"unit {unit.status}")
            if unit.status == "error":
                continue  # a unit the data makes impossible (a zero divisor) is reported
            assert unit.total is not None
            assert unit.max is not None
            for crit in criteria:
                value = unit.items[crit.id]
                where = f"{unit.unit_id} {crit.id} = {value}"
                if crit.id in unit.not_applicable:
                    assert value == 0, where
                    continue
                if crit.cap_at_max and crit.max is not None:
                    assert value <= crit.max, where
                if crit.floor is not None:
                    assert value >= crit.floor, where
                if crit.kind == "bonus":
                    assert value >= 0, where
                if crit.kind == "deduction":
                    assert value <= 0, where
            assert 0 <= unit.max <= compiled.ruleset.scale
            if not total.may_exceed_scale:
                assert unit.total <= unit.max, unit.unit_id
                if unit.percent is not None:
                    assert unit.percent <= 100, unit.unit_id
            if total.floor is not None:
                assert unit.total >= total.floor, unit.unit_id

    check()


# --------------------------------------------------------------------------------------------
# Determinism across time zones, locales and hash seeds

#: Environments the command line must not notice. The C and POSIX locales and a locale that
#: is not installed (vi_VN here) fall back to UTF-8 by PEP 538/540.
ENVIRONMENTS = (
    {"TZ": "UTC", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0"},
    {"TZ": "Asia/Ho_Chi_Minh", "LC_ALL": "C", "PYTHONHASHSEED": "1"},
    {"TZ": "America/St_Johns", "LC_ALL": "POSIX", "PYTHONHASHSEED": "4242"},
    {"TZ": "Pacific/Kiritimati", "LC_ALL": "vi_VN.UTF-8", "LANG": "tr_TR.UTF-8"},
    {"TZ": "Etc/GMT+12", "LANG": "C.UTF-8", "LC_NUMERIC": "de_DE.UTF-8", "LC_TIME": "vi_VN"},
)

CLUSTERS = {
    "tiengiang": ("rulesets/tiengiang-stnmt-2022.yaml", "examples/tiengiang-2022", False),
    "congan": ("rulesets/congan-cum347-2024.yaml", "examples/congan-cum347", True),
}


def _clean_environment() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LC_", "PYTHON")) and k not in ("LANG", "LANGUAGE", "TZ")
    }


def run_cli(cluster: str, extra: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    guide_file, folder, has_cluster = CLUSTERS[cluster]
    command = [
        sys.executable,
        "-m",
        "emulation_rules",
        "score",
        guide_file,
        f"{folder}/submissions.yaml",
        "--format",
        "json",
        "--trace",
    ]
    if has_cluster:
        command += ["--cluster", f"{folder}/cluster.yaml"]
    return subprocess.run(
        command,
        capture_output=True,
        check=False,
        cwd=ROOT,
        env={**_clean_environment(), **extra},
        timeout=120,
    )


@pytest.fixture(scope="module")
def cli_outputs() -> dict[tuple[str, int], subprocess.CompletedProcess[bytes]]:
    jobs = [(c, i) for c in CLUSTERS for i in range(len(ENVIRONMENTS))]
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = pool.map(lambda job: run_cli(job[0], ENVIRONMENTS[job[1]]), jobs)
        return dict(zip(jobs, done, strict=True))


@pytest.mark.parametrize("cluster", sorted(CLUSTERS))
def test_json_output_is_identical_in_every_time_zone_and_locale(cluster, cli_outputs):
    runs = [cli_outputs[cluster, i] for i in range(len(ENVIRONMENTS))]
    for env, run in zip(ENVIRONMENTS, runs, strict=True):
        assert run.returncode == 0, (env, run.stderr.decode("utf-8", "replace"))
        assert b"Traceback" not in run.stderr
    first = runs[0].stdout
    json.loads(first)
    for env, run in zip(ENVIRONMENTS, runs, strict=True):
        assert run.stdout == first, env


def test_json_output_is_utf8_even_in_an_ascii_locale(cli_outputs):
    """Found by the locale property (UnicodeEncodeError, exit 3); fixed in 362786d."""
    run = run_cli("tiengiang", {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"})
    assert run.returncode == 0, run.stderr.decode("utf-8", "replace")
    assert run.stdout == cli_outputs["tiengiang", 0].stdout


# --------------------------------------------------------------------------------------------
# Round trips of guides


#: Keys of the guide format whose value is a decimal (the JSON-mode dump writes a string).
NUMBER_KEYS = frozenset(
    {
        "max", "min", "points", "cap", "factor", "from", "above", "below", "to", "every",
        "on_time", "late", "otherwise", "forfeit_value", "floor", "scale", "deductions",
        "bonuses", "adjustments", "min_total", "min_percent",
    }
)  # fmt: skip
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def with_decimals(data: Any, key: str | None = None, parent: str | None = None) -> Any:
    """A JSON-mode model dump with its decimal strings turned back into Decimals.

    Decimals sit under the keys of :data:`NUMBER_KEYS` (as a value, a list or a mapping of
    values: ``rank_points.points``, ``lookup.points``), in ``constants`` and in a table's
    ``values``; ids, versions, periods and labels that look like numbers stay text.
    """
    numeric = key in NUMBER_KEYS or key == "constants" or (key == "values" and parent == "table")
    if isinstance(data, dict):
        return {
            k: (with_decimals(v, key, parent) if key == "constants" else with_decimals(v, k, key))
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [with_decimals(v, key, parent) for v in data]
    if numeric and isinstance(data, str) and _DECIMAL_TEXT.fullmatch(data):
        return Decimal(data)
    return data


class _Dumper(yaml.SafeDumper):
    """YAML with decimals as plain numbers, as a person writes them (and no anchors)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = format(value, "f")
    tag = "float" if "." in text else "int"
    return dumper.represent_scalar(f"tag:yaml.org,2002:{tag}", text)


_Dumper.add_representer(Decimal, _represent_decimal)


def yaml_text(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


def json_text(data: Any) -> str:
    """JSON with decimals as number literals (read back exactly, from their text)."""
    marker = "\x00number:"

    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return marker + format(value, "f")
        msg = f"cannot write {type(value).__name__}"
        raise TypeError(msg)

    text = json.dumps(data, ensure_ascii=False, default=default, indent=1)
    return re.sub(r'"\\u0000number:(-?[0-9.]+)"', r"\1", text)


@pytest.mark.parametrize("name", GUIDES)
def test_a_guide_dumped_from_its_model_loads_back_to_the_same_digest(name):
    compiled = guide(name)
    dumped = compiled.ruleset.model_dump(mode="json", by_alias=True)
    for label, text in (
        ("json-strings", json.dumps(dumped, ensure_ascii=False)),
        ("json", json_text(with_decimals(dumped))),
        ("yaml", yaml_text(with_decimals(dumped))),
    ):
        again = load_ruleset(text.encode("utf-8"), name=f"{name}.{label}")
        assert again.digest == compiled.digest, label
        assert again.ruleset == compiled.ruleset, label
        assert again.ruleset.model_dump(mode="json", by_alias=True) == dumped, label


NUMBERS = st.decimals(
    min_value=Decimal(-99), max_value=Decimal(99), places=3, allow_nan=False, allow_infinity=False
)


@st.composite
def small_guides(draw: st.DrawFn) -> str:
    """A small valid guide with random decimals: bands, a per-event line, a constant."""
    edges = sorted(set(draw(st.lists(NUMBERS, min_size=1, max_size=4))))
    points = [abs(draw(NUMBERS)) for _ in edges]
    bands: list[dict[str, Any]] = [
        {"from": low, "below": high, "points": p}
        for low, high, p in zip(edges, edges[1:], points, strict=False)
    ]
    bands.append({"from": edges[-1], "points": points[-1]})
    top = max(points)
    step = abs(draw(NUMBERS)) or Decimal("0.125")
    data = {
        "format": "emulation-rules/v1",
        "id": "vong-tron",
        "version": "1.0",
        "title": "Hướng dẫn thử vòng tròn",
        "period": "2024",
        "scale": top,
        "total": {"may_exceed_scale": True},
        "constants": {"muc": draw(NUMBERS)},
        "inputs": {
            "x": {"type": "decimal", "label": "Giá trị đo", "required": True},
            "n": {"type": "count", "label": "Số lần vi phạm", "missing": 0},
        },
        "criteria": [
            {
                "id": "1.1",
                "title": "Mục 1.1",
                "max": top,
                "bands": {"of": "x + muc", "bands": bands, "otherwise": Decimal(0)},
            },
            {
                "id": "1.2",
                "title": "Mục 1.2",
                "kind": "deduction",
                "per_event": {"count": "n", "points": -step, "cap": step * 3},
            },
        ],
    }
    return yaml_text(data)  # plain numbers, quoted ids and versions: as a person writes it


@PROPERTIES
@given(text=small_guides())
def test_random_guides_round_trip_through_their_model_dump(text):
    compiled = load_ruleset(text.encode("utf-8"), name="vong-tron.yaml")
    dumped = compiled.ruleset.model_dump(mode="json", by_alias=True)
    for label, again_text in (
        ("json", json_text(with_decimals(dumped))),
        ("yaml", yaml_text(with_decimals(dumped))),
    ):
        again = load_ruleset(again_text.encode("utf-8"), name=f"vong-tron.{label}")
        assert again.digest == compiled.digest, label
        assert again.ruleset == compiled.ruleset, label


def test_a_fraction_with_three_decimals_is_not_a_thousands_separator():
    """Found by the guide round trip ('0.125' refused as ambiguous); fixed in 362786d."""
    assert parse_number_text("0.125") == Decimal("0.125")


# --------------------------------------------------------------------------------------------
# Round trips of submissions


def _without_locations(data: Any) -> Any:
    """A result's data without where its issues were found (file, line, column)."""
    if isinstance(data, dict):
        return {
            k: [{f: x for f, x in i.items() if f not in ("source", "line", "column")} for i in v]
            if k == "issues"
            else _without_locations(v)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_without_locations(v) for v in data]
    return data


def _comparable(sub: Submission) -> Submission:
    """A submission without where it was read from (not part of its data)."""
    return sub.model_copy(update={"source": None, "locations": {}})


@pytest.fixture(scope="module")
def example_batches() -> dict[str, Any]:
    return {
        name: load_submissions([EXAMPLES / folder / "submissions.yaml"])
        for name, folder in EXAMPLE_FOR.items()
    }


def submission_file(subs: tuple[Submission, ...]) -> dict[str, Any]:
    first = subs[0]
    return {
        "ruleset": first.ruleset,
        "ruleset_version": first.ruleset_version,
        "period": first.period,
        "units": [
            s.model_dump(
                exclude={"ruleset", "ruleset_version", "period"},
                exclude_defaults=True,
            )
            for s in subs
        ],
    }


@pytest.mark.parametrize("name", sorted(EXAMPLE_FOR))
def test_example_submissions_round_trip(name, example_batches, tmp_path):
    batch = example_batches[name]
    subs = batch.submissions
    assert subs
    for sub in subs:
        assert Submission.model_validate(sub.model_dump()) == _comparable(sub)
    data = submission_file(subs)
    (tmp_path / "again.yaml").write_text(yaml_text(data), encoding="utf-8")
    (tmp_path / "again.json").write_text(json_text(data), encoding="utf-8")
    compiled = guide(name)
    expected = _without_locations(
        score(compiled, subs, rejected=batch.rejected).to_dict(trace=True)
    )
    for file in ("again.yaml", "again.json"):
        again = load_submissions([tmp_path / file])
        assert not again.issues, again.issues
        assert [_comparable(s) for s in again.submissions] == [_comparable(s) for s in subs]
        result = score(compiled, again.submissions, rejected=again.rejected)
        assert _without_locations(result.to_dict(trace=True)) == expected, file


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.decimals(allow_nan=False, allow_infinity=False, places=4, max_value=10**9, min_value=-1),
    st.text(max_size=10),
)


@PROPERTIES
@given(
    unit_id=st.from_regex(r"[a-z0-9](?:[a-z0-9.\-]{0,10}[a-z0-9])?", fullmatch=True),
    name=st.text(alphabet="ĐđơưăâêôÀàáạảãABCabc ", min_size=1, max_size=20),
    values=st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), _SCALARS, max_size=5),
    evidence=st.dictionaries(
        st.from_regex(r"[a-z_]{1,8}", fullmatch=True),
        st.lists(st.text(min_size=1, max_size=10), min_size=1, max_size=2),
        max_size=2,
    ),
    self_scores=st.dictionaries(
        st.from_regex(r"[A-Z][0-9](\.[0-9])?", fullmatch=True),
        st.decimals(min_value=-10, max_value=100, places=2),
        max_size=3,
    ),
)
def test_random_submissions_round_trip_through_their_model_dump(
    unit_id, name, values, evidence, self_scores
):
    sub = Submission(
        unit_id=unit_id,
        name=name,
        values=values,
        evidence=evidence,
        self_scores=self_scores,
        ruleset="vi-du",
        ruleset_version="1",
    )
    again = Submission.model_validate(sub.model_dump())
    assert again == sub
    assert again.model_dump() == sub.model_dump()
    as_json = json.loads(sub.model_dump_json())
    assert as_json["unit_id"] == unit_id
    assert {k: Decimal(v) for k, v in as_json["self_scores"].items()} == self_scores


# --------------------------------------------------------------------------------------------
# The cohort: a unit that fails is left out of it


_TWO_TARGETS = """format: emulation-rules/v1
id: hai-chi-tieu
version: "1"
title: Hai tiêu chí định lượng
period: "2024"
scale: 20
inputs:
  a1: {type: decimal, label: Kết quả 1, required: true}
  t1: {type: decimal, label: Chỉ tiêu 1, missing: not_applicable}
  a2: {type: decimal, label: Kết quả 2, required: true}
  t2: {type: decimal, label: Chỉ tiêu 2, missing: not_applicable}
criteria:
  - {id: "1", title: Tiêu chí 1, max: 10, target: {achieved: a1, target: t1}}
  - {id: "2", title: Tiêu chí 2, max: 10, target: {achieved: a2, target: t2}}
"""


def test_a_unit_that_fails_in_the_cluster_phase_is_nobodys_leader():
    """A failed unit once stayed the leader of the criteria measured before it; fixed in 362786d."""
    compiled = load_ruleset(_TWO_TARGETS.encode("utf-8"), name="hai-chi-tieu.yaml")
    x = Submission(unit_id="x", name="X", values={"a1": 100, "t1": 10, "a2": 5, "t2": 0})
    a = Submission(unit_id="a", name="A", values={"a1": 15, "t1": 10, "a2": 5, "t2": 10})
    with_x = score(compiled, [x, a])
    assert with_x.unit("x").status == "error"
    assert with_x.unit("a").items == score(compiled, [a]).unit("a").items
