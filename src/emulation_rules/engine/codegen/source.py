"""The text of one generated function, and the constants it names.

Every value that comes from the guide (ids, titles, numbers, expressions, notes, the
interpreter's scorers) is handed to the code as an opaque constant ``tk0, tk1, …`` (``pk…`` in
the function without the trace): the text itself is made of local names, those constant names
and fixed Python syntax only.

The generated code's local names are short on purpose, and pinned by ``tests/test_codegen.py``
(``ALLOWED_NAME``). What each one holds:

- ``names``, ``cohort``: the unit's input values by name; its cluster-phase entries by id.
- ``S``: the values scored so far by id, for ``score(...)`` (when an expression calls it).
- ``v``, ``raw``: the criterion's value; its construct's part.
- ``vN``, ``aN``, ``mN``, ``rN``: value, applies, applicable maximum and trace record of the
  criterion at position N in the compiled order.
- ``L``, ``l``, ``d``: the criterion's adjustment lines, one of them; a single-line leaf's cap
  line.
- ``P``, ``cv``, ``cid``: the parts of a ``highest``/``first`` group; the chosen value, child.
- ``e``, ``f``, ``ms``: the criterion's cohort entry, its facts; the optional inputs missing.
- ``st``, ``t``: the record's status; the sum of parts and lines, checked against ``v``.
- ``ds``: the unit's capped deductions.
- ``neg``, ``pos``, ``cn``, ``cp``, ``cmb``, ``b``: the adjustments below and above zero, the
  same capped, combined, and the combined bound.
- ``pd``, ``bm``: the deductions before the benchmark; whether the benchmark is met.
- ``bN``, ``gN``: with shared caps, the bonuses and the deductions (a magnitude) held by the
  value of the criterion at position N; ``hb``, ``hg``: those its adjustments hold after its
  caps; ``cb``, ``cg``: those of the chosen case; ``ps``: the sum a shared cap compares with
  its ``max``, ``pc``: its cut.
- ``xN``, ``ex``: the excess moved to bonus of the criterion at position N
  (``proportional: {excess: bonus}``); the sum of its children's, counted with the bonuses.
- ``rd``, ``x``, ``y``: the rounded value; a construct's operands.
- ``oN``: a temporary of an expression (an operand, a divisor).
- ``ctx``: the interpreter's context, for the constructs the code calls.
- ``ZERO``, ``NA``, ``D``, ``NUM``, ``FB``: ``Decimal(0)``, the not-applicable marker,
  ``Decimal``, the number types, :class:`~emulation_rules.engine.codegen.FastPathFailed`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from emulation_rules.compiler.nodes import BandSpec, GateC, Node, SharedCapC
    from emulation_rules.guide.model import Total

ZERO = Decimal(0)


class SourceText:
    """The lines of one function being written, its constants and the state of the writing."""

    def __init__(
        self, nodes: Mapping[str, Node], index: Mapping[str, int], *, traced: bool, uses_score: bool
    ) -> None:
        """Start an empty function.

        Args:
            nodes: The compiled criteria by id.
            index: The position of each criterion in the compiled order.
            traced: Whether the function records the trace.
            uses_score: Whether an expression calls ``score(...)``.
        """
        self.nodes = nodes
        self.index = index
        self.traced = traced
        self.uses_score = uses_score
        self.out: list[str] = []
        self.indent = 1
        self.constants: dict[str, Any] = {}
        self._by_key: dict[tuple[Any, ...], str] = {}
        self.prefix = "t" if traced else "p"
        self.temporaries = 0
        #: While a single-line leaf is written: the note of its cap line (else None).
        self.single_line_note: str | None = None
        #: The note of each single-line leaf's cap line, by index in the order.
        self.cap_notes: dict[int, str] = {}
        #: The interpreter's scorers, for the constructs the code calls rather than inlines.
        self.constructs: Mapping[str, Callable[..., Decimal]] = {}
        #: The shared caps cut on the unit total; the code returns the sum of each.
        self.at_total: tuple[SharedCapC, ...] = ()
        #: Whether the guide has shared caps: then every criterion's bonuses and deductions
        #: held (``bN``, ``gN``) are counted.
        self.tracks = False
        #: By position: whether the criterion applies to every unit (no way not to apply is
        #: written for it, so ``aN`` is always True).
        self.static_applies: dict[int, bool] = {}
        #: By position: ``mN`` whenever the criterion applies, if the guide's constants alone
        #: fix it (folded when written, in the engine's context); None when it varies.
        self.applied_max: dict[int, Decimal | None] = {}
        #: The inputs whose values are numbers once validated (read with no type check).
        self.numbers: frozenset[str] = frozenset()
        #: Those of them never below zero (their minimum and missing value are not).
        self.nonnegative: frozenset[str] = frozenset()
        #: The count inputs among them (an ``int`` once validated, or a ``Decimal`` filled in).
        self.counts: frozenset[str] = frozenset()
        #: The constant name of the products table of each factor (see ``product_table``).
        self.tables: dict[str, str] = {}
        #: While a construct is written: whether its part is the criterion's value as it is.
        self.part_is_value = False
        #: While a single-line leaf is written: its position (else None).
        self.single_line_position: int | None = None
        #: While a single-line leaf is written: its kind (score, bonus, deduction).
        self.single_line_kind = "score"
        #: ``(index in the order, id, is of kind score)`` of every top-level criterion.
        self.roots: tuple[tuple[int, str, bool], ...] = ()
        #: The guide's unit total, when the function may compute it (else None).
        self.total: Total | None = None
        #: The gates and the eligibility conditions, for the function that returns the unit
        #: total (their reasons, see ``_Writer.gate_reasons``).
        self.gates: tuple[GateC, ...] = ()
        self.eligibility: tuple[GateC, ...] = ()
        #: The compiled classification ``(on, bands, otherwise)``, or None.
        self.classification: tuple[str, tuple[BandSpec, ...], str | None] | None = None
        #: Whether the function returns the unit total (see ``_Writer.unit_total``).
        self.gives_totals = False

    def write(self, line: str) -> None:
        """Add one line at the current indentation."""
        self.out.append("    " * self.indent + line)

    def constant(self, value: Any) -> str:
        """The name of a constant holding ``value`` (equal values share one name)."""
        key: tuple[Any, ...]
        if type(value) is Decimal:  # equal decimals may differ in exponent: keep each as given
            key = (Decimal, str(value))
        elif type(value) in (str, tuple, bool, int):
            key = (type(value), value)
        else:
            key = (type(value), id(value))
        name = self._by_key.get(key)
        if name is None:
            name = f"{self.prefix}k{len(self._by_key)}"
            self._by_key[key] = name
            self.constants[name] = value
        return name

    def fresh_constant(self, value: Any) -> str:
        """The name of a new constant holding ``value`` (never shared with an equal one)."""
        name = f"{self.prefix}k{len(self._by_key)}"
        self._by_key[("fresh", name)] = name
        self.constants[name] = value
        return name

    def value_of(self, ident: str) -> str:
        """The local holding a criterion's value."""
        return f"v{self.index[ident]}"

    def applies_of(self, ident: str) -> str:
        """The local holding whether a criterion applies."""
        return f"a{self.index[ident]}"

    def maximum_of(self, ident: str) -> str:
        """The local holding a criterion's applicable maximum."""
        return f"m{self.index[ident]}"
