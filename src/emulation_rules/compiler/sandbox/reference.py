"""The reference evaluator: simpleeval over checked trees. The only module importing simpleeval.

Fast path: the closures of :mod:`.closures` (and the generated code, which writes them inline).
Reference: :class:`ReferenceEvaluator` here, the engine's ``reference=True`` mode. Kept equal
by: ``tests/test_sandbox.py::test_closures_agree_with_simpleeval``,
``tests/test_reference_replay.py`` and ``tests/test_fuzz.py``.

simpleeval is used as an evaluator of syntax trees :mod:`.check` has already checked, never
as the security boundary, and it never parses guide text.
"""

from __future__ import annotations

import ast
import threading
from typing import TYPE_CHECKING, Any

import simpleeval

from emulation_rules.compiler.sandbox.expression import translated_error
from emulation_rules.compiler.sandbox.functions import COMPARISONS, FUNCTIONS, divide, number_value
from emulation_rules.errors import EvaluationError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from decimal import Decimal

    from emulation_rules.compiler.sandbox.expression import CheckedExpression

__all__ = ["ReferenceEvaluator"]

#: The operators simpleeval applies: the same operations as the compiled closures (see
#: :mod:`.closures`), so that both give the same value of the same type (the sum of two
#: counts stays an int, exact, in both).
_OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: lambda a, b: number_value(a) + number_value(b),
    ast.Sub: lambda a, b: number_value(a) - number_value(b),
    ast.Mult: lambda a, b: number_value(a) * number_value(b),
    ast.Div: lambda a, b: divide(number_value(a), number_value(b)),
    ast.USub: lambda a: -number_value(a),
    ast.UAdd: lambda a: +number_value(a),
    ast.Not: lambda a: not a,
    **COMPARISONS,
}


#: simpleeval's constructor swaps the process's warning filters in and out
#: (``warnings.catch_warnings``), which is not safe when two threads do it at once: a thread
#: could restore the other's temporary filters. Evaluators are made one at a time.
_CONSTRUCTION = threading.Lock()


class ReferenceEvaluator:
    """simpleeval over checked trees: the independent second opinion on the closures.

    One evaluator serves one unit (or one call), in one thread: simpleeval keeps per-call state
    on its instance. ``names`` is read at every evaluation, so a mapping that the caller fills
    as it goes (the interpreter's names) is seen as it is then. simpleeval only ever sees trees
    :func:`check_expression` has checked (``previously_parsed``): it never parses guide text.
    """

    __slots__ = ("_evaluator",)

    def __init__(self, names: Mapping[str, Any], score: Callable[[str], Decimal]) -> None:
        functions = {name: f.impl for name, f in FUNCTIONS.items()}
        functions["score"] = score
        with _CONSTRUCTION:
            self._evaluator = simpleeval.SimpleEval(
                operators=_OPERATORS, functions=functions, names=names, allowed_attrs={}
            )

    def run(self, expression: CheckedExpression) -> Any:
        """Evaluate ``expression`` with simpleeval, on its checked tree.

        Raises:
            EvaluationError: with code ``eval-div-zero`` or ``eval-error``; no other exception
            escapes.
        """
        try:
            return self._evaluator.eval(expression.source, previously_parsed=expression.tree)
        except EvaluationError:
            raise
        except (Exception, RecursionError) as exc:
            raise translated_error(exc, expression) from exc
