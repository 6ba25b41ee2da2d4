"""Warnings about a guide that loads but probably does not say what its author meant.

:func:`lint` runs after the compiler found no error, over the compiled criteria:

- ``cap-exceeds-item``: a cap that can never bind: larger than the item's own maximum, or
  than the most its lines can reach (a per-event cap above ``points × the count's max``);
- ``unreachable-item``: a part of the guide no submission can reach: a bonus or deduction that
  reads no input (every unit gets it alike), a condition that is always false, a band outside
  the bounds of the input it reads;
- ``points-above-max``: a level the guide writes out (a band, a table cell, a lookup value,
  fixed points, a deadline's points, a rank's points) above the item's declared maximum: a
  band worth 55 under ``max: 50`` is a typo, or a maximum that is wrong;
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
        if node.combine == "sum" and node.adjusts:
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
        plus = _sum_of([r[0] for r in reaches] + self._excesses(node))
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
        cap = _proportional_cap(node, c)
        if not c.excess_bonus:
            return cap, ZERO
        most = self._proportional_most(node, c)
        return (None if most is None else max(most, cap)), ZERO

    def _proportional_most(self, node: Node, c: ProportionalC) -> Decimal | None:
        """The most ``max × factor × achieved / target`` reaches, uncapped (None: unbounded).

        With ``better: lower``, ``target / achieved``: the largest plan over the smallest result.
        """
        dividend, divisor = (c.target, c.achieved) if c.lower else (c.achieved, c.target)
        high, low = self.bound(dividend)[1], self.bound(divisor)[0]
        if high is None or low is None or low <= 0:
            return None
        with decimal.localcontext(ENGINE_CONTEXT):
            return (node.max or ZERO) * c.factor * max(high, ZERO) / low

    def _excesses(self, node: Node) -> list[Decimal | None]:
        """The most each score child moves to bonus (``excess: bonus``), in the children's order."""
        out: list[Decimal | None] = []
        for child in node.excess_children:
            child_node = self.nodes[child]
            c = child_node.construct
            assert isinstance(c, ProportionalC)
            most = self._proportional_most(child_node, c)
            out.append(None if most is None else max(most - _proportional_cap(child_node, c), ZERO))
        return out

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
            steps = ((high - c.start) / c.every).to_integral_value(decimal.ROUND_FLOOR)
            return steps if c.whole else steps + 1

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
                N_("the cap {cap} of {id} is larger than its maximum {max}").format(
                    cap=c.cap, id=repr(node.id), max=node.max
                ),
                path,
                node.id,
            )
            return
        count = self.bound(c.count)[1] if isinstance(c, PerEventC) else self._steps(c)
        if count is None:
            return
        most = abs(c.points) * count
        if most < c.cap:
            template = (
                N_(
                    "the cap {cap} of {id} can never bind: the line reaches at most "
                    "{points} × the count's maximum {count} = {most}"
                )
                if isinstance(c, PerEventC)
                else N_(
                    "the cap {cap} of {id} can never bind: the line reaches at most "
                    "{points} × the steps up to the maximum {count} = {most}"
                )
            )
            self.warn(
                "cap-exceeds-item",
                template.format(
                    cap=c.cap,
                    id=repr(node.id),
                    points=decimal_text(abs(c.points)),
                    count=count,
                    most=decimal_text(most),
                ),
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
                N_(
                    "the deductions cap {cap} of {id} is larger than its maximum {max}: "
                    "the item can fall below zero"
                ).format(cap=deductions, id=repr(ident), max=maximum),
                (*node.path, "caps", "deductions"),
                ident,
            )
            return
        reaches = [self.reach(c) for c in node.adjust_children]
        plus = _sum_of([r[0] for r in reaches] + self._excesses(node))
        minus = _sum_of([r[1] for r in reaches])
        checks = (
            (
                "deductions",
                node.cap_deductions,
                minus,
                N_(
                    "the deductions cap {cap} of {id} can never bind: the deductions of its "
                    "children reach at most {most}"
                ),
            ),
            (
                "bonuses",
                node.cap_bonuses,
                plus,
                N_(
                    "the bonuses cap {cap} of {id} can never bind: the bonuses of its "
                    "children reach at most {most}"
                ),
            ),
            (
                "adjustments",
                node.cap_adjustments,
                None if plus is None or minus is None else max(plus, minus),
                N_(
                    "the adjustments cap {cap} of {id} can never bind: the bonuses or the "
                    "deductions of its children reach at most {most}"
                ),
            ),
        )
        for key, cap, most, template in checks:
            if cap is not None and most is not None and most < cap:
                self.warn(
                    "cap-exceeds-item",
                    template.format(cap=cap, id=repr(ident), most=decimal_text(most)),
                    (*node.path, "caps", key),
                    ident,
                )

    # -- points-above-max ---------------------------------------------------------------------

    def levels(self) -> None:
        for ident, node in self.nodes.items():
            if not node.declared_max or node.max is None or node.construct is None:
                continue
            for value, sub in _written_levels(node.construct):
                if value > node.max:
                    self.warn(
                        "points-above-max",
                        N_("{points} points in {item} are more than its maximum {max}").format(
                            points=decimal_text(value),
                            item=repr(node.id),
                            max=decimal_text(node.max),
                        ),
                        (*node.path, *sub),
                        ident,
                    )

    def shared_caps(self) -> None:
        """A shared cap (v2) larger than the most its criteria's bonuses (deductions) reach."""
        for index, cap in enumerate(self.ruleset.shared_caps):
            deductions = cap.part == "deductions"
            most = _sum_of([self._held_reach(m, deductions=deductions) for m in cap.of])
            if most is not None and most < cap.max:
                part = "deductions" if deductions else "bonuses"
                self.warn(
                    "cap-exceeds-item",
                    f"the shared cap {cap.max} of {cap.id!r} can never bind: the {part} of its "
                    f"criteria reach at most {decimal_text(most)}",
                    ("shared_caps", index, "max"),
                )

    def _held_reach(self, ident: str, *, deductions: bool, own: bool = True) -> Decimal | None:
        """The most bonuses (deductions) the value of ``ident`` can hold (``_Unit.content``).

        ``own=False`` leaves out its own excess, which its parent counts as an adjustment.
        """
        node = self.nodes[ident]
        if node.kind != "score":
            up, down = self.reach(ident)
            return down if deductions else up
        if node.combine != "sum" and node.children:
            return _max_of([self._held_reach(c, deductions=deductions) for c in node.children])
        terms = [self._held_reach(c, deductions=deductions, own=False) for c in node.score_children]
        if node.adjusts:
            plus, minus = self._adjust_reach(node)
            terms.append(minus if deductions else plus)
        c = node.construct
        if own and not deductions and isinstance(c, ProportionalC) and c.excess_bonus:
            most = self._proportional_most(node, c)
            cap = _proportional_cap(node, c)
            terms.append(None if most is None else max(most - cap, ZERO))
        return _sum_of(terms)

    # -- unreachable-item ---------------------------------------------------------------------

    def unreachable(self) -> None:
        parents = {c: ident for ident, node in self.nodes.items() for c in node.children}
        for ident, node in self.nodes.items():
            if self._constant_adjustment(ident) and not self._constant_adjustment(
                parents.get(ident)
            ):
                self.warn(
                    "unreachable-item",
                    _CONSTANT[node.kind].format(id=repr(ident)),
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
            ("when", node.when, False, _NEVER_APPLIES),
            ("applicable_if", node.applicable_if, False, _NEVER_APPLIES),
            (
                "waive_if",
                node.waive_if,
                True,
                N_("{key} of {id} reads no input and is always true: the item is always waived"),
            ),
            (
                "forfeit_if",
                node.forfeit_if,
                True,
                N_("{key} of {id} reads no input and is always true: the item is always forfeited"),
            ),
        )
        for key, expression, bad, template in checks:
            if expression is None or expression.refs:
                continue
            if any(name in self.inputs for name in expression.names):
                continue
            value = self._constant(expression)
            if value is bad:
                self.warn(
                    "unreachable-item",
                    template.format(key=repr(key), id=repr(node.id)),
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
            for index, band in enumerate(bands):
                if _outside(band, low, high):
                    self.warn(
                        "unreachable-item",
                        N_(
                            "no value of {name} (from {low} to {high}) falls in the band "
                            "{band} of {id}"
                        ).format(
                            name=repr(name),
                            low=_text(low, "−∞"),
                            high=_text(high, "+∞"),
                            band=band.describe(),
                            id=repr(node.id),
                        ),
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
                    N_("the ranking key {name} can never break a tie: {reason}").format(
                        name=repr(name), reason=reason
                    ),
                    path,
                )

    def _unused(
        self, key: str, ident: str | None, seen: list[tuple[str, str | None]], roots: list[str]
    ) -> str | None:
        if (key, ident) in seen:
            return N_("it repeats an earlier key")
        same_max = not self._maximum_varies()
        if key in ("percent", "total") and same_max:
            other = "total" if key == "percent" else "percent"
            if (other, None) in seen:
                return N_(
                    "every unit has the same maximum, so it orders units as {key} does"
                ).format(key=repr(other))
        if key == "score" and ident is not None and ident in self.nodes:
            if roots == [ident] and {("total", None), ("percent", None)} & set(seen):
                return N_("{id} is the only top-level criterion: its value is the total").format(
                    id=repr(ident)
                )
            if not self.reads_input(ident) and not self.nodes[ident].cluster:
                return N_("no input reaches {id}: every unit has the same value").format(
                    id=repr(ident)
                )
        if key == "deductions" and not any(
            n.kind in ("deduction", "adjustment") for n in self.nodes.values()
        ):
            return N_("the guide has no deduction: every unit has 0")
        return None

    def _maximum_varies(self) -> bool:
        if any(f.missing is NOT_APPLICABLE for f in self.inputs.values()):
            return True
        return any(n.applicable_if is not None or n.cluster for n in self.nodes.values())


#: A bonus, deduction or adjustment that every unit gets alike, by kind.
_CONSTANT = {
    "bonus": N_(
        "bonus {id} reads no input and has no condition: every unit gets it alike, "
        "and no submission can change it"
    ),
    "deduction": N_(
        "deduction {id} reads no input and has no condition: every unit gets it alike, "
        "and no submission can change it"
    ),
    "adjustment": N_(
        "adjustment {id} reads no input and has no condition: every unit gets it alike, "
        "and no submission can change it"
    ),
}
_NEVER_APPLIES = N_("{key} of {id} reads no input and is always false: the item never applies")


def _written_levels(c: Any) -> list[tuple[Decimal, DocPath]]:
    """Every amount of points a construct writes out, with its path under the criterion."""
    found: list[tuple[Decimal, DocPath]] = []
    if isinstance(c, Points):
        found.append((c.points, ("points",)))
    elif isinstance(c, BandsC):
        found += [
            (b.points, ("bands", "bands", i, "points"))
            for i, b in enumerate(c.bands)
            if b.points is not None
        ]
        found += [(c.otherwise, ("bands", "otherwise"))] if c.otherwise is not None else []
    elif isinstance(c, TableC):
        found += [
            (v, ("table", "values", r, k))
            for r, row in enumerate(c.values)
            for k, v in enumerate(row)
        ]
        found += [(c.otherwise, ("table", "otherwise"))] if c.otherwise is not None else []
    elif isinstance(c, LookupC):
        found += [(v, ("lookup", "points", k)) for k, v in c.points.items()]
        found += [(c.otherwise, ("lookup", "otherwise"))] if c.otherwise is not None else []
    elif isinstance(c, DeadlineC):
        found += [(c.on_time, ("deadline", "on_time")), (c.late, ("deadline", "late"))]
        if c.early_points is not None:
            found.append((c.early_points, ("deadline", "early", "points")))
    elif isinstance(c, RankPointsC):
        found += [(v, ("rank_points", "points", i)) for i, v in enumerate(c.points)]
        found.append((c.otherwise, ("rank_points", "otherwise")))
    return found


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


def _proportional_cap(node: Node, c: ProportionalC) -> Decimal:
    return c.cap if c.cap is not None else (node.max or ZERO) * c.factor


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
    linter.levels()
    linter.shared_caps()
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
