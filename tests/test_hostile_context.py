"""The caller's decimal context never reaches the engine's arithmetic (issue 19)."""

from __future__ import annotations

import decimal
from decimal import Decimal

from emulation_rules import load_ruleset, load_submissions, rank, score

GUIDE = "rulesets/tiengiang-stnmt-2022.yaml"
SUBMISSIONS = "examples/tiengiang-2022/submissions.yaml"


def _result_json() -> str:
    guide = load_ruleset(GUIDE)
    batch = load_submissions([SUBMISSIONS])
    return score(guide, batch.submissions, rejected=batch.rejected).to_json()


def test_a_low_precision_and_trapped_inexact_context_changes_nothing():
    expected = _result_json()
    hostile = decimal.Context(prec=2, traps=[decimal.Inexact, decimal.Rounded])
    with decimal.localcontext(hostile):
        assert _result_json() == expected


def test_rank_keeps_units_apart_under_a_two_digit_context():
    guide = load_ruleset("rulesets/tinh-mau-stnmt-2022.yaml")
    batch = load_submissions(["examples/tinh-mau-stnmt-2022/submissions.yaml"])
    scored = score(guide, batch.submissions).units
    assert len({u.total for u in scored}) > 1
    tweaked = [
        u.__class__(**{**{f: getattr(u, f) for f in u.__dataclass_fields__}, "total": total})
        for u, total in zip(scored[:2], (Decimal("9.91"), Decimal("9.92")), strict=False)
    ]
    with decimal.localcontext(decimal.Context(prec=2)):
        ordered, ties, _ = rank(tweaked, guide.ruleset.ranking)
    assert ties == ()
    assert [u.total for u in ordered] == [Decimal("9.92"), Decimal("9.91")]
