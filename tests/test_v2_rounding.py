"""Guide format v2, issue 14 rule 8: declared rounding of the percentage and of ranking keys,
and the ``undeclared-rounding`` warning for a division whose long result reaches the total, the
percentage or a ranking key.

CA = the police "Vì An ninh Tổ quốc" Article 6 (``../shared/guides/congan-vi-an-ninh-to-quoc-
dieu6.txt``, clause 4: "2,5 + (50 : 100 x 2,5) = 3,75 điểm") and the cluster 347 criteria tree
(``congan-cum347-criteria-tree.txt``: every scale written with 2 decimals, "[700.00]").
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from emulation_rules import Submission, check_ruleset, load_ruleset, load_submissions, score
from emulation_rules.engine.ranking import rank_key

ROOT = Path(__file__).resolve().parent.parent
POLICE = ROOT / "rulesets" / "congan-cum347-2024.yaml"
EXAMPLE = ROOT / "examples" / "congan-cum347" / "submissions.yaml"

HEADER = """\
format: emulation-rules/v2
id: cong-an-thu
version: "1"
title: Cụm thi đua thử (Điều 6)
period: "2024"
scale: 30
"""

#: Three target items of 10 points (Article 6), a unit's result over its target.
BODY = """\
inputs:
  kq1: {type: count, label: Kết quả 1, missing: 0}
  ct1: {type: count, label: Chỉ tiêu 1, missing: not_applicable}
  kq2: {type: count, label: Kết quả 2, missing: 0}
  ct2: {type: count, label: Chỉ tiêu 2, missing: not_applicable}
  kq3: {type: count, label: Kết quả 3, missing: 0}
  ct3: {type: count, label: Chỉ tiêu 3, missing: not_applicable}
criteria:
  - {id: "1", title: Tiêu chí 1, max: 10, target: {achieved: kq1, target: ct1}}
  - {id: "2", title: Tiêu chí 2, max: 10, target: {achieved: kq2, target: ct2}}
  - {id: "3", title: Tiêu chí 3, max: 10, target: {achieved: kq3, target: ct3}}
"""


def _warnings(text: str) -> list[str]:
    issues = check_ruleset(text.encode(), name="g.yaml")
    assert all(i.severity == "warning" for i in issues), issues
    return [i.message for i in issues if i.code == "undeclared-rounding"]


def _unit(unit_id: str, **values: int) -> Submission:
    return Submission(unit_id=unit_id, name=f"Công an xã {unit_id}", values=values)


# ------------------------------------------------------------------ the shipped police guide


def test_the_police_guide_declares_its_two_places_and_warns_no_more() -> None:
    assert [i.code for i in check_ruleset(POLICE)] == []
    guide = load_ruleset(POLICE)
    batch = load_submissions(EXAMPLE)
    result = score(guide, batch)
    an_binh = result.unit("ca-xa-an-binh")
    # 1005.8333… and 94.8899…% before: now as the tables write them, 2 places
    assert (an_binh.total, an_binh.percent) == (D("1005.83"), D("94.89"))
    assert an_binh.trace.adjustments == (
        ("rounding", D("-0.003333333333333333333333"), "làm tròn 2 chữ số"),
    )
    assert all(u.percent == u.percent.quantize(D("0.01")) for u in result.units)


def test_without_its_rounding_the_police_guide_is_warned() -> None:
    text = POLICE.read_text(encoding="utf-8").replace(
        "  rounding: {places: 2}\n  percent_rounding: {places: 2}\n", "  floor: 0\n"
    )
    percent, total = _warnings(text)  # in the file's order: the total key, then item 20
    assert total.startswith("'20', '21', '22', … divide, and their result reaches the total")
    assert percent.startswith("the percentage (the total × 100 / the unit's maximum) carries")


# ------------------------------------------------------------------------- the warning


def test_a_target_rule_reaching_total_percent_and_a_key_is_warned_for_each() -> None:
    text = HEADER + BODY + "ranking:\n  by: [percent, {score: '2'}]\n"
    assert sorted(_warnings(text)) == [
        (
            "'1', '2', '3' divide, and their result reaches the total with up to 28 significant "
            "digits (805.6527… where a table shows 805.66), and no rounding is declared"
        ),
        (
            "'2' divide, and their result reaches the ranking key '2' with up to 28 significant "
            "digits (805.6527… where a table shows 805.66), and no rounding is declared"
        ),
        (
            "the percentage (the total × 100 / the unit's maximum) carries up to 28 significant "
            "digits (94.8899… where a table shows 94.89), and no rounding is declared for it"
        ),
    ]


def test_declared_roundings_silence_it() -> None:
    text = (
        HEADER.replace("scale: 30\n", "scale: 30\ntotal:\n  rounding: {places: 2}\n")
        + BODY
        + "ranking:\n  by: [{key: percent, rounding: {places: 2}}, "
        "{score: '2', rounding: {places: 2}}]\n"
    )
    assert _warnings(text) == []


def test_a_product_of_rates_is_warned_and_an_exact_division_is_not() -> None:
    # issue 19's leftover: a product of two rates carries the long decimals of both
    rates = """\
inputs:
  a: {type: count, label: A, missing: 0}
  b: {type: count, label: B, min: 1, missing: 1}
criteria:
  - {id: x, title: X, max: 10, formula: "min(10, (a / b) * (a / (b + 2)))"}
  - {id: y, title: Y, max: 10, formula: "min(10, a / 4 + round(a / b, 2))"}
  - {id: z, title: Z, max: 10, proportional: {achieved: a, target: "5"}}
"""
    (message,) = _warnings(HEADER + rates)
    assert message.startswith("'x' divide, and their result reaches the total with")


def test_a_varying_maximum_makes_the_percentage_long() -> None:
    # no division in the rules: the maximum varies (an item may not apply), the percent does not
    body = """\
inputs:
  kq: {type: count, label: Kết quả, max: 10, missing: 0}
  co_giao: {type: bool, label: Được giao chỉ tiêu, missing: true}
criteria:
  - {id: "1", title: Tiêu chí 1, max: 10, formula: kq}
  - {id: "2", title: Tiêu chí 2, max: 20, formula: 2 * kq, applicable_if: co_giao}
ranking:
  by: [percent]
"""
    text = HEADER + body
    (message,) = _warnings(text)
    assert message.startswith("the percentage (the total × 100 / the unit's maximum) carries")
    rounded = text.replace("scale: 30\n", "scale: 30\ntotal: {percent_rounding: {places: 2}}\n")
    assert _warnings(rounded) == []
    # 7 of 10 when item 2 does not apply; 21 of 30 otherwise: 70.00% both
    guide = load_ruleset(rounded.encode(), name="g.yaml")
    result = score(guide, [_unit("a", kq=7, co_giao=False), _unit("b", kq=7)])
    assert {u.unit_id: u.percent for u in result.units} == {"a": D("70.00"), "b": D("70.00")}


# --------------------------------------------------------------------- the declared rounding


def test_article_6_scores_and_a_key_compared_at_two_places() -> None:
    text = (
        HEADER.replace(
            "scale: 30\n",
            "scale: 30\ntotal: {rounding: {places: 2}, percent_rounding: {places: 2}}\n",
        )
        + BODY
        + "ranking:\n  by: [{key: percent, rounding: {places: 1}}, total]\n"
    )
    guide = load_ruleset(text.encode(), name="g.yaml")
    assert guide.issues == ()
    # CA clause 4: C exceeds by 100% and leads (S = 10); D exceeds by 50%: 5 + 50/100 × 5 = 7.5
    # — the Article's own 3,75 for S = 5. E has no target on item 3 (its maximum is 20).
    units = [
        _unit("C", kq1=20, ct1=10, kq2=10, ct2=10, kq3=3, ct3=3),
        _unit("D", kq1=15, ct1=10, kq2=10, ct2=10, kq3=3, ct3=3),
        _unit("E", kq1=15, ct1=10, kq2=7, ct2=10),
    ]
    result = score(guide, units)
    by_id = {u.unit_id: u for u in result.units}
    assert by_id["D"].items["1"] == D("7.5")
    assert (by_id["C"].total, by_id["C"].percent) == (D(20), D("66.67"))  # 66.666…
    assert (by_id["D"].total, by_id["D"].percent) == (D("17.5"), D("58.33"))  # 58.333…
    # E: 7.5 + ½ × 10 × 0.7 = 11 of 20 = 55.00%
    assert (by_id["E"].total, by_id["E"].max, by_id["E"].percent) == (D(11), D(20), D(55))
    assert rank_key(by_id["C"], guide.ruleset.ranking) == (D("-66.7"), D(-20))
    assert [u.unit_id for u in result.units] == ["C", "D", "E"]


def test_a_key_rounding_makes_a_tie_the_next_key_breaks() -> None:
    text = (
        HEADER
        + BODY
        + "total: {rounding: {places: 2}}\n"
        + "ranking:\n  by: [{key: percent, rounding: {places: 0}}, {score: '1', order: asc}]\n"
    )
    guide = load_ruleset(text.encode(), name="g.yaml")
    units = [
        # C leads item 1 (exceeds by 100%): 10 + 5 + 5 = 20 of 30 = 66.67% → 67
        _unit("C", kq1=200, ct1=100, kq2=10, ct2=10, kq3=3, ct3=3),
        # D exceeds item 1 by 99%: 5 + 99/100 × 5 = 9.95; 19.95 of 30 = 66.5% → 67 too
        _unit("D", kq1=199, ct1=100, kq2=10, ct2=10, kq3=3, ct3=3),
    ]
    result = score(guide, units)
    keys = {u.unit_id: u.rank_keys for u in result.units}
    assert keys["C"][0] == keys["D"][0] == ("percent", "67")
    assert [u.unit_id for u in result.units] == ["D", "C"]  # fewer points on item 1 first
