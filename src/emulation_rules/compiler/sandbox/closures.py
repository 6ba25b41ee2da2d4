"""The fast path: a checked tree compiled into nested Python closures, one per node.

Fast path: the closures :func:`compile_tree` makes from each checked tree (``run_compiled``).
Reference: simpleeval over the same tree, :class:`~emulation_rules.compiler.sandbox.reference.
ReferenceEvaluator` (the engine's ``reference=True`` mode). Kept equal by:
``tests/test_sandbox.py::test_closures_agree_with_simpleeval``,
``tests/test_reference_replay.py`` and ``tests/test_fuzz.py``.

Only this compiler writes the closures, from node types of the checker's allow-list
(:mod:`.check`); no text from the guide is ever passed to eval() or compile(). Evaluating a
closure tree costs a few function calls per node, where simpleeval re-dispatches on every node
through its method table. At run time only plain immutable values (Decimal, int, bool, str,
date) are passed in, and every exception is translated into the library's own errors.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from emulation_rules.compiler.sandbox.expression import translated_error
from emulation_rules.compiler.sandbox.functions import COMPARISONS, FUNCTIONS, divide, number_value
from emulation_rules.errors import EvaluationError

if TYPE_CHECKING:
    from emulation_rules.compiler.sandbox.expression import CheckedExpression

__all__ = ["SCORE_KEY", "compile_tree", "run_compiled"]

#: Key under which the unit's ``score(id)`` function is passed in the environment. It contains
#: a space, so no identifier in an expression can name it.
SCORE_KEY = " score"

_Fn = Callable[[Mapping[str, Any]], Any]


def _constant(value: Any) -> _Fn:
    return lambda _env: value


def _name(name: str) -> _Fn:
    return lambda env: env[name]


def _binary(op: type, left: _Fn, right: _Fn) -> _Fn:
    if op is ast.Add:
        return lambda env: number_value(left(env)) + number_value(right(env))
    if op is ast.Sub:
        return lambda env: number_value(left(env)) - number_value(right(env))
    if op is ast.Mult:
        return lambda env: number_value(left(env)) * number_value(right(env))
    return lambda env: divide(number_value(left(env)), number_value(right(env)))


def _unary(op: type, operand: _Fn) -> _Fn:
    if op is ast.Not:
        return lambda env: not operand(env)
    if op is ast.USub:
        return lambda env: -number_value(operand(env))
    return lambda env: +number_value(operand(env))


def _bool_op(is_and: bool, values: list[_Fn]) -> _Fn:
    def run(env: Mapping[str, Any]) -> Any:
        result: Any = is_and
        for value in values:
            result = value(env)
            if bool(result) != is_and:
                return result
        return result

    return run


def _compare(left: _Fn, ops: list[Callable[[Any, Any], bool]], rights: list[_Fn]) -> _Fn:
    if len(ops) == 1:
        op, right = ops[0], rights[0]
        return lambda env: op(left(env), right(env))

    def run(env: Mapping[str, Any]) -> bool:
        current = left(env)
        for op, right in zip(ops, rights, strict=True):
            following = right(env)
            if not op(current, following):
                return False
            current = following
        return True

    return run


def _if(test: _Fn, body: _Fn, orelse: _Fn) -> _Fn:
    return lambda env: body(env) if test(env) else orelse(env)


def _call(name: str, args: list[_Fn]) -> _Fn:
    if name == "score":
        arg = args[0]
        return lambda env: env[SCORE_KEY](arg(env))
    impl = FUNCTIONS[name].impl
    if len(args) == 1:
        only = args[0]
        return lambda env: impl(only(env))
    if len(args) == 2:
        first, second = args
        return lambda env: impl(first(env), second(env))
    return lambda env: impl(*(a(env) for a in args))


def compile_tree(tree: ast.expr) -> _Fn:
    """Compile a checked expression tree into a closure over an environment mapping.

    The tree must have passed :func:`check_expression` (allow-listed nodes only, bounded
    depth), so recursion here is bounded too.
    """
    if isinstance(tree, ast.Constant):
        return _constant(tree.value)
    if isinstance(tree, ast.Name):
        return _name(tree.id)
    if isinstance(tree, ast.BinOp):
        return _binary(type(tree.op), compile_tree(tree.left), compile_tree(tree.right))
    if isinstance(tree, ast.UnaryOp):
        return _unary(type(tree.op), compile_tree(tree.operand))
    if isinstance(tree, ast.BoolOp):
        return _bool_op(isinstance(tree.op, ast.And), [compile_tree(v) for v in tree.values])
    if isinstance(tree, ast.Compare):
        return _compare(
            compile_tree(tree.left),
            [COMPARISONS[type(op)] for op in tree.ops],
            [compile_tree(c) for c in tree.comparators],
        )
    if isinstance(tree, ast.IfExp):
        return _if(compile_tree(tree.test), compile_tree(tree.body), compile_tree(tree.orelse))
    if isinstance(tree, ast.Call):
        assert isinstance(tree.func, ast.Name)
        return _call(tree.func.id, [compile_tree(a) for a in tree.args])
    msg = f"not a checked expression node: {type(tree).__name__}"  # pragma: no cover
    raise TypeError(msg)  # pragma: no cover


def run_compiled(expression: CheckedExpression, env: Mapping[str, Any]) -> Any:
    """Evaluate a compiled expression; ``env`` holds the names and, if needed, SCORE_KEY.

    Raises:
        EvaluationError: with code ``eval-div-zero`` or ``eval-error``; no other exception
        escapes.
    """
    assert expression.fn is not None
    try:
        return expression.fn(env)
    except EvaluationError:
        raise
    except Exception as exc:
        raise translated_error(exc, expression) from exc
