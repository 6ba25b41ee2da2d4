"""The expression sandbox: the only module that imports simpleeval.

Fast path: the closures :func:`compile_tree` makes from each checked tree (``run_compiled``).
Reference: simpleeval over the same tree (:class:`ReferenceEvaluator`, the engine's
``reference=True`` mode). Kept equal by: ``tests/test_sandbox.py``,
``tests/test_reference_replay.py`` and ``tests/test_fuzz.py``.

simpleeval is used as an evaluator of syntax trees this module has already checked, never as
the security boundary. Before simpleeval sees an expression:

1. its length is bounded, then it is parsed once with :func:`ast.parse`;
2. every node is checked against an allow-list (no attributes, subscripts, comprehensions,
   lambdas, f-strings, ``**``, ``%``, ``//``, bit operators, assignments or statements),
   with node-count and depth limits, iteratively (no ``RecursionError``);
3. number literals become exact :class:`~decimal.Decimal` values from their source text;
4. every name is resolved statically against the guide's inputs and constants, every call
   against the engine's own function table, and operand types are checked;
5. at run time only plain immutable values (Decimal, int, bool, str, date) are passed in,
   and every exception is translated into the library's own errors.
"""

from __future__ import annotations

import ast
import decimal
import difflib
import threading
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import simpleeval

from emulation_rules.errors import EvaluationError, Issue
from emulation_rules.guide.model import day_first_iso

__all__ = [
    "FUNCTIONS",
    "CheckedExpression",
    "ExprType",
    "ReferenceEvaluator",
    "SandboxConfig",
    "check_expression",
    "evaluate_expression",
]

ExprType = Literal["number", "bool", "date", "text", "any"]

#: Rounding modes accepted by ``round(x, places, mode)``.
ROUNDING_MODES: dict[str, str] = {
    "half_up": decimal.ROUND_HALF_UP,
    "half_even": decimal.ROUND_HALF_EVEN,
    "half_down": decimal.ROUND_HALF_DOWN,
    "up": decimal.ROUND_UP,
    "down": decimal.ROUND_DOWN,
    "ceiling": decimal.ROUND_CEILING,
    "floor": decimal.ROUND_FLOOR,
}


#: Decimal places a number literal may have: far beyond any rule, far from the context's limits.
MAX_LITERAL_PLACES = 20
#: Significant digits a number literal may have: the precision of the engine's context.
MAX_LITERAL_DIGITS = 28


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


# --------------------------------------------------------------------------------------------
# The function table


def _round(value: Decimal, places: int | Decimal = 0, mode: str = "half_up") -> Decimal:
    exponent = Decimal(1).scaleb(-int(places))
    return Decimal(value).quantize(exponent, rounding=ROUNDING_MODES[mode])


def _clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, value))


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return _div(Decimal(part) * 100, whole)


def _ratio(part: Decimal, whole: Decimal) -> Decimal:
    return _div(part, whole)


def _floor(value: Decimal) -> Decimal:
    return Decimal(value).to_integral_value(rounding=decimal.ROUND_FLOOR)


def _ceil(value: Decimal) -> Decimal:
    return Decimal(value).to_integral_value(rounding=decimal.ROUND_CEILING)


def _days_between(start: date, end: date) -> Decimal:
    return Decimal((end - start).days)


def _date(text: str) -> date:
    return date.fromisoformat(text)


def _min(*values: Decimal) -> Decimal:
    return min(values)


def _max(*values: Decimal) -> Decimal:
    return max(values)


def _abs(value: Decimal) -> Decimal:
    return abs(value)


@dataclass(frozen=True, slots=True)
class _Function:
    impl: Callable[..., Any]
    args: tuple[ExprType, ...]
    returns: ExprType
    #: Whether the last argument type repeats (min, max).
    variadic: bool = False
    #: How many trailing arguments are optional.
    optional: int = 0
    doc: str = ""


#: The functions expressions may call. Nothing else is callable.
FUNCTIONS: dict[str, _Function] = {
    "min": _Function(_min, ("number", "number"), "number", variadic=True, doc="smallest value"),
    "max": _Function(_max, ("number", "number"), "number", variadic=True, doc="largest value"),
    "abs": _Function(_abs, ("number",), "number", doc="absolute value"),
    "clamp": _Function(_clamp, ("number", "number", "number"), "number", doc="clamp(x, low, high)"),
    "ratio": _Function(_ratio, ("number", "number"), "number", doc="ratio(part, whole)"),
    "percent": _Function(
        _percent, ("number", "number"), "number", doc="percent(part, whole) = part*100/whole"
    ),
    "round": _Function(
        _round,
        ("number", "number", "text"),
        "number",
        optional=2,
        doc="round(x, places=0, mode='half_up')",
    ),
    "floor": _Function(_floor, ("number",), "number", doc="largest integer ≤ x"),
    "ceil": _Function(_ceil, ("number",), "number", doc="smallest integer ≥ x"),
    "days_between": _Function(
        _days_between, ("date", "date"), "number", doc="days_between(start, end) = end - start"
    ),
    "date": _Function(_date, ("text",), "date", doc="date('YYYY-MM-DD'), a literal date"),
    "score": _Function(
        lambda _ident: Decimal(0), ("text",), "number", doc="score('a1.2'): another criterion"
    ),
}


def _div(left: Decimal, right: Decimal) -> Decimal:
    if right == 0:  # also 0 / 0, which Decimal reports as an invalid operation
        msg = "division by zero"
        raise ZeroDivisionError(msg)
    return Decimal(left) / Decimal(right)


#: The operators simpleeval applies: the same operations as the compiled closures (see
#: :func:`compile_tree`), so that both give the same value of the same type (the sum of two
#: counts stays an int, exact, in both).
_OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: lambda a, b: _number_value(a) + _number_value(b),
    ast.Sub: lambda a, b: _number_value(a) - _number_value(b),
    ast.Mult: lambda a, b: _number_value(a) * _number_value(b),
    ast.Div: lambda a, b: _div(_number_value(a), _number_value(b)),
    ast.USub: lambda a: -_number_value(a),
    ast.UAdd: lambda a: +_number_value(a),
    ast.Not: lambda a: not a,
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}

_FORBIDDEN_OPERATORS = {
    ast.Pow: "'**' (powers) is not allowed",
    ast.Mod: "'%' is not allowed",
    ast.FloorDiv: "'//' is not allowed; use floor(a / b)",
    ast.MatMult: "'@' is not allowed",
    ast.BitAnd: "bit operators are not allowed; use 'and'",
    ast.BitOr: "bit operators are not allowed; use 'or'",
    ast.BitXor: "bit operators are not allowed",
    ast.LShift: "shift operators are not allowed",
    ast.RShift: "shift operators are not allowed",
    ast.Invert: "'~' is not allowed; use 'not'",
    ast.Is: "'is' is not allowed; use '=='",
    ast.IsNot: "'is not' is not allowed; use '!='",
}

_NODE_NAMES = {
    ast.Attribute: "attribute access ('.')",
    ast.Subscript: "indexing ('[...]')",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.JoinedStr: "f-strings",
    ast.FormattedValue: "f-strings",
    ast.NamedExpr: "assignment expressions (':=')",
    ast.Starred: "'*' unpacking",
    ast.Dict: "dictionaries",
    ast.Set: "sets",
    ast.List: "lists",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}

# --------------------------------------------------------------------------------------------
# Static checking


@dataclass
class _Checker:
    source: str
    names: Mapping[str, ExprType]
    criteria: frozenset[str]
    config: SandboxConfig
    issues: list[Issue] = field(default_factory=list)
    read: dict[str, None] = field(default_factory=dict)
    refs: dict[str, None] = field(default_factory=dict)

    def fail(
        self, code: str, message: str, node: ast.AST | None = None, hint: str | None = None
    ) -> None:
        column = getattr(node, "col_offset", None) if node is not None else None
        if column is not None:  # ast offsets count UTF-8 bytes; ours count characters, from 1
            column = len(self.source.encode("utf-8")[:column].decode("utf-8", "replace")) + 1
        self.issues.append(Issue(code, message, column=column, hint=hint))

    # -- structure --------------------------------------------------------------------------

    def check_structure(self, tree: ast.expr) -> bool:
        count = 0
        stack: list[tuple[ast.AST, int, ast.AST | None]] = [(tree, 1, None)]
        while stack:
            node, depth, parent = stack.pop()
            count += 1
            if count > self.config.max_nodes:
                self.fail(
                    "expr-too-complex",
                    f"the expression has more than {self.config.max_nodes} parts",
                )
                return False
            if depth > self.config.max_depth:
                self.fail(
                    "expr-too-complex",
                    f"the expression nests deeper than {self.config.max_depth} levels",
                    node if hasattr(node, "col_offset") else parent,
                )
                return False
            if not self._allowed(node, parent):
                return False
            children = list(ast.iter_child_nodes(node))
            stack.extend((child, depth + 1, node) for child in reversed(children))
        return True

    def _allowed(self, node: ast.AST, parent: ast.AST | None = None) -> bool:
        kind = type(node)
        if kind is ast.Name:
            return self._plain_name(node)  # type: ignore[arg-type]
        if kind in _NODE_NAMES:
            self.fail("expr-forbidden", f"not allowed: {_NODE_NAMES[kind]}", node)
            return False
        if kind in _FORBIDDEN_OPERATORS:
            self.fail("expr-forbidden", _FORBIDDEN_OPERATORS[kind], _operator_at(parent))
            return False
        if isinstance(node, ast.Call) and (node.keywords or not isinstance(node.func, ast.Name)):
            self.fail("expr-forbidden", "only plain calls like min(a, b) are allowed", node)
            return False
        if isinstance(node, ast.Constant) and node.value is None:
            self.fail("expr-forbidden", "None is not a value in expressions", node)
            return False
        if isinstance(node, ast.Constant) and isinstance(node.value, complex | bytes):
            self.fail("expr-number", "complex numbers and bytes are not allowed", node)
            return False
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and len(node.value) > self.config.max_string
        ):
            self.fail("expr-too-long", "the text literal is too long", node)
            return False
        allowed = (
            ast.Expression,
            ast.BoolOp,
            ast.BinOp,
            ast.UnaryOp,
            ast.Compare,
            ast.IfExp,
            ast.Call,
            ast.Name,
            ast.Constant,
            ast.Tuple,
            ast.Load,
            ast.And,
            ast.Or,
            ast.Add,
            ast.Sub,
            ast.Mult,
            ast.Div,
            ast.USub,
            ast.UAdd,
            ast.Not,
            ast.Eq,
            ast.NotEq,
            ast.Lt,
            ast.LtE,
            ast.Gt,
            ast.GtE,
            ast.In,
            ast.NotIn,
        )
        if not isinstance(node, allowed):
            self.fail("expr-forbidden", f"{type(node).__name__} is not allowed", node)
            return False
        return True

    # -- literals -----------------------------------------------------------------------------

    def to_decimal_literals(self, tree: ast.expr) -> ast.expr:
        """Make number literals exact Decimals and ``true``/``false`` booleans.

        Recursion is safe here: the depth was bounded by :meth:`check_structure`.
        """
        checker = self

        class _Literals(ast.NodeTransformer):
            def visit_Name(self, node: ast.Name) -> ast.AST:
                if node.id in ("true", "false") and node.id not in checker.names:
                    return ast.copy_location(ast.Constant(node.id == "true"), node)
                return node

            def visit_Tuple(self, node: ast.Tuple) -> ast.AST:
                # ('a', 'b') after 'in' becomes one constant: simpleeval evaluates no tuples
                self.generic_visit(node)
                if all(isinstance(e, ast.Constant) for e in node.elts):
                    values = tuple(e.value for e in node.elts if isinstance(e, ast.Constant))
                    return ast.copy_location(ast.Constant(values), node)  # type: ignore[arg-type]
                return node

            def visit_Constant(self, node: ast.Constant) -> ast.AST:
                value = node.value
                if isinstance(value, bool) or not isinstance(value, int | float):
                    return node
                text = ast.get_source_segment(checker.source, node) or repr(value)
                try:
                    number = Decimal(text.replace("_", "x"))
                except decimal.InvalidOperation:
                    checker.fail("expr-number", f"'{text}' is not a number literal", node)
                    return node
                if not number.is_finite() or number.copy_abs() >= Decimal("1e15"):
                    checker.fail("expr-number", f"the number {text} is too large", node)
                    return node
                if len(number.as_tuple().digits) > MAX_LITERAL_DIGITS:
                    # the engine computes with 28 significant digits: more would be rounded
                    checker.fail(
                        "expr-number",
                        f"the number {text} has more than {MAX_LITERAL_DIGITS} significant "
                        "digits, more than the engine keeps",
                        node,
                    )
                    return node
                if number.as_tuple().exponent < -MAX_LITERAL_PLACES:  # type: ignore[operator]
                    # 1e-999999999 would underflow to 0; 0e-999999999 would print a megabyte
                    checker.fail(
                        "expr-number",
                        f"the number {text} has more than {MAX_LITERAL_PLACES} decimal places",
                        node,
                    )
                    return node
                # Decimal constants are this module's own extension of the tree
                return ast.copy_location(ast.Constant(number), node)  # type: ignore[arg-type]

        result = _Literals().visit(tree)
        assert isinstance(result, ast.expr)
        return result

    # -- names and types ----------------------------------------------------------------------

    def infer(self, node: ast.AST) -> ExprType:
        """Infer the type of ``node`` (iteration is bounded by the depth check)."""
        if isinstance(node, ast.Constant):
            value: object = node.value  # may be a tuple or a Decimal: see to_decimal_literals
            if isinstance(value, tuple):
                self.fail("expr-forbidden", "a list of values is allowed only after 'in'", node)
                return "any"
            if isinstance(value, bool):
                return "bool"
            if isinstance(value, Decimal | int):
                return "number"
            return "text"
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.BinOp):
            left, right = self.infer(node.left), self.infer(node.right)
            self._expect(node.left, left, "number", "arithmetic")
            self._expect(node.right, right, "number", "arithmetic")
            if isinstance(node.op, ast.Div) and _is_zero(node.right):
                self.fail("expr-div-zero", "division by zero", node.right)
            return "number"
        if isinstance(node, ast.UnaryOp):
            operand = self.infer(node.operand)
            if isinstance(node.op, ast.Not):
                self._expect(node.operand, operand, "bool", "'not'")
                return "bool"
            self._expect(node.operand, operand, "number", "a sign")
            return "number"
        if isinstance(node, ast.BoolOp):
            for operand_node in node.values:
                self._expect(operand_node, self.infer(operand_node), "bool", "'and'/'or'")
            return "bool"
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.IfExp):
            self._expect(node.test, self.infer(node.test), "bool", "the condition of 'if'")
            body, orelse = self.infer(node.body), self.infer(node.orelse)
            if "any" not in (body, orelse) and body != orelse:
                self.fail(
                    "expr-type", f"'if' gives {body} on one side and {orelse} on the other", node
                )
            return body if body != "any" else orelse
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Tuple):
            self.fail("expr-forbidden", "a tuple is allowed only after 'in'", node)
            return "any"
        return "any"

    def _plain_name(self, node: ast.Name) -> bool:
        """Refuse a name that Python folded (NFKC): ``ｓｏ``, ``𝐚`` and ``ª`` read ``so``, ``a``."""
        written = ast.get_source_segment(self.source, node)
        if written is None or written == node.id:
            return True
        self.fail(
            "expr-lookalike",
            f"{written!r} is not written in plain letters: Python would read it as {node.id!r}",
            node,
            hint=f"write {node.id!r} with ordinary letters",
        )
        return False

    def _name(self, node: ast.Name) -> ExprType:
        if node.id in self.names:
            self.read.setdefault(node.id, None)
            return self.names[node.id]
        if node.id in FUNCTIONS:
            self.fail("expr-forbidden", f"the function {node.id!r} must be called", node)
            return "any"
        if node.id in self.criteria or node.id.replace("_", ".") in self.criteria:
            ident = node.id if node.id in self.criteria else node.id.replace("_", ".")
            self.fail(
                "expr-unknown-name",
                f"{node.id!r} is a criterion, not an input",
                node,
                hint=f"write score({ident!r})",
            )
            return "number"
        close = difflib.get_close_matches(node.id, list(self.names), n=1, cutoff=0.6)
        self.fail(
            "expr-unknown-name",
            f"{node.id!r} is not a declared input or constant",
            node,
            hint=f"did you mean {close[0]!r}?" if close else None,
        )
        return "any"

    def _expect(self, node: ast.AST, got: ExprType, want: ExprType, what: str) -> None:
        if got not in ("any", want):
            self.fail("expr-type", f"{what} needs a {want}, got a {got}", node)

    def _compare(self, node: ast.Compare) -> ExprType:
        left = self.infer(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                options: object = getattr(comparator, "value", None)
                if not (isinstance(comparator, ast.Constant) and isinstance(options, tuple)):
                    self.fail(
                        "expr-forbidden", "'in' needs a list of values like ('a', 'b')", comparator
                    )
                    continue
                for element in options:
                    self._expect(comparator, _literal_type(element), left, "'in'")
                left = "any"
                continue
            right = self.infer(comparator)
            if isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE):
                if left not in ("any", "number", "date"):
                    self.fail(
                        "expr-type", f"'<' and '>' compare numbers or dates, not a {left}", node
                    )
                elif right not in ("any", left):
                    self.fail("expr-type", f"cannot compare a {left} with a {right}", comparator)
            elif "any" not in (left, right) and left != right:
                self.fail("expr-type", f"cannot compare a {left} with a {right}", comparator)
            left = right
        return "bool"

    def _call(self, node: ast.Call) -> ExprType:
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        function = FUNCTIONS.get(name)
        if function is None:
            close = difflib.get_close_matches(name, list(FUNCTIONS), n=1, cutoff=0.6)
            self.fail(
                "expr-unknown-function",
                f"{name!r} is not a function of the guide language",
                node,
                hint=f"did you mean {close[0]!r}?"
                if close
                else "see docs/ruleset-format.md#functions",
            )
            for arg in node.args:
                self.infer(arg)
            return "any"
        count = len(node.args)
        least = len(function.args) - function.optional
        if count < least or (not function.variadic and count > len(function.args)):
            self.fail("expr-type", f"{name}() takes {_arity(function)}, got {count}", node)
        for index, arg in enumerate(node.args):
            want = function.args[min(index, len(function.args) - 1)]
            self._expect(arg, self.infer(arg), want, f"argument {index + 1} of {name}()")
        if name in ("score", "date") or (name == "round" and count == 3):
            literal = node.args[-1] if node.args else None
            if not (isinstance(literal, ast.Constant) and isinstance(literal.value, str)):
                self.fail(
                    "expr-type", f"the last argument of {name}() must be a quoted literal", node
                )
            elif name == "score":
                self._ref(literal, literal.value)
            elif name == "date":
                try:
                    date.fromisoformat(literal.value)
                except ValueError:
                    iso = day_first_iso(literal.value)
                    self.fail(
                        "date-format",
                        f"{literal.value!r} is not a date YYYY-MM-DD",
                        literal,
                        hint=f"write date('{iso}')" if iso else None,
                    )
            elif literal.value not in ROUNDING_MODES:
                self.fail(
                    "expr-type",
                    f"{literal.value!r} is not a rounding mode ({', '.join(ROUNDING_MODES)})",
                    literal,
                )
        return function.returns

    def _ref(self, node: ast.AST, ident: str) -> None:
        if ident in self.criteria:
            self.refs.setdefault(ident, None)
            return
        close = difflib.get_close_matches(ident, list(self.criteria), n=1, cutoff=0.6)
        self.fail(
            "unknown-criterion",
            f"{ident!r} is not a criterion of the guide",
            node,
            hint=f"did you mean {close[0]!r}?" if close else None,
        )


class _At:
    """A position inside an expression, for operators (which carry none themselves)."""

    def __init__(self, col_offset: int) -> None:
        self.col_offset = col_offset


def _operator_at(parent: ast.AST | None) -> ast.AST | None:
    """Where an operator is: just after its left operand (or at its expression)."""
    left = getattr(parent, "left", None)
    if isinstance(parent, ast.Compare):
        left = parent.left
    end = getattr(left, "end_col_offset", None)
    if end is not None:
        return _At(end + 1)  # type: ignore[return-value]
    return parent


def _literal_type(value: object) -> ExprType:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Decimal | int):
        return "number"
    return "text" if isinstance(value, str) else "any"


def _arity(function: _Function) -> str:
    most = len(function.args)
    least = most - function.optional
    if function.variadic:
        return f"{least} or more arguments"
    if least == most:
        return f"{most} argument{'s' if most != 1 else ''}"
    return f"{least} to {most} arguments"


def _is_zero(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, Decimal | int)
        and not isinstance(node.value, bool)
        and node.value == 0
    )


def _parse(source: str, checker: _Checker) -> ast.expr | None:
    try:
        with warnings.catch_warnings():  # the same verdict whatever the process's filters
            warnings.simplefilter("error")
            module = ast.parse(source, mode="exec")
    except SyntaxError as exc:
        offset = (exc.offset or 1) - 1
        checker.issues.append(
            Issue(
                "expr-syntax",
                f"invalid syntax: {exc.msg}",
                column=offset + 1 if offset >= 0 else None,
            )
        )
        return None
    except (RecursionError, MemoryError, ValueError):
        checker.fail("expr-too-complex", "the expression is too deeply nested to parse")
        return None
    if len(module.body) != 1:
        checker.fail("expr-not-expression", "write one expression, not several statements")
        return None
    statement = module.body[0]
    if not isinstance(statement, ast.Expr):
        kind = type(statement).__name__.lower()
        checker.fail(
            "expr-not-expression",
            f"an expression is expected, not a statement ({kind})",
            statement,
            hint="use '==' to compare" if kind in ("assign", "augassign", "annassign") else None,
        )
        return None
    return statement.value


def check_expression(
    source: str,
    *,
    names: Mapping[str, ExprType],
    criteria: frozenset[str] = frozenset(),
    expect: ExprType = "any",
    config: SandboxConfig = SandboxConfig(),
) -> tuple[CheckedExpression | None, list[Issue]]:
    """Parse and check one expression.

    Returns the checked expression (or ``None``) and the issues found. Issue columns are
    1-based offsets inside the expression text; the caller adds the file position.
    """
    checker = _Checker(source, names, criteria, config)
    if len(source) > config.max_length:
        checker.fail(
            "expr-too-long",
            f"the expression has {len(source)} characters; the limit is {config.max_length}",
        )
        return None, checker.issues
    if "\x00" in source:
        checker.fail("control-char", "the expression contains a NUL character")
        return None, checker.issues
    stripped = source.strip()
    lead = len(source) - len(source.lstrip())
    checker.source = stripped
    tree = _parse(stripped, checker)
    if tree is not None and checker.check_structure(tree):
        tree = checker.to_decimal_literals(tree)
        if not checker.issues:
            kind = checker.infer(tree)
            if expect != "any" and kind not in ("any", expect):
                checker.fail("expr-type", f"the expression gives a {kind}; a {expect} is expected")
    issues = [
        i.evolve(column=i.column + lead) if i.column is not None and lead else i
        for i in checker.issues
    ]
    if tree is None or any(i.severity == "error" for i in issues):
        return None, issues
    return (
        CheckedExpression(
            stripped,
            tree,
            kind,
            tuple(checker.read),
            tuple(checker.refs),
            compile_tree(tree),
            tree.id if isinstance(tree, ast.Name) else None,
        ),
        issues,
    )


# --------------------------------------------------------------------------------------------
# Evaluation


# --------------------------------------------------------------------------------------------
# Compilation into closures
#
# The checked tree is turned into nested Python closures, one per node. Only this compiler
# writes them, from node types of the allow-list above; no text from the guide is ever passed
# to eval() or compile(). Evaluating a closure tree costs a few function calls per node, where
# simpleeval re-dispatches on every node through its method table.

#: Key under which the unit's ``score(id)`` function is passed in the environment. It contains
#: a space, so no identifier in an expression can name it.
SCORE_KEY = " score"

_Fn = Callable[[Mapping[str, Any]], Any]

_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def _constant(value: Any) -> _Fn:
    return lambda _env: value


def _name(name: str) -> _Fn:
    return lambda env: env[name]


def _binary(op: type, left: _Fn, right: _Fn) -> _Fn:
    if op is ast.Add:
        return lambda env: _number_value(left(env)) + _number_value(right(env))
    if op is ast.Sub:
        return lambda env: _number_value(left(env)) - _number_value(right(env))
    if op is ast.Mult:
        return lambda env: _number_value(left(env)) * _number_value(right(env))
    return lambda env: _div(_number_value(left(env)), _number_value(right(env)))


def _number_value(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(type(value).__name__)
    return value


def _unary(op: type, operand: _Fn) -> _Fn:
    if op is ast.Not:
        return lambda env: not operand(env)
    if op is ast.USub:
        return lambda env: -_number_value(operand(env))
    return lambda env: +_number_value(operand(env))


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
            [_COMPARE[type(op)] for op in tree.ops],
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
        raise _translated(exc, expression) from exc


def _translated(exc: BaseException, expression: CheckedExpression) -> EvaluationError:
    """The library's error for an exception raised while evaluating ``expression``."""
    if isinstance(exc, ZeroDivisionError):  # decimal.DivisionByZero is a subclass
        issue = Issue("eval-div-zero", f"division by zero in {expression.source!r}")
        return EvaluationError("division by zero", (issue,))
    if isinstance(exc, decimal.DecimalException | ArithmeticError):
        issue = Issue("eval-error", f"{type(exc).__name__} in {expression.source!r}")
        return EvaluationError("arithmetic error", (issue,))
    issue = Issue("eval-error", f"{expression.source!r} failed: {type(exc).__name__}")
    return EvaluationError("expression failed", (issue,))


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
            raise _translated(exc, expression) from exc
