"""Compile a guide into Python functions: the evaluator's fast path.

Fast path of: the interpreter (:class:`emulation_rules.engine.evaluator._Unit`, whose
``SCORERS`` are the reference of this module's ``EMITTERS``, construct by construct). Kept equal
by: ``tests/test_codegen_differential.py`` (results and traces of both, guide by guide and on
generated guides) and ``tests/test_codegen.py``. A fallback to the interpreter is counted and
logged (:func:`emulation_rules.engine.evaluator.counting_fallbacks`).

:func:`build_program` turns a compiled guide into two Python functions (one that records the
trace, one that does not) that score one unit with straight-line code: one block per
criterion, in the compiled order, with every value in a local variable. They do what the
interpreter in :mod:`emulation_rules.engine.evaluator` does, step for step and operation for
operation, so that the decimals are the same to the last digit and exponent; the interpreter
stays the reference, and the tests check that both give identical results and traces.
What the guide's constants and validation fix is decided when the code is written, not for
every unit (issue 18): a group's applicable maximum, whether a criterion always applies, the
type of a validated number input and the sign of a part counted from one, band comparisons
that earlier bands imply.

Only this module writes the code, and it writes nothing that comes from the guide: ids, titles,
numbers, expressions and notes are all handed to the code as opaque constants ``k0, k1, …``;
the code's own text is made of local names, those constant names and fixed Python syntax (a
test parses every generated program and checks that it holds no other literal). Expressions
run as the closures the sandbox compiled from their checked trees.

The functions return the value of every criterion by id, its applicability and applicable
maximum in the compiled order, the unit's capped deductions and, with the trace, one small
record per criterion ``(status, parts, lines, note, facts)``; for a leaf capped by its own
construct, ``(part, amount of the cap line)``; for the usual criterion scored with no
adjustment line, its part alone (a decimal or None: no tuple for the collector to
track); :class:`~emulation_rules.engine.evaluator.TraceNode` objects are built from the records only
when the trace is read.

Any exception in a generated function (an expression that fails, a value of the wrong type,
an internal check) makes the evaluator score that unit again with the interpreter, which
raises and locates the error as it always has: the fast path never decides a failure.

The package, top to bottom: :mod:`.program` (:class:`Program`, :func:`build_program`),
:mod:`.writer` (one function, criterion by criterion), :mod:`.emit_constructs` (one writer per
construct, :data:`EMITTERS`), :mod:`.emit_expressions` (expressions inline),
:mod:`.source` (the text, its constants, and what each generated local name holds) and
:mod:`.trace_builder` (the static facts the trace is built from).
"""

from emulation_rules.engine.codegen.emit_constructs import EMITTERS
from emulation_rules.engine.codegen.program import FastPathFailed, Program, build_program
from emulation_rules.engine.codegen.trace_builder import PlanEntry, trace_plan
from emulation_rules.engine.codegen.writer import _Writer

__all__ = [
    "EMITTERS",
    "FastPathFailed",
    "PlanEntry",
    "Program",
    "_Writer",
    "build_program",
    "trace_plan",
]
