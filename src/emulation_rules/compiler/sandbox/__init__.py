"""The expression sandbox: guide expressions checked, then evaluated with plain values.

- :mod:`.expression`: the values handed out (``ExprType``, ``SandboxConfig``,
  ``CheckedExpression``) and the one translation of evaluation errors;
- :mod:`.functions`: the function table and the arithmetic helpers every evaluator shares;
- :mod:`.check`: the static checker (allow-list, limits, exact literals, names, types);
- :mod:`.closures`: the fast path, checked trees compiled into closures;
- :mod:`.reference`: the reference, simpleeval over the same trees (its only importer).

:func:`evaluate_expression` runs the closures, or the reference with ``reference=True``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulation_rules.compiler.sandbox.check import check_expression
from emulation_rules.compiler.sandbox.closures import SCORE_KEY, compile_tree, run_compiled
from emulation_rules.compiler.sandbox.expression import CheckedExpression, ExprType, SandboxConfig
from emulation_rules.compiler.sandbox.functions import (
    FUNCTIONS,
    ROUNDING_MODES,
    divide,
    number_value,
)
from emulation_rules.compiler.sandbox.reference import ReferenceEvaluator

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from decimal import Decimal

__all__ = [
    "FUNCTIONS",
    "ROUNDING_MODES",
    "SCORE_KEY",
    "CheckedExpression",
    "ExprType",
    "ReferenceEvaluator",
    "SandboxConfig",
    "check_expression",
    "compile_tree",
    "divide",
    "evaluate_expression",
    "number_value",
    "run_compiled",
]


def evaluate_expression(
    expression: CheckedExpression,
    names: Mapping[str, Any],
    score: Callable[[str], Decimal],
    *,
    reference: bool = False,
) -> Any:
    """Evaluate a checked expression with plain values.

    By default the compiled closures run; with ``reference=True`` simpleeval evaluates the
    same checked tree (the reference the closures are tested against).

    Raises:
        EvaluationError: with code ``eval-div-zero`` or ``eval-error``; no other exception
        escapes.
    """
    if not reference and expression.fn is not None:
        env = dict(names)
        env[SCORE_KEY] = score
        return run_compiled(expression, env)
    return ReferenceEvaluator(names, score).run(expression)
