"""Static checking: an expression's text becomes a checked tree, or issues.

simpleeval is used as an evaluator of syntax trees this module has already checked, never as
the security boundary. Before anything evaluates an expression:

1. its length is bounded, then it is parsed once with :func:`ast.parse`;
2. every node is checked against an allow-list (no attributes, subscripts, comprehensions,
   lambdas, f-strings, ``**``, ``%``, ``//``, bit operators, assignments or statements),
   with node-count and depth limits, iteratively (no ``RecursionError``);
3. number literals become exact :class:`~decimal.Decimal` values from their source text;
4. every name is resolved statically against the guide's inputs and constants, every call
   against the engine's own function table (:mod:`.functions`), and operand types are checked.

The checked tree is compiled into closures (:mod:`.closures`) here, once.
"""

from __future__ import annotations

import ast
import decimal
import difflib
import warnings
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from emulation_rules._support.i18n import N_
from emulation_rules.compiler.sandbox.closures import compile_tree
from emulation_rules.compiler.sandbox.expression import CheckedExpression, ExprType, SandboxConfig
from emulation_rules.compiler.sandbox.functions import FUNCTIONS, ROUNDING_MODES, Function
from emulation_rules.errors import Issue
from emulation_rules.guide.model import day_first_iso

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["MAX_LITERAL_DIGITS", "MAX_LITERAL_PLACES", "check_expression"]

#: Decimal places a number literal may have: far beyond any rule, far from the context's limits.
MAX_LITERAL_PLACES = 20
#: Significant digits a number literal may have: the precision of the engine's context.
MAX_LITERAL_DIGITS = 28

_FORBIDDEN_OPERATORS = {
    ast.Pow: N_("'**' (powers) is not allowed"),
    ast.Mod: N_("'%' is not allowed"),
    ast.FloorDiv: N_("'//' is not allowed; use floor(a / b)"),
    ast.MatMult: N_("'@' is not allowed"),
    ast.BitAnd: N_("bit operators are not allowed; use 'and'"),
    ast.BitOr: N_("bit operators are not allowed; use 'or'"),
    ast.BitXor: N_("bit operators are not allowed"),
    ast.LShift: N_("shift operators are not allowed"),
    ast.RShift: N_("shift operators are not allowed"),
    ast.Invert: N_("'~' is not allowed; use 'not'"),
    ast.Is: N_("'is' is not allowed; use '=='"),
    ast.IsNot: N_("'is not' is not allowed; use '!='"),
}

_NODE_NAMES = {
    ast.Attribute: N_("not allowed: attribute access ('.')"),
    ast.Subscript: N_("not allowed: indexing ('[...]')"),
    ast.Lambda: N_("not allowed: lambda"),
    ast.ListComp: N_("not allowed: comprehensions"),
    ast.SetComp: N_("not allowed: comprehensions"),
    ast.DictComp: N_("not allowed: comprehensions"),
    ast.GeneratorExp: N_("not allowed: comprehensions"),
    ast.JoinedStr: N_("not allowed: f-strings"),
    ast.FormattedValue: N_("not allowed: f-strings"),
    ast.NamedExpr: N_("not allowed: assignment expressions (':=')"),
    ast.Starred: N_("not allowed: '*' unpacking"),
    ast.Dict: N_("not allowed: dictionaries"),
    ast.Set: N_("not allowed: sets"),
    ast.List: N_("not allowed: lists"),
    ast.Await: N_("not allowed: await"),
    ast.Yield: N_("not allowed: yield"),
    ast.YieldFrom: N_("not allowed: yield"),
}


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
                    N_("the expression has more than {count} parts").format(
                        count=self.config.max_nodes
                    ),
                )
                return False
            if depth > self.config.max_depth:
                self.fail(
                    "expr-too-complex",
                    N_("the expression nests deeper than {depth} levels").format(
                        depth=self.config.max_depth
                    ),
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
            self.fail("expr-forbidden", _NODE_NAMES[kind], node)
            return False
        if kind in _FORBIDDEN_OPERATORS:
            self.fail("expr-forbidden", _FORBIDDEN_OPERATORS[kind], _operator_at(parent))
            return False
        if isinstance(node, ast.Call) and (node.keywords or not isinstance(node.func, ast.Name)):
            self.fail("expr-forbidden", N_("only plain calls like min(a, b) are allowed"), node)
            return False
        if isinstance(node, ast.Constant) and node.value is None:
            self.fail("expr-forbidden", N_("None is not a value in expressions"), node)
            return False
        if isinstance(node, ast.Constant) and isinstance(node.value, complex | bytes):
            self.fail("expr-number", N_("complex numbers and bytes are not allowed"), node)
            return False
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and len(node.value) > self.config.max_string
        ):
            self.fail("expr-too-long", N_("the text literal is too long"), node)
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
            self.fail(
                "expr-forbidden", N_("{kind} is not allowed").format(kind=type(node).__name__), node
            )
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
                    checker.fail(
                        "expr-number",
                        N_("'{text}' is not a number literal").format(text=text),
                        node,
                    )
                    return node
                if not number.is_finite() or number.copy_abs() >= Decimal("1e15"):
                    checker.fail(
                        "expr-number", N_("the number {text} is too large").format(text=text), node
                    )
                    return node
                if len(number.as_tuple().digits) > MAX_LITERAL_DIGITS:
                    # the engine computes with 28 significant digits: more would be rounded
                    checker.fail(
                        "expr-number",
                        N_(
                            "the number {text} has more than {digits} significant digits, "
                            "more than the engine keeps"
                        ).format(text=text, digits=MAX_LITERAL_DIGITS),
                        node,
                    )
                    return node
                if number.as_tuple().exponent < -MAX_LITERAL_PLACES:  # type: ignore[operator]
                    # 1e-999999999 would underflow to 0; 0e-999999999 would print a megabyte
                    checker.fail(
                        "expr-number",
                        N_("the number {text} has more than {places} decimal places").format(
                            text=text, places=MAX_LITERAL_PLACES
                        ),
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
                self.fail("expr-forbidden", N_("a list of values is allowed only after 'in'"), node)
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
                self.fail("expr-div-zero", N_("division by zero"), node.right)
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
                    "expr-type",
                    N_("'if' gives {body} on one side and {other} on the other").format(
                        body=body, other=orelse
                    ),
                    node,
                )
            return body if body != "any" else orelse
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Tuple):
            self.fail("expr-forbidden", N_("a tuple is allowed only after 'in'"), node)
            return "any"
        return "any"

    def _plain_name(self, node: ast.Name) -> bool:
        """Refuse a name that Python folded (NFKC): ``ｓｏ``, ``𝐚`` and ``ª`` read ``so``, ``a``."""
        written = ast.get_source_segment(self.source, node)
        if written is None or written == node.id:
            return True
        self.fail(
            "expr-lookalike",
            N_("{written} is not written in plain letters: Python would read it as {name}").format(
                written=repr(written), name=repr(node.id)
            ),
            node,
            hint=N_("write {name} with ordinary letters").format(name=repr(node.id)),
        )
        return False

    def _name(self, node: ast.Name) -> ExprType:
        if node.id in self.names:
            self.read.setdefault(node.id, None)
            return self.names[node.id]
        if node.id in FUNCTIONS:
            self.fail(
                "expr-forbidden",
                N_("the function {name} must be called").format(name=repr(node.id)),
                node,
            )
            return "any"
        if node.id in self.criteria or node.id.replace("_", ".") in self.criteria:
            ident = node.id if node.id in self.criteria else node.id.replace("_", ".")
            self.fail(
                "expr-unknown-name",
                N_("{name} is a criterion, not an input").format(name=repr(node.id)),
                node,
                hint=N_("write score({id})").format(id=repr(ident)),
            )
            return "number"
        close = difflib.get_close_matches(node.id, list(self.names), n=1, cutoff=0.6)
        self.fail(
            "expr-unknown-name",
            N_("{name} is not a declared input or constant").format(name=repr(node.id)),
            node,
            hint=N_("did you mean {name}?").format(name=repr(close[0])) if close else None,
        )
        return "any"

    def _expect(self, node: ast.AST, got: ExprType, want: ExprType, what: str) -> None:
        if got not in ("any", want):
            self.fail(
                "expr-type",
                N_("{what} needs a {want}, got a {got}").format(what=what, want=want, got=got),
                node,
            )

    def _compare(self, node: ast.Compare) -> ExprType:
        left = self.infer(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                options: object = getattr(comparator, "value", None)
                if not (isinstance(comparator, ast.Constant) and isinstance(options, tuple)):
                    self.fail(
                        "expr-forbidden",
                        N_("'in' needs a list of values like ('a', 'b')"),
                        comparator,
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
                        "expr-type",
                        N_("'<' and '>' compare numbers or dates, not a {kind}").format(kind=left),
                        node,
                    )
                elif right not in ("any", left):
                    self.fail("expr-type", _cannot_compare(left, right), comparator)
            elif "any" not in (left, right) and left != right:
                self.fail("expr-type", _cannot_compare(left, right), comparator)
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
                N_("{name} is not a function of the guide language").format(name=repr(name)),
                node,
                hint=N_("did you mean {name}?").format(name=repr(close[0]))
                if close
                else N_("see docs/ruleset-format.md#functions"),
            )
            for arg in node.args:
                self.infer(arg)
            return "any"
        count = len(node.args)
        least = len(function.args) - function.optional
        if count < least or (not function.variadic and count > len(function.args)):
            self.fail(
                "expr-type",
                N_("{name}() takes {arity}, got {count}").format(
                    name=name, arity=_arity(function), count=count
                ),
                node,
            )
        for index, arg in enumerate(node.args):
            want = function.args[min(index, len(function.args) - 1)]
            what = N_("argument {index} of {name}()").format(index=index + 1, name=name)
            self._expect(arg, self.infer(arg), want, what)
        if name in ("score", "date") or (name == "round" and count == 3):
            literal = node.args[-1] if node.args else None
            if not (isinstance(literal, ast.Constant) and isinstance(literal.value, str)):
                self.fail(
                    "expr-type",
                    N_("the last argument of {name}() must be a quoted literal").format(name=name),
                    node,
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
                        N_("{value} is not a date YYYY-MM-DD").format(value=repr(literal.value)),
                        literal,
                        hint=N_("write date('{iso}')").format(iso=iso) if iso else None,
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
            N_("{id} is not a criterion of the guide").format(id=repr(ident)),
            node,
            hint=N_("did you mean {name}?").format(name=repr(close[0])) if close else None,
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


def _arity(function: Function) -> str:
    most = len(function.args)
    least = most - function.optional
    if function.variadic:
        return N_("{count} or more arguments").format(count=least)
    if least == most:
        one = N_("{count} argument")
        return (one if most == 1 else N_("{count} arguments")).format(count=most)
    return N_("{least} to {most} arguments").format(least=least, most=most)


def _is_zero(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, Decimal | int)
        and not isinstance(node.value, bool)
        and node.value == 0
    )


def _cannot_compare(left: str, right: str) -> str:
    return N_("cannot compare a {left} with a {right}").format(left=left, right=right)


#: The words of the types, for the catalogs: a message names them ("needs a number").
_TYPE_WORDS = (N_("number"), N_("bool"), N_("date"), N_("text"))
#: Python's words for the commonest syntax error, for the catalogs ("invalid syntax: …").
_SYNTAX_WORDS = (N_("invalid syntax"), N_("'(' was never closed"), N_("unmatched ')'"))
#: What needs a type, for the catalogs ("arithmetic needs a number, got a bool").
_WHAT_WORDS = (
    N_("arithmetic"),
    N_("a sign"),
    N_("'not'"),
    N_("'and'/'or'"),
    N_("the condition of 'if'"),
    N_("'in'"),
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
                N_("invalid syntax: {problem}").format(problem=exc.msg),
                column=offset + 1 if offset >= 0 else None,
            )
        )
        return None
    except (RecursionError, MemoryError, ValueError):
        checker.fail("expr-too-complex", N_("the expression is too deeply nested to parse"))
        return None
    if len(module.body) != 1:
        checker.fail("expr-not-expression", N_("write one expression, not several statements"))
        return None
    statement = module.body[0]
    if not isinstance(statement, ast.Expr):
        kind = type(statement).__name__.lower()
        checker.fail(
            "expr-not-expression",
            N_("an expression is expected, not a statement ({kind})").format(kind=kind),
            statement,
            hint=N_("use '==' to compare")
            if kind in ("assign", "augassign", "annassign")
            else None,
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
            N_("the expression has {count} characters; the limit is {limit}").format(
                count=len(source), limit=config.max_length
            ),
        )
        return None, checker.issues
    if "\x00" in source:
        checker.fail("control-char", N_("the expression contains a NUL character"))
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
                checker.fail(
                    "expr-type",
                    N_("the expression gives a {kind}; a {expect} is expected").format(
                        kind=kind, expect=expect
                    ),
                )
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
