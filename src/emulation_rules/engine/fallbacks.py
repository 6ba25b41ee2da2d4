"""Fallbacks from the generated code to the interpreter: counted and visible, never silent.

When a guide's generated code meets anything it does not handle (or has a bug), the unit is
scored again by the interpreter, which is the reference: the result is the same, only slower.
So that a code-generation bug cannot hide as slowness, every fallback is

- counted for the caller inside :func:`counting_fallbacks` (a per-call counter in a context
  variable: threads and asyncio tasks each count their own);
- counted for the whole process: :func:`fallback_count`;
- logged on the ``emulation_rules.engine`` logger: a DEBUG line for every unit, and a WARNING
  the first time a guide falls back for a given reason while the interpreter then scores the
  unit without an error. The generated code also hands over, by design, a unit whose own data
  makes a criterion fail (a target of 0, a value in no band): the interpreter then reports
  that error with its place, and the fallback is counted and logged at DEBUG, not warned
  about, since it is the unit's data and not the code generator that needs fixing.

Nothing of it reaches the JSON result or the audit record, which stay byte-identical.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from emulation_rules.compiler.nodes import CompiledRuleset

__all__ = ["LOG", "Fallbacks", "counting_fallbacks", "fallback_count", "fell_back"]

#: Where the engine says what it does beyond the results.
LOG = logging.getLogger("emulation_rules.engine")

#: How many (guide, reason) pairs are remembered as already warned about; past that the memory
#: starts again (a warning may repeat, the memory never grows without bound in a service).
WARNED_LIMIT = 1024


@dataclass(slots=True)
class Fallbacks:
    """The units the generated code gave back to the interpreter, with the reason of each.

    A fallback changes no result (the interpreter is the reference), only the time taken: it is
    counted so that a bug of the code generator cannot hide as slowness.
    """

    #: ``(unit id, reason)`` of each fallback, in order.
    units: list[tuple[str, str]] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many units fell back."""
        return len(self.units)


#: The counter of the current call (see :func:`counting_fallbacks`); None when nobody counts.
_COUNTING: ContextVar[Fallbacks | None] = ContextVar("emulation_rules_fallbacks", default=None)
#: The process's total and the (guide, reason) pairs already warned about, under one lock.
_LOCK = threading.Lock()
_total = 0
_warned: set[tuple[str, str, str]] = set()


@contextmanager
def counting_fallbacks() -> Iterator[Fallbacks]:
    """Count the fallbacks to the interpreter of the units scored inside the block.

    Example:
        >>> with counting_fallbacks() as fallbacks:
        ...     pass  # score units here
        >>> fallbacks.count
        0
    """
    counter = Fallbacks()
    token = _COUNTING.set(counter)
    try:
        yield counter
    finally:
        _COUNTING.reset(token)


def fallback_count() -> int:
    """How many units the generated code gave back to the interpreter since the process started.

    Counted in this process only: a worker process of ``stream`` counts its own.
    """
    return _total


def fell_back(
    compiled: CompiledRuleset, unit_id: str, error: Exception, *, data_error: bool = False
) -> None:
    """Count and log a unit the generated code gave back to the interpreter.

    ``data_error``: the interpreter found the unit's own data in error (no warning then).
    """
    global _total  # noqa: PLW0603 - the process's one counter, under the lock
    reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    counter = _COUNTING.get()
    if counter is not None:
        counter.units.append((unit_id, reason))
    key = (compiled.id, compiled.version, reason)
    with _LOCK:
        _total += 1
        first = not data_error and key not in _warned
        if first:
            if len(_warned) >= WARNED_LIMIT:
                _warned.clear()
            _warned.add(key)
    if first:
        LOG.warning(
            "guide %s %s: the generated code fell back to the interpreter (%s); the results "
            "are the same, the scoring slower. Please report it.",
            compiled.id,
            compiled.version,
            reason,
        )
    LOG.debug("unit %s of guide %s: generated code fell back (%s)", unit_id, compiled.id, reason)
