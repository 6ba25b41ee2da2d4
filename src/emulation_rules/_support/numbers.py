"""Numbers below every stage: the decimal context all computations run in, and decimal text.

It lives here, not in the engine, because the compiler's lint, the validation of submissions
and the cluster computations use it too, and none of them may import the engine.
"""

from __future__ import annotations

import decimal
import re
from decimal import Decimal, InvalidOperation

__all__ = ["ENGINE_CONTEXT", "parse_decimal"]

#: The decimal context of every computation: 28 significant digits, half-up, and traps on
#: invalid operations, division by zero, overflow and any mixing with binary floats.
ENGINE_CONTEXT = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_UP,
    Emin=-999999,
    Emax=999999,
    traps=[
        decimal.InvalidOperation,
        decimal.DivisionByZero,
        decimal.Overflow,
        decimal.FloatOperation,
    ],
)

#: A number as a guide or a submission writes it: a minus sign or none, no leading zero, ``.``
#: for decimals, ASCII digits.
_STRICT_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
#: A number as a cell of a table writes it: digits, ``.`` or ``,`` for decimals, no sign.
_CELL_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def parse_decimal(text: str, *, decimal_comma: bool = False) -> Decimal | None:
    """The exact decimal a text writes, or None when it is not a number in the expected form.

    Args:
        text: The text, as given (not stripped).
        decimal_comma: False for the strict form of guides and submissions (``95``, ``-0.5``;
            not ``095``, ``95,5``, ``+1``); True for the form of a table's cells (``0,5``,
            ``0.5``, ``01``, ``3``; no sign).

    Example:
        >>> parse_decimal("95.50"), parse_decimal("95,5"), parse_decimal("-0.5")
        (Decimal('95.50'), None, Decimal('-0.5'))
        >>> parse_decimal("0,25", decimal_comma=True), parse_decimal("02", decimal_comma=True)
        (Decimal('0.25'), Decimal('2'))
        >>> parse_decimal("1.000,5", decimal_comma=True) is None
        True
    """
    if not decimal_comma:
        return Decimal(text) if _STRICT_NUMBER.fullmatch(text) else None
    if not _CELL_NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        return None
