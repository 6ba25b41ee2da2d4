"""Warnings about a guide that loads but probably does not say what its author meant.

:func:`lint` runs after the compiler found no error, over the compiled criteria:

- ``cap-exceeds-item``: a cap that can never bind: larger than the item's own maximum, or
  than the most its lines can reach (a per-event cap above ``points × the count's max``);
- ``unreachable-item``: a part of the guide no submission can reach: a bonus or deduction that
  reads no input (every unit gets it alike), a condition that is always false, a band outside
  the bounds of the input it reads;
- ``unused-tie-breaker``: a ranking key that can never separate units the keys before it tie:
  a repeated key, ``percent`` next to ``total`` when every unit has the same maximum, the
  subtotal of the only top-level criterion, ``deductions`` in a guide without deductions, the
  subtotal of a criterion no input reaches.

- ``undeclared-rounding``: a division (``/``, ``percent()``, ``ratio()``, ``proportional``,
  ``target``) whose result reaches the total, the percentage or a ranking key with no rounding
  declared on its way: 28 significant digits where the guide's tables show 2.

``band-gap``, ``sum-mismatch`` and ``unused-input`` are reported by the compiler itself.
"""

# The _reach_* methods share one signature for the REACH table; not every one uses every
# argument.
# ruff: noqa: ARG002

from __future__ import annotations

import ast
import decimal
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from emulation_rules._support.canonical import decimal_text
from emulation_rules._support.i18n import N_
from emulation_rules._support.numbers import ENGINE_CONTEXT
from emulation_rules.compiler.fields import NOT_APPLICABLE
from emulation_rules.compiler.nodes import (
    BandsC,
    DeadlineC,
    FormulaC,
    IncrementC,
    LookupC,
    Met,
    PerEventC,
    PerItemC,
    Points,
    ProportionalC,
    RankPointsC,
    TableC,
    TargetC,
)
from emulation_rules.compiler.sandbox import CheckedExpression, evaluate_expression
from emulation_rules.errors import EvaluationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from emulation_rules.compiler.fields import InputField
    from emulation_rules.compiler.nodes import BandSpec, Node
    from emulation_rules.guide.model import Ruleset

__all__ = ["REACH", "lint"]

DocPath = tuple[str | int, ...]
ZERO = Decimal(0)
#: ``(most positive value, largest negative magnitude)``; ``None`` is unbounded.
Reach = tuple[Decimal | None, Decimal | None]


class _Add(Protocol):
    def __call__(
        self,
        code: str,
        message: str,
        path: DocPath,
        *,
        rule_id: str | None = None,
        hint: str | None = None,
        severity: str = "error",
        key: bool = False,
    ) -> None: ...


class _Linter:
    def __init__(
        self,
        ruleset: Ruleset,
        nodes: Mapping[str, Node],
        inputs: Mapping[str, InputField],
        add: _Add,
    ) -> None:
        self.ruleset = ruleset
        self.nodes = nodes
        self.inputs = inputs
        self.add = add
        self.constants = dict(ruleset.constants)
        self._reach: dict[str, Reach] = {}
        self._reads: dict[str, bool] = {}

    def warn(self, code: str, message: str, path: DocPath, rule_id: str | None = None) -> None:
        self.add(code, message, path, rule_id=rule_id, severity="warning")

    # -- what a node can reach --------------------------------------------------------------

    def bound(self, expression: CheckedExpression) -> tuple[Decimal | None, Decimal | None]:
        """The declared bounds of an expression that is one input's name, if any."""
        name = expression.source.strip()
        spec = self.inputs.get(name)
        if spec is None:
            value = self.constants.get(name)
            return (value, value) if value is not None else (None, None)
        return spec.min, spec.max

    def reads_input(self, ident: str) -> bool:
        """Whether some input can change the value of ``ident`` (through children, refs)."""
        if ident in self._reads:
            return self._reads[ident]
        self._reads[ident] = False  # a cycle was reported by the compiler; stop here
        node = self.nodes[ident]
        construct = node.construct
        own = any(name in self.inputs for name in node.reads) or (
            isinstance(construct, RankPointsC) and bool(construct.average_of)
        )
        result = own or any(
            self.reads_input(c) for c in (*node.children, *node.refs) if c in self.nodes
        )
        self._reads[ident] = result
        return result

    def reach(self, ident: str) -> Reach:
        """The most positive value and the largest negative magnitude ``ident`` can take."""
        if ident not in self._reach:
            self._reach[ident] = (None, None)  # cycles were reported by the compiler
            self._reach[ident] = self._node_reach(self.nodes[ident])
        return self._reach[ident]

    def _node_reach(self, node: Node) -> Reach:
        if node.construct is not None:
            up, down = self._construct_reach(node)
        elif node.combine != "sum" and node.children:
            reaches = [self.reach(c) for c in node.children]
            up = _max_of([r[0] for r in reaches])
            down = _max_of([r[1] for r in reaches])
        elif node.score_children:
            reaches = [self.reach(c) for c in node.score_children]
            up = _sum_of([r[0] for r in reaches])
            down = _sum_of([r[1] for r in reaches])
        else:
            up, down = (node.max or ZERO), ZERO
        if node.combine == "sum" and node.adjust_children:
            plus, minus = self._adjust_reach(node)
            up = None if up is None or plus is None else up + plus
            down = None if down is None or minus is None else down + minus
        if node.forfeit_if is not None:
            up = None if up is None else max(up, node.forfeit_value)
            down = None if down is None else max(down, -node.forfeit_value)
        if node.cap_at_max and node.max is not None:
            up = node.max if up is None else min(up, node.max)
        if node.floor is not None:
            down = max(-node.floor, ZERO) if down is None else min(down, max(-node.floor, ZERO))
        return up, down

    def _adjust_reach(self, node: Node) -> Reach:
        reaches = [self.reach(c) for c in node.adjust_children]
        plus = _sum_of([r[0] for r in reaches])
        minus = _sum_of([r[1] for r in reaches])
        if node.cap_bonuses is not None:
            plus = node.cap_bonuses if plus is None else min(plus, node.cap_bonuses)
        if node.cap_deductions is not None:
            minus = node.cap_deductions if minus is None else min(minus, node.cap_deductions)
        if node.cap_adjustments is not None:
            cap = node.cap_adjustments
            plus = cap if plus is None else min(plus, cap)
            minus = cap if minus is None else min(minus, cap)
        return plus, minus

    def _construct_reach(self, node: Node) -> Reach:
        assert node.construct_name is not None
        return REACH[node.construct_name](self, node, node.construct)

    # -- the reach of each construct (the REACH table) ----------------------------------------

    def _reach_max(self, node: Node, c: Met | TargetC) -> Reach:
        return node.max or ZERO, ZERO

    def _reach_points(self, node: Node, c: Points) -> Reach:
        return _signs([c.points])

    def _reach_per_event(self, node: Node, c: PerEventC) -> Reach:
        return self._line_reach(c.points, c.cap, self.bound(c.count)[1])

    def _reach_increment(self, node: Node, c: IncrementC) -> Reach:
        return self._line_reach(c.points, c.cap, self._steps(c))

    def _reach_proportional(self, node: Node, c: ProportionalC) -> Reach:
        cap = c.cap if c.cap is not None else (node.max or ZERO) * c.factor
        return cap, ZERO

    def _reach_bands(self, node: Node, c: BandsC) -> Reach:
        return _signs([b.points for b in c.bands if b.points is not None], c.otherwise)

    def _reach_table(self, node: Node, c: TableC) -> Reach:
        return _signs([v for row in c.values for v in row], c.otherwise)

    def _reach_lookup(self, node: Node, c: LookupC) -> Reach:
        return _signs(list(c.points.values()), c.otherwise)

    def _reach_deadline(self, node: Node, c: DeadlineC) -> Reach:
        return _signs([c.on_time, c.late], c.early_points)

    def _reach_rank_points(self, node: Node, c: RankPointsC) -> Reach:
        return _signs(list(c.points), c.otherwise)

    def _reach_per_item(self, node: Node, c: PerItemC) -> Reach:
        """Any number of items: unbounded in the direction of a band's points, but the cap."""
        most, least = _signs([b.points for b in c.bands if b.points is not None], c.otherwise)
        return (ZERO if not most else c.cap), (ZERO if not least else c.cap)

    def _reach_formula(self, node: Node, c: FormulaC) -> Reach:
        return None, None  # an expression: no bound known

    def _steps(self, c: IncrementC) -> Decimal | None:
        high = self.bound(c.of)[1]
        if high is None:
            return None
        passed = high >= c.start if c.inclusive else high > c.start
        if not passed:
            return ZERO
        with decimal.localcontext(ENGINE_CONTEXT):
            return ((high - c.start) / c.every).to_integral_value(decimal.ROUND_FLOOR) + 1

    @staticmethod
    def _line_reach(points: Decimal, cap: Decimal | None, count: Decimal | None) -> Reach:
        most = None if count is None else abs(points) * count
        if cap is not None:
            most = cap if most is None else min(most, cap)
        return (most, ZERO) if points >= 0 else (ZERO, most)

    # -- cap-exceeds-item ---------------------------------------------------------------------

    def caps(self) -> None:
        for ident, node in self.nodes.items():
            self._line_cap(node)
            self._children_caps(ident, node)

    def _line_cap(self, node: Node) -> None:
        c = node.construct
        if not isinstance(c, PerEventC | IncrementC) or c.cap is None:
            return
        name = "per_event" if isinstance(c, PerEventC) else "increment"
        path = (*node.path, name, "cap")
        if node.declared_max and node.max is not None and c.cap > node.max:
            self.warn(
                "cap-exceeds-item",
                f"the cap {c.cap} of {node.id!r} is larger than its maximum {node.max}",
                path,
                node.id,
            )
            return
        count = self.bound(c.count)[1] if isinstance(c, PerEventC) else self._steps(c)
        if count is None:
            return
        most = abs(c.points) * count
        if most < c.cap:
            how = (
                "× the count's maximum"
                if isinstance(c, PerEventC)
                else "× the steps up to the maximum"
            )
            self.warn(
                "cap-exceeds-item",
                f"the cap {c.cap} of {node.id!r} can never bind: the line reaches at most "
                f"{decimal_text(abs(c.points))} {how} {count} = {decimal_text(most)}",
                path,
                node.id,
            )

    def _children_caps(self, ident: str, node: Node) -> None:
        deductions, maximum = node.cap_deductions, node.max
        if (
            deductions is not None
            and maximum is not None
            and node.declared_max
            and deductions > maximum
        ):
            self.warn(
                "cap-exceeds-item",
                f"the deductions cap {deductions} of {ident!r} is larger than its "
                f"maximum {maximum}: the item can fall below zero",
                (*node.path, "caps", "deductions"),
                ident,
            )
            return
        reaches = [self.reach(c) for c in node.adjust_children]
        plus = _sum_of([r[0] for r in reaches])
        minus = _sum_of([r[1] for r in reaches])
        checks = (
            ("deductions", node.cap_deductions, minus, "the deductions"),
            ("bonuses", node.cap_bonuses, plus, "the bonuses"),
            (
                "adjustments",
                node.cap_adjustments,
                None if plus is None or minus is None else max(plus, minus),
                "the bonuses or the deductions",
            ),
        )
        for key, cap, most, words in checks:
            if cap is not None and most is not None and most < cap:
                self.warn(
                    "cap-exceeds-item",
                    f"the {key} cap {cap} of {ident!r} can never bind: {words} of its children "
                    f"reach at most {decimal_text(most)}",
                    (*node.path, "caps", key),
                    ident,
                )

    # -- unreachable-item ---------------------------------------------------------------------

    def unreachable(self) -> None:
        parents = {c: ident for ident, node in self.nodes.items() for c in node.children}
        for ident, node in self.nodes.items():
            if self._constant_adjustment(ident) and not self._constant_adjustment(
                parents.get(ident)
            ):
                self.warn(
                    "unreachable-item",
                    f"{node.kind} {ident!r} reads no input and has no condition: every "
                    "unit gets it alike, and no submission can change it",
                    node.path,
                    ident,
                )
            self._conditions(node)
            self._bands(node)

    def _constant_adjustment(self, ident: str | None) -> bool:
        if ident is None:
            return False
        node = self.nodes[ident]
        conditions = (node.when, node.waive_if, node.forfeit_if, node.applicable_if)
        return (
            node.kind != "score"
            and not node.cluster
            and all(c is None for c in conditions)
            and not self.reads_input(ident)
        )

    def _conditions(self, node: Node) -> None:
        checks = (
            ("when", node.when, False, "the item never applies"),
            ("applicable_if", node.applicable_if, False, "the item never applies"),
            ("waive_if", node.waive_if, True, "the item is always waived"),
            ("forfeit_if", node.forfeit_if, True, "the item is always forfeited"),
        )
        for key, expression, bad, words in checks:
            if expression is None or expression.refs:
                continue
            if any(name in self.inputs for name in expression.names):
                continue
            value = self._constant(expression)
            if value is bad:
                self.warn(
                    "unreachable-item",
                    f"{key!r} of {node.id!r} reads no input and is always {str(bad).lower()}: "
                    f"{words}",
                    (*node.path, key),
                    node.id,
                )

    def _constant(self, expression: CheckedExpression) -> bool | None:
        with decimal.localcontext(ENGINE_CONTEXT):
            try:
                return bool(evaluate_expression(expression, self.constants, lambda _i: ZERO))
            except EvaluationError:
                return None

    def _bands(self, node: Node) -> None:
        c = node.construct
        axes: list[tuple[CheckedExpression, tuple[BandSpec, ...], DocPath]] = []
        if isinstance(c, BandsC):
            axes.append((c.of, c.bands, (*node.path, "bands", "bands")))
        elif isinstance(c, TableC):
            axes.append((c.rows_of, c.rows, (*node.path, "table", "rows", "bands")))
            axes.append((c.columns_of, c.columns, (*node.path, "table", "columns", "bands")))
        for of, bands, path in axes:
            low, high = self.bound(of)
            if of.source.strip() not in self.inputs or (low is None and high is None):
                continue
            name = of.source.strip()
            span = f"from {_text(low, '−∞')} to {_text(high, '+∞')}"
            for index, band in enumerate(bands):
                if _outside(band, low, high):
                    self.warn(
                        "unreachable-item",
                        f"no value of {name!r} ({span}) "
                        f"falls in the band {band.describe()} of {node.id!r}",
                        (*path, index),
                        node.id,
                    )

    # -- unused-tie-breaker -------------------------------------------------------------------

    def rounding(self) -> None:
        """``undeclared-rounding``: a division's long result reaching the total or a key."""
        _Rounding(self.ruleset, self.nodes).check(self.warn)

    def tie_breakers(self) -> None:
        keys = self.ruleset.ranking.by
        seen: list[tuple[str, str | None]] = []
        roots = [c.id for c in self.ruleset.criteria if c.kind == "score"]
        for index, key in enumerate(keys):
            path: DocPath = ("ranking", "by", index)
            name = key.key if key.id is None else f"score: {key.id}"
            reason = self._unused(key.key, key.id, seen, roots)
            seen.append((key.key, key.id))
            if reason is not None and index > 0:
                self.warn(
                    "unused-tie-breaker",
                    f"the ranking key {name!r} can never break a tie: {reason}",
                    path,
                )

    def _unused(
        self, key: str, ident: str | None, seen: list[tuple[str, str | None]], roots: list[str]
    ) -> str | None:
        if (key, ident) in seen:
            return "it repeats an earlier key"
        same_max = not self._maximum_varies()
        if key in ("percent", "total") and same_max:
            other = "total" if key == "percent" else "percent"
            if (other, None) in seen:
                return f"every unit has the same maximum, so it orders units as {other!r} does"
        if key == "score" and ident is not None and ident in self.nodes:
            if roots == [ident] and {("total", None), ("percent", None)} & set(seen):
                return f"{ident!r} is the only top-level criterion: its value is the total"
            if not self.reads_input(ident) and not self.nodes[ident].cluster:
                return f"no input reaches {ident!r}: every unit has the same value"
        if key == "deductions" and not any(
            n.kind in ("deduction", "adjustment") for n in self.nodes.values()
        ):
            return "the guide has no deduction: every unit has 0"
        return None

    def _maximum_varies(self) -> bool:
        if any(f.missing is NOT_APPLICABLE for f in self.inputs.values()):
            return True
        return any(n.applicable_if is not None or n.cluster for n in self.nodes.values())


def _outside(band: BandSpec, low: Decimal | None, high: Decimal | None) -> bool:
    above = (
        band.low is not None
        and high is not None
        and (band.low > high or (band.low == high and not band.low_inclusive))
    )
    below = (
        band.high is not None
        and low is not None
        and (band.high < low or (band.high == low and not band.high_inclusive))
    )
    return above or below


class _Rounding:
    """Where a division's long result reaches the total, percentage or ranking unrounded."""

    def __init__(self, ruleset: Ruleset, nodes: Mapping[str, Node]) -> None:
        self.ruleset = ruleset
        self.nodes = nodes
        self._inexact: dict[str, tuple[str, ...]] = {}

    def dividers(self, ident: str) -> tuple[str, ...]:
        """The criteria whose division reaches ``ident``'s value unrounded (none: exact)."""
        if ident not in self._inexact:
            self._inexact[ident] = ()  # cycles were reported by the compiler
            self._inexact[ident] = self._dividers(self.nodes[ident])
        return self._inexact[ident]

    def _dividers(self, node: Node) -> tuple[str, ...]:
        if node.rounding is not None:
            return ()
        construct = node.construct
        constants = self.ruleset.constants
        own = (
            isinstance(construct, TargetC)
            or (
                isinstance(construct, ProportionalC)
                and not _exact_divisor(construct.target.tree, constants)
            )
            or (isinstance(construct, FormulaC) and _divides(construct.expression.tree, constants))
        )
        found = dict.fromkeys((node.id,) if own else ())
        for other in (*node.children, *node.refs):
            if other in self.nodes:
                found.update(dict.fromkeys(self.dividers(other)))
        return tuple(found)

    def check(self, warn: Callable[[str, str, DocPath, str | None], None]) -> None:
        """One warning per place a long result reaches: the total, the percentage, a key."""
        rs = self.ruleset
        total: dict[str, None] = {}
        for root in (c.id for c in rs.criteria):
            total.update(dict.fromkeys(self.dividers(root)))
        total_long = bool(total) and rs.total.rounding is None
        if total_long:
            self._warn(warn, list(total), N_("{names} divide, and their result reaches the total"))
        varies = any(n.applicable_if is not None or n.optional_reads for n in self.nodes.values())
        ratio = Decimal(100) / rs.scale if rs.scale else ZERO
        percent_long = rs.total.percent_rounding is None and (
            total_long or varies or ratio != ratio.quantize(Decimal(1).scaleb(-10))
        )
        uses_percent = (rs.classification is not None and rs.classification.on == "percent") or any(
            a.requires.min_percent is not None for a in rs.awards
        )
        for key in rs.ranking.by:
            if key.rounding is not None:
                continue
            if key.key == "percent":
                uses_percent = True
            elif key.key == "score" and key.id is not None and key.id in self.nodes:
                found = list(self.dividers(key.id))
                if found:
                    message = N_("{names} divide, and their result reaches the ranking key {key}")
                    self._warn(warn, found, message.replace("{key}", repr(key.id)))
        if uses_percent and percent_long:
            warn(
                "undeclared-rounding",
                N_(
                    "the percentage (the total × 100 / the unit's maximum) carries up to 28 "
                    "significant digits (94.8899… where a table shows 94.89), and no rounding "
                    "is declared for it"
                ),
                ("total",),
                None,
            )

    def _warn(
        self, warn: Callable[[str, str, DocPath, str | None], None], named: list[str], said: str
    ) -> None:
        names = ", ".join(map(repr, named[:3])) + (", …" if len(named) > 3 else "")
        first = self.nodes[named[0]]
        message = N_(
            "{what} with up to 28 significant digits (805.6527… where a table shows 805.66), "
            "and no rounding is declared"
        ).format(what=said.format(names=names))
        warn("undeclared-rounding", message, first.path, first.id)


def _divides(tree: ast.AST, constants: Mapping[str, Decimal]) -> bool:
    """Whether an expression divides outside a ``round()`` (``/``, ``percent()``, ``ratio()``).

    A division by a number whose inverse is a short decimal (``/ 5``, ``/ S``) is exact.
    """
    if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name):
        if tree.func.id == "round":
            return False
        if tree.func.id in ("percent", "ratio") and len(tree.args) == 2:
            if not _exact_divisor(tree.args[1], constants):
                return True
            return any(_divides(a, constants) for a in tree.args)
    if (
        isinstance(tree, ast.BinOp)
        and isinstance(tree.op, ast.Div)
        and not _exact_divisor(tree.right, constants)
    ):
        return True
    return any(_divides(child, constants) for child in ast.iter_child_nodes(tree))


def _exact_divisor(tree: ast.AST, constants: Mapping[str, Decimal]) -> bool:
    """Whether dividing by ``tree`` gives a short decimal: a literal or constant 2ᵃ·5ᵇ·10ⁿ."""
    value: Any = None
    if isinstance(tree, ast.Constant) and not isinstance(tree.value, bool | str):
        value = tree.value
    elif isinstance(tree, ast.Name):
        value = constants.get(tree.id)
    if not isinstance(value, int | Decimal) or value == 0:
        return False
    numerator, _ = Decimal(value).as_integer_ratio()
    for factor in (2, 5):
        while numerator % factor == 0:
            numerator //= factor
    return abs(numerator) == 1


def _text(value: Decimal | None, infinite: str) -> str:
    return infinite if value is None else decimal_text(value)


def _signs(values: Iterable[Decimal], extra: Decimal | None = None) -> Reach:
    found = [*values, *([] if extra is None else [extra]), ZERO]
    return max(*found, ZERO), max(-min(found), ZERO)


def _sum_of(values: list[Decimal | None]) -> Decimal | None:
    if any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), ZERO)


def _max_of(values: list[Decimal | None]) -> Decimal | None:
    if any(v is None for v in values):
        return None
    return max((v for v in values if v is not None), default=ZERO)


def lint(
    ruleset: Ruleset,
    nodes: Mapping[str, Node],
    inputs: Mapping[str, InputField],
    add: Any,
) -> None:
    """Report the lint warnings of a compiled guide through ``add`` (the compiler's)."""
    linter = _Linter(ruleset, nodes, inputs, add)
    linter.caps()
    linter.unreachable()
    linter.tie_breakers()
    linter.rounding()


#: What each construct can reach (its most positive value and largest negative magnitude), by
#: its name in the guide: the lint's row of the construct.
REACH: Mapping[str, Callable[[_Linter, Node, Any], Reach]] = MappingProxyType(
    {
        "met": _Linter._reach_max,  # noqa: SLF001 - the class's own table
        "points": _Linter._reach_points,  # noqa: SLF001
        "per_event": _Linter._reach_per_event,  # noqa: SLF001
        "proportional": _Linter._reach_proportional,  # noqa: SLF001
        "bands": _Linter._reach_bands,  # noqa: SLF001
        "table": _Linter._reach_table,  # noqa: SLF001
        "increment": _Linter._reach_increment,  # noqa: SLF001
        "deadline": _Linter._reach_deadline,  # noqa: SLF001
        "lookup": _Linter._reach_lookup,  # noqa: SLF001
        "formula": _Linter._reach_formula,  # noqa: SLF001
        "target": _Linter._reach_max,  # noqa: SLF001
        "rank_points": _Linter._reach_rank_points,  # noqa: SLF001
        "per_item": _Linter._reach_per_item,  # noqa: SLF001
    }
)
