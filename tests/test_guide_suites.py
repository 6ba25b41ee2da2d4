"""Every case of every shipped guide's tests file (``rulesets/**/*.tests.yaml``), as pytest tests.

``make test`` runs them here; ``emulation-rules test GUIDE`` runs the same cases from the
command line. A failing case shows what differs, with the trace of the differing item.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulation_rules.authoring.guidetests import (
    TESTS_SUFFIX,
    GuideSuite,
    coverage,
    load_suite,
    run_case,
    run_suite,
)

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"
SUITES = sorted(RULESETS.rglob(f"*{TESTS_SUFFIX}"))
GUIDES = sorted(p for p in RULESETS.rglob("*.yaml") if not p.name.endswith(TESTS_SUFFIX))

_loaded: dict[Path, GuideSuite] = {}


def suite(path: Path) -> GuideSuite:
    if path not in _loaded:
        _loaded[path] = load_suite(path)
    return _loaded[path]


def _cases() -> list[object]:
    params = []
    for path in SUITES:
        loaded = suite(path)
        name = path.relative_to(RULESETS).as_posix().removesuffix(TESTS_SUFFIX)
        params.extend(
            pytest.param(path, index, id=f"{name}::{case.name}")
            for index, case in enumerate(loaded.tests.cases)
        )
    return params


@pytest.mark.parametrize(("path", "index"), _cases())
def test_case(path: Path, index: int) -> None:
    loaded = suite(path)
    result = run_case(loaded, index)
    assert result.passed, "\n" + "\n".join(result.render(loaded))


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.relative_to(RULESETS).as_posix())
def test_every_shipped_guide_has_tests(guide: Path) -> None:
    tests = guide.with_name(guide.name.removesuffix(".yaml") + TESTS_SUFFIX)
    assert tests.exists(), f"{guide.name} has no tests file {tests.name}"
    loaded = suite(tests)
    assert loaded.guide.source == str(guide.parent / guide.name) or loaded.guide.id
    assert len(loaded.tests.cases) >= 3, f"{tests.name}: write at least three cases"


def test_tiengiang_tests_exercise_every_item() -> None:
    loaded = suite(RULESETS / f"tiengiang-stnmt-2022{TESTS_SUFFIX}")
    results = [r.result for r in run_suite(loaded) if r.result is not None]
    report = coverage(loaded, results)
    assert report.complete, "\n".join(report.render())
    assert report.total > 90
