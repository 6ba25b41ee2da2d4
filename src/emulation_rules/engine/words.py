"""The Vietnamese words of the trace: one place for both evaluators.

The interpreter (:mod:`emulation_rules.engine.evaluator`) and the generated code
(:mod:`emulation_rules.engine.codegen`) write the same notes on the same trace lines; each
phrase is defined here once and both read it from here. The generated code receives a note as
an opaque constant (or, for a note made per unit, the function below that makes it), so the
text of a note never appears in the generated source.

The codes of the lines (``cap_line``, ``forfeit``, …) and the statuses (``scored``,
``waived``, …) are English and stable: the JSON output and the audit records carry them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulation_rules.compiler.constructs import when_zero_words
from emulation_rules.guide.model import value_words

if TYPE_CHECKING:
    from collections.abc import Iterable
    from decimal import Decimal

__all__ = [
    "ALL_CHILDREN_NOT_APPLICABLE",
    "EXCESS_BONUS",
    "NOT_APPLICABLE",
    "STAGE_WORDS",
    "TOTAL_RULE",
    "benchmark_not_met",
    "cap_adjustments",
    "cap_at_max",
    "cap_bonuses",
    "cap_deductions",
    "cap_line",
    "floor",
    "missing_inputs",
    "not_applicable_if",
    "rounding",
    "total_cap_scale",
    "total_rounding",
    "when_zero",
]

#: A criterion that does not apply (the cohort gave no note).
NOT_APPLICABLE = "không áp dụng"
#: A group none of whose score children applies.
ALL_CHILDREN_NOT_APPLICABLE = "không áp dụng: mọi tiêu chí con không áp dụng"
#: The points above a proportional item's cap, moved to bonus (``excess: bonus``).
EXCESS_BONUS = "phần vượt chuyển sang điểm thưởng"
#: The rule of the unit total, in the root of the trace.
TOTAL_RULE = "tổng điểm các tiêu chuẩn"
#: The review stages.
STAGE_WORDS = {
    "self_assessment": "tự chấm",
    "appraisal": "thẩm định",
    "cross_check": "chấm chéo",
    "agreed": "thống nhất",
}


def missing_inputs(names: Iterable[str]) -> str:
    """A criterion that does not apply because inputs are missing as not applicable."""
    return "không áp dụng: thiếu " + ", ".join(names)


def not_applicable_if(source: str) -> str:
    """A criterion whose ``applicable_if`` condition (``source``) is false."""
    return f"không áp dụng: {source}"


def cap_line(cap: Decimal) -> str:
    """The cap of a construct's own value (per event, proportional, increment)."""
    return f"tối đa {value_words(cap)}"


def when_zero(rule: str, *, lower: bool) -> str:
    """A proportional item whose divisor is 0, scored by its ``when_zero`` rule."""
    return when_zero_words(rule, lower=lower)


def benchmark_not_met(ident: str) -> str:
    """A ``requires_benchmark`` bonus that does not count."""
    return f"{ident}: chỉ cộng khi đạt đủ điểm chuẩn"


def cap_deductions(cap: Decimal) -> str:
    """The cap of a group's deductions."""
    return f"điểm trừ tối đa {value_words(cap)}"


def cap_bonuses(cap: Decimal) -> str:
    """The cap of a group's bonuses."""
    return f"điểm cộng tối đa {value_words(cap)}"


def cap_adjustments(cap: Decimal) -> str:
    """The cap of a group's bonuses and deductions together."""
    return f"điểm trừ, cộng tối đa {value_words(cap)}"


def cap_at_max(most: Decimal) -> str:
    """A criterion capped at its maximum."""
    return f"không vượt quá {most}"


def floor(least: Decimal) -> str:
    """A criterion (or the total) raised to its floor."""
    return f"không thấp hơn {least}"


def rounding(places: int, mode: str) -> str:
    """A criterion rounded to ``places`` decimals."""
    return f"làm tròn {places} chữ số ({mode})"


def total_cap_scale(scale: Decimal) -> str:
    """The unit total capped at the scale."""
    return f"tổng không vượt quá {scale}"


def total_rounding(places: int) -> str:
    """The unit total rounded to ``places`` decimals."""
    return f"làm tròn {places} chữ số"
