"""Checked expressions written inline: the sandbox's closures, as Python text.

Reference: the closures :func:`emulation_rules.compiler.sandbox.closures.compile_tree` makes (the
same helpers of :mod:`emulation_rules.compiler.sandbox.functions`: operands checked by
``number_value``, division through ``divide``, the function table's implementations). Kept
equal by ``tests/test_codegen_differential.py``.
"""

from __future__ import annotations

import ast
from decimal import Decimal
from typing import TYPE_CHECKING

from emulation_rules.compiler import sandbox as _sandbox
from emulation_rules.engine.codegen.source import SourceText

if TYPE_CHECKING:
    from emulation_rules.compiler.sandbox import CheckedExpression

#: Deeper expression trees run as their closures (Python's parser has its own nesting limit).
INLINE_DEPTH = 40
#: A count times a constant is read from a table of this many products (0 to 255): see
#: :meth:`ExpressionWriter.times`.
TABLE_SIZE = 256

_COMPARE_TEXT = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}


def depth(tree: ast.expr) -> int:
    """The depth of an expression tree (a lone name or constant is 1)."""
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


class ExpressionWriter(SourceText):
    """Writes the guide's expressions into the function's text."""

    def condition(self, expression: CheckedExpression) -> str:
        """A checked expression used as a condition."""
        return self.expression(expression)

    def number(self, expression: CheckedExpression, target: str) -> None:
        """Set ``target`` to an expression's value, checked to be a number.

        Not checked when the inline code can only give a number: arithmetic (its operands are
        checked, and numbers give numbers) and divisions (a ``Decimal`` or an exception); nor
        a number input read alone (validation made it a number, see ``numbers``).
        """
        self.write(f"{target} = {self.expression(expression)}")
        if not self.gives_number(expression):
            self.write(f"if {target}.__class__ not in NUM:")
            self.write("    raise FB")

    def gives_number(self, expression: CheckedExpression) -> bool:
        """Whether the inline code of an expression gives an ``int`` or ``Decimal`` or raises."""
        tree = expression.tree
        if expression.bare_name is not None:
            return expression.bare_name in self.numbers
        if depth(tree) > INLINE_DEPTH:
            return False
        if isinstance(tree, ast.BinOp):
            return isinstance(tree.op, ast.Add | ast.Sub | ast.Mult | ast.Div)
        if isinstance(tree, ast.UnaryOp):
            return isinstance(tree.op, ast.USub | ast.UAdd)
        return (
            isinstance(tree, ast.Call)
            and isinstance(tree.func, ast.Name)
            and tree.func.id in ("percent", "ratio")
            and len(tree.args) == 2
        )

    def expression(self, expression: CheckedExpression) -> str:
        """Python code for a checked expression: the sandbox's closures, written inline.

        Each node does what :func:`~emulation_rules.compiler.sandbox.compile_tree` makes it do, with
        the same helper functions (operands checked as numbers, division through the
        sandbox's ``divide``, the function table's implementations); a tree deeper than
        ``INLINE_DEPTH`` runs as its closure instead.
        """
        if expression.bare_name is not None:
            return f"names[{self.constant(expression.bare_name)}]"
        if depth(expression.tree) > INLINE_DEPTH:
            return f"{self.constant(expression.fn)}(names)"
        return self.tree(expression.tree)

    def tree(self, tree: ast.expr) -> str:
        """Python code for one node of an expression tree."""
        if isinstance(tree, ast.Constant):
            return self.constant(tree.value)
        if isinstance(tree, ast.Name):
            return f"names[{self.constant(tree.id)}]"
        if isinstance(tree, ast.BinOp):
            left, right = self.operand(tree.left), self.operand(tree.right)
            if isinstance(tree.op, ast.Div):
                return self.divide(left, right)
            symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}[type(tree.op)]
            return f"({left} {symbol} {right})"
        if isinstance(tree, ast.UnaryOp):
            if isinstance(tree.op, ast.Not):
                return f"(not {self.tree(tree.operand)})"
            return f"({'-' if isinstance(tree.op, ast.USub) else '+'}{self.operand(tree.operand)})"
        if isinstance(tree, ast.BoolOp):
            word = " and " if isinstance(tree.op, ast.And) else " or "
            return "(" + word.join(self.tree(value) for value in tree.values) + ")"
        if isinstance(tree, ast.Compare):
            text = self.tree(tree.left)
            for operator, comparator in zip(tree.ops, tree.comparators, strict=True):
                text += f" {_COMPARE_TEXT[type(operator)]} {self.tree(comparator)}"
            return f"({text})"
        if isinstance(tree, ast.IfExp):
            test, body, orelse = self.tree(tree.test), self.tree(tree.body), self.tree(tree.orelse)
            return f"({body} if {test} else {orelse})"
        assert isinstance(tree, ast.Call)
        assert isinstance(tree.func, ast.Name)
        args = ", ".join(self.tree(argument) for argument in tree.args)
        if tree.func.id == "score":
            return f"names[{self.constant(_sandbox.SCORE_KEY)}]({args})"
        if tree.func.id in ("percent", "ratio") and len(tree.args) == 2:
            # as the sandbox defines them: a percent is a division of the part times 100
            part, whole = (self.tree(argument) for argument in tree.args)
            if tree.func.id == "percent":
                first = tree.args[0]
                count = (
                    first.id if isinstance(first, ast.Name) and first.id in self.counts else None
                )
                return self.percent(part, whole, count)
            return self.divide(part, whole)
        return f"{self.constant(_sandbox.FUNCTIONS[tree.func.id].impl)}({args})"

    def divide(self, left: str, right: str) -> str:
        """The sandbox's ``divide(left, right)``: a zero divisor goes to ``divide``, to raise."""
        self.temporaries += 1
        name = f"o{self.temporaries}"
        divide = self.constant(_sandbox.divide)
        return f"(D({left}) / D({name}) if ({name} := {right}) else {divide}({left}, {name}))"

    def percent(self, part: str, whole: str, count: str | None = None) -> str:
        """``percent(part, whole)``: the sandbox's ``divide(D(part) * 100, whole)``.

        Written ``part * K / whole`` with ``K`` the decimal 100: for a number ``part`` (an
        ``int`` or ``Decimal``; a ``bool`` converts to 0 or 1 either way) and ``whole``, the
        same operations on the same values in the same context as ``D(D(part) * 100) /
        D(whole)``, where ``D`` of an ``int`` is exact and of a ``Decimal`` is itself; anything
        else raises, and the interpreter scores the unit (``tests/test_codegen.py``). A
        ``part`` that is the count input ``count`` takes ``part * K`` from a table when it is
        a small ``int`` (see :meth:`times`).
        """
        self.temporaries += 1
        name = f"o{self.temporaries}"
        divide = self.constant(_sandbox.divide)
        hundred = Decimal(100)
        if count is None:
            scaled = first = f"{part} * {self.constant(hundred)}"
        else:  # written twice, each with its own temporary: only one of them runs
            first, scaled = (self.times(count, part, hundred) for _ in range(2))
        return f"({first} / {name} if ({name} := {whole}) else {divide}({scaled}, {name}))"

    def times(self, count: str, read: str, factor: Decimal) -> str:
        """``read * factor`` for the value ``read`` of count input ``count``, from a table.

        A count is an ``int`` once validated (or a number filled in when it is missing). For
        an ``int`` from 0 to ``TABLE_SIZE - 1`` the product is read from a tuple of the
        products, made when the code is written in the engine's context: the same
        multiplication of the same values in the same context, so the same decimal, digit
        for digit and exponent (issue 18: no ``int`` converted and no ``Decimal`` made per
        unit). Any other value is multiplied as before.
        """
        assert count in self.counts
        if read.isidentifier():  # a local already holds it
            name = held = read
        else:
            self.temporaries += 1
            name = f"o{self.temporaries}"
            held = f"({name} := {read})"
        table = self.product_table(factor)
        test = f"type({held}) is {self.constant(int)} and 0 <= {name} < {self.constant(TABLE_SIZE)}"
        return f"({table}[{name}] if {test} else {name} * {self.constant(factor)})"

    def product_table(self, factor: Decimal) -> str:
        """The constant name of ``tuple(n * factor for n in range(TABLE_SIZE))``.

        One table per factor as written (``1`` and ``1.0`` have tables of their own), its
        products computed in the current context (the engine's: the program is written in it).
        """
        key = str(factor)
        name = self.tables.get(key)
        if name is None:
            table = tuple([n * factor for n in range(TABLE_SIZE)])
            name = self.tables[key] = self.fresh_constant(table)
        return name

    def operand(self, tree: ast.expr) -> str:
        """An arithmetic operand, checked to be a number as the sandbox checks it."""
        self.temporaries += 1
        name = f"o{self.temporaries}"
        check = self.constant(_sandbox.number_value)
        return f"({name} if ({name} := {self.tree(tree)}).__class__ in NUM else {check}({name}))"

    # -- the function -------------------------------------------------------------------------
