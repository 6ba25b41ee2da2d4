"""Numbers below every stage: the decimal context all computations run in.

It lives here, not in the engine, because the compiler's lint, the validation of submissions
and the cluster computations use it too, and none of them may import the engine.
"""

from __future__ import annotations

import decimal

__all__ = ["ENGINE_CONTEXT"]

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
