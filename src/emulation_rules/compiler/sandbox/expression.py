"""The values the sandbox hands out: expression types, limits, checked expressions.

Also the one translation of an exception raised while evaluating an expression into the
library's :class:`~emulation_rules.errors.EvaluationError`, shared by the closures
(:mod:`.closures`) and their reference (:mod:`.reference`), so both report the same codes.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from emulation_rules.errors import EvaluationError, Issue

if TYPE_CHECKING:
    import ast
    from collections.abc import Callable, Mapping

__all__ = ["CheckedExpression", "ExprType", "SandboxConfig", "translated_error"]

ExprType = Literal["number", "bool", "date", "text", "any"]


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """Limits on expressions, passed per call (never module globals)."""

    #: Longest expression source, in characters.
    max_length: int = 1000
    #: Most syntax nodes in one expression.
    max_nodes: int = 300
    #: Deepest nesting of syntax nodes.
    max_depth: int = 40
    #: Longest string literal.
    max_string: int = 200


@dataclass(frozen=True, slots=True)
class CheckedExpression:
    """An expression parsed once and checked, ready to evaluate many times."""

    source: str
    tree: ast.expr
    type: ExprType
    #: Input and constant names it reads, in first-use order.
    names: tuple[str, ...]
    #: Criterion ids it reads through ``score("id")``.
    refs: tuple[str, ...]
    #: The tree compiled into Python closures (see :func:`compile_tree`); ``None`` means the
    #: expression is evaluated by simpleeval only.
    fn: Callable[[Mapping[str, Any]], Any] | None = field(default=None, compare=False, repr=False)
    #: The name, when the whole expression is one input or constant name (a fast path).
    bare_name: str | None = None


def translated_error(exc: BaseException, expression: CheckedExpression) -> EvaluationError:
    """The library's error for an exception raised while evaluating ``expression``."""
    if isinstance(exc, ZeroDivisionError):  # decimal.DivisionByZero is a subclass
        issue = Issue("eval-div-zero", f"division by zero in {expression.source!r}")
        return EvaluationError("division by zero", (issue,))
    if isinstance(exc, decimal.DecimalException | ArithmeticError):
        issue = Issue("eval-error", f"{type(exc).__name__} in {expression.source!r}")
        return EvaluationError("arithmetic error", (issue,))
    issue = Issue("eval-error", f"{expression.source!r} failed: {type(exc).__name__}")
    return EvaluationError("expression failed", (issue,))
