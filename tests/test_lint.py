"""Lint warnings of ``check``: caps that never bind, unreachable items, unused tie-breakers."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulation_rules import check_ruleset

ROOT = Path(__file__).resolve().parent.parent
LINT = {"cap-exceeds-item", "unreachable-item", "unused-tie-breaker"}


HEADER = """\
format: emulation-rules/v1
id: thu-nghiem
version: "1"
title: Hướng dẫn thử nghiệm
period: "2024"
"""


def warnings(body: str, *, scale: int = 10) -> list[tuple[str, str]]:
    text = HEADER + f"scale: {scale}\n" + body
    issues = check_ruleset(text.encode("utf-8"), name="g.yaml")
    assert not [i for i in issues if i.severity == "error"], issues
    return [(i.code, i.message) for i in issues if i.code in LINT]


INPUTS = """\
inputs:
  so_lan: {type: count, label: Số lần, missing: 0, max: 4}
  so_vu: {type: count, label: Số vụ, missing: 0}
  ty_le: {type: percent, label: Tỷ lệ, required: true, max: 100}
  co_vi_pham: {type: bool, label: Có vi phạm, missing: false}
"""


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        # a per-event cap above what the count's maximum can reach (4 × 0.5 = 2)
        (
            """
  - id: TC1
    title: T
    max: 10
    children:
      - {id: a, title: A, kind: deduction, per_event: {count: so_lan, points: -0.5, cap: 3}}
""",
            (
                "the cap 3 of 'a' can never bind: the line reaches at most 0.5 × the count's "
                "maximum 4 = 2"
            ),
        ),
        # a line cap above the item's own maximum
        (
            """
  - id: TC1
    title: T
    max: 10
    children:
      - {id: a, title: A, kind: bonus, max: 1, per_event: {count: so_vu, points: 1, cap: 2}}
""",
            "the cap 2 of 'a' is larger than its maximum 1",
        ),
        # a deductions cap above the benchmark: the item can fall below zero
        (
            """
  - id: TC1
    title: T
    max: 10
    caps: {deductions: 12}
    children:
      - {id: a, title: A, kind: deduction, per_event: {count: so_vu, points: -1}}
""",
            (
                "the deductions cap 12 of 'TC1' is larger than its maximum 10: the item can fall "
                "below zero"
            ),
        ),
        # a children's cap above what the children can reach (1 + 0.5)
        (
            """
  - id: TC1
    title: T
    max: 10
    caps: {deductions: 2}
    children:
      - {id: a, title: A, kind: deduction, points: -1, when: co_vi_pham}
      - {id: b, title: B, kind: deduction, per_event: {count: so_vu, points: -0.5, cap: 0.5}}
""",
            (
                "the deductions cap 2 of 'TC1' can never bind: the deductions of its children "
                "reach at most 1.5"
            ),
        ),
    ],
)
def test_cap_exceeds_item(criteria, expected):
    body = INPUTS + "criteria:" + criteria
    found = warnings(body)
    assert ("cap-exceeds-item", expected) in found, found


def test_a_cap_equal_to_the_reach_is_fine():
    body = (
        INPUTS
        + """criteria:
  - id: TC1
    title: T
    max: 10
    caps: {deductions: 2}
    children:
      - {id: a, title: A, kind: deduction, per_event: {count: so_lan, points: -0.5, cap: 2}}
"""
    )
    assert warnings(body) == []


def test_unreachable_items():
    body = (
        INPUTS
        + """constants: {nam: 2024}
criteria:
  - id: TC1
    title: T
    max: 10
    children:
      - {id: a, title: quên điều kiện, kind: deduction, points: -1}
      - {id: b, title: điều kiện luôn sai, kind: deduction, points: -1, when: nam < 2000}
      - id: c
        title: nhóm không đọc đầu vào
        kind: deduction
        children:
          - {id: c1, title: C1, kind: deduction, points: -1}
      - {id: d, title: đọc đầu vào, kind: deduction, points: -1, when: co_vi_pham}
      - {id: e, title: E, kind: bonus, per_event: {count: so_vu, points: 1}}
  - id: TC2
    title: T2
    max: 0
    bands:
      of: ty_le
      bands:
        - {above: 100, points: 0}
        - {from: 0, to: 100, points: 0}
"""
    )
    found = warnings(body)
    assert found == [
        (
            "unreachable-item",
            (
                "deduction 'a' reads no input and has no condition: every unit gets it alike, and "
                "no submission can change it"
            ),
        ),
        (
            "unreachable-item",
            "'when' of 'b' reads no input and is always false: the item never applies",
        ),
        (
            "unreachable-item",
            (
                "deduction 'c' reads no input and has no condition: every unit gets it alike, and "
                "no submission can change it"
            ),
        ),
        (
            "unreachable-item",
            "no value of 'ty_le' (from 0 to 100) falls in the band (100, +∞) of 'TC2'",
        ),
    ]


@pytest.mark.parametrize(
    ("ranking", "scale", "expected"),
    [
        (
            "[total, total]",
            10,
            "the ranking key 'total' can never break a tie: it repeats an earlier key",
        ),
        (
            "[total, percent]",
            10,
            (
                "the ranking key 'percent' can never break a tie: every unit "
                "has the same maximum, so it orders units as 'total' does"
            ),
        ),
        (
            "[total, {score: TC1}]",
            10,
            (
                "the ranking key 'score: TC1' can never break a tie: "
                "'TC1' is the only top-level criterion: its value is the total"
            ),
        ),
        (
            "[total, deductions]",
            10,
            (
                "the ranking key 'deductions' can never break a tie: the "
                "guide has no deduction: every unit has 0"
            ),
        ),
    ],
)
def test_unused_tie_breakers(ranking, scale, expected):
    body = (
        "inputs:\n  ty_le: {type: percent, label: Tỷ lệ, required: true}\n"
        "criteria:\n  - {id: TC1, title: T, max: 10, bands: {of: ty_le, bands: "
        "[{from: 90, points: 10}], otherwise: 5}}\n"
        f"ranking:\n  by: {ranking}\n"
    )
    assert warnings(body, scale=scale) == [("unused-tie-breaker", expected)]


def test_constant_subtotal_and_percent_with_not_applicable_items():
    body = (
        "inputs:\n"
        "  ty_le: {type: percent, label: Tỷ lệ, missing: not_applicable}\n"
        "criteria:\n"
        "  - {id: TC1, title: T, max: 5, bands: {of: ty_le, bands: [{from: 90, points: 5}],"
        " otherwise: 2}}\n"
        "  - {id: TC2, title: hằng, max: 5}\n"
        "ranking:\n  by: [percent, total, {score: TC2}]\n"
    )
    # a unit without 'ty_le' is scored out of 5: total and percent order units differently
    assert warnings(body) == [
        (
            "unused-tie-breaker",
            (
                "the ranking key 'score: TC2' can never break a tie: no input reaches 'TC2': "
                "every unit has the same value"
            ),
        )
    ]


@pytest.mark.parametrize(
    "guide", sorted(p for p in (ROOT / "rulesets").rglob("*.yaml") if ".tests." not in p.name)
)
def test_shipped_guides_have_no_lint_warnings(guide):
    assert [i.render() for i in check_ruleset(guide) if i.code in LINT] == []
