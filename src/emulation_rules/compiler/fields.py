"""Declared inputs: their compiled form and the strict conversion of submitted values.

Fast path of: :func:`coerce_value`, the rule (with the value-by-value reporting path of
:func:`emulation_rules.inputs.submissions.validate_submission`). The validation plan
(:func:`input_plan`, :class:`InputPlan`: one specialised checker per input, built once per
guide, and a test of a whole group of inputs at a time) only finds, faster, the values that
``coerce_value`` would accept unchanged; it hands every other value to ``coerce_value`` itself.
Kept equal by: ``tests/test_input_plan.py`` (random values of every input type against the
rule and the reporting path). Not counted: a submission the plan does not accept whole takes
the reporting path, which is the reference itself, not a fallback from a failure.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import (
    Clamped,
    Context,
    Decimal,
    DecimalException,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
    Subnormal,
    Underflow,
    getcontext,
    setcontext,
)
from operator import itemgetter
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from pydantic_core import PydanticCustomError

from emulation_rules._support.i18n import N_
from emulation_rules._support.text import describe_control, find_control, find_invisible, nfc
from emulation_rules.guide.model import MAX_MAGNITUDE, MAX_PLACES, parse_number_text

if TYPE_CHECKING:
    from collections.abc import Callable

    from emulation_rules.compiler.sandbox import ExprType
    from emulation_rules.guide.model import InputSpec, InputType

    #: Whether ``coerce_value`` keeps every value of a group of inputs as it is (see _KEPT).
    _GroupCheck = Callable[[tuple[Any, ...]], int]

__all__ = [
    "NOT_APPLICABLE",
    "InputField",
    "InputPlan",
    "TypedValues",
    "ValueProblem",
    "as_plain",
    "coerce_value",
    "expr_type",
    "field_checker",
    "input_plan",
]

#: Longest text value accepted in a submission.
MAX_TEXT = 2000
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BOOL_WORDS = frozenset(
    {"yes", "no", "y", "n", "on", "off", "có", "không", "true", "false", "1", "0"}
)


class _NotApplicable:
    """The value of an input that is missing with ``missing: not_applicable``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_APPLICABLE"

    def __reduce__(self) -> str:
        return "NOT_APPLICABLE"


NOT_APPLICABLE: Final = _NotApplicable()


class ValueProblem(Exception):  # noqa: N818 - internal signal, turned into an Issue by callers
    """A submitted value does not fit its input; carries an issue code and message.

    ``at`` is where inside the value, for an item of a list input: ``(2, "so_ngay")``.
    """

    def __init__(
        self, code: str, message: str, hint: str | None = None, at: tuple[str | int, ...] = ()
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.at = at


@dataclass(frozen=True, slots=True)
class InputField:
    """A declared input, ready to validate values."""

    name: str
    type: InputType
    label: str
    required: bool
    #: The value used when the input is missing (``NOT_APPLICABLE`` possible); None if required.
    missing: Any
    min: Decimal | None
    max: Decimal | None
    places: int | None
    values: tuple[str, ...]
    evidence: bool
    #: The fields of each item of a ``list`` input (format v2), in declared order.
    items: tuple[InputField, ...] = ()

    @classmethod
    def from_spec(cls, name: str, spec: InputSpec) -> InputField:
        """Build from the model, without validating ``missing`` (see :func:`coerce_value`)."""
        low = spec.min
        if spec.type in ("count", "percent") and low is None:
            low = Decimal(0)
        return cls(
            name=name,
            type=spec.type,
            label=spec.label,
            required=spec.required,
            missing=spec.missing,
            min=low,
            max=spec.max,
            places=spec.places,
            values=tuple(spec.values or ()),
            evidence=spec.evidence,
            items=tuple(cls.from_spec(n, s) for n, s in (spec.items or {}).items()),
        )

    def claims(self, value: Any) -> bool:
        """Whether ``value`` claims something that needs evidence."""
        if value is NOT_APPLICABLE or value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, int | Decimal):
            return value != 0
        return bool(value)


def expr_type(kind: InputType) -> ExprType:
    """The expression type of an input type."""
    if kind == "bool":
        return "bool"
    if kind in ("count", "decimal", "percent"):
        return "number"
    if kind == "date":
        return "date"
    return "text"


def _number(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise ValueProblem(
            "value-type", N_("expected a number, got {kind}").format(kind=str(raw).lower())
        )
    if isinstance(raw, float):
        raise ValueProblem(
            "value-type", N_("binary floats are not accepted; give the number as a decimal")
        )
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, str):
        try:
            value = parse_number_text(raw)
        except PydanticCustomError as exc:
            raise ValueProblem("number-format", exc.message()) from None
    else:
        raise ValueProblem(
            "value-type", N_("expected a number, got {kind}").format(kind=_kind(raw))
        )
    if not value.is_finite():
        raise ValueProblem("number-format", N_("the number must be finite (no NaN or Infinity)"))
    if value.copy_abs() >= MAX_MAGNITUDE:  # copy_abs: no context, no overflow
        raise ValueProblem("out-of-range", N_("{value} is far too large").format(value=raw))
    if value == 0:
        value = abs(value)
    return value


def _kind(raw: Any) -> str:
    if raw is None:
        return N_("null")
    if isinstance(raw, dict):
        return N_("a mapping")
    if isinstance(raw, list | tuple):
        return N_("a list")
    if isinstance(raw, str):
        return N_("the text {text}").format(text=repr(raw))
    if isinstance(raw, bool):
        return str(raw).lower()
    if isinstance(raw, int | Decimal | float):
        return N_("the number {number}").format(number=raw)
    return N_("a value of another kind")


def _bounds(field: InputField, value: Decimal) -> None:
    if field.min is not None and value < field.min:
        raise ValueProblem(
            "out-of-range",
            N_("{value} is below the minimum {minimum}").format(value=value, minimum=field.min),
        )
    if field.max is not None and value > field.max:
        raise ValueProblem(
            "out-of-range",
            N_("{value} is above the maximum {maximum}").format(value=value, maximum=field.max),
        )


def coerce_value(field: InputField, raw: Any) -> Any:
    """Convert a submitted value to the input's type, strictly.

    Returns ``int`` for counts, ``Decimal`` for decimals and percents, ``bool``, ``date``, or
    ``str`` (NFC). Raises :class:`ValueProblem` with a code and a plain message.
    """
    kind = field.type
    # fast paths for the common, already well-typed values (the checks below are the rule)
    cls = type(raw)
    if cls is int and kind == "count":
        if (field.min is None or raw >= field.min) and (field.max is None or raw <= field.max):
            return raw
    elif cls is Decimal and kind in ("decimal", "percent") and raw.is_finite():
        exponent = raw.as_tuple().exponent
        if (
            (isinstance(exponent, int) and -exponent <= _places(field))
            and (field.min is None or raw >= field.min)
            and (field.max is None or raw <= field.max)
            and raw.copy_abs() < MAX_MAGNITUDE
        ):
            return raw if raw != 0 else abs(raw)
    elif cls is bool and kind == "bool":
        return raw
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        hint = N_("write true or false") if str(raw).strip().lower() in _BOOL_WORDS else None
        if isinstance(raw, int | Decimal):
            hint = N_("write true or false")
        raise ValueProblem(
            "value-type", N_("expected true or false, got {kind}").format(kind=_kind(raw)), hint
        )
    if kind == "count":
        value = _number(raw)
        if value != value.to_integral_value() or (
            isinstance(raw, Decimal | str) and "." in str(raw)
        ):
            raise ValueProblem(
                "value-type",
                N_("{value} is not a whole number; a count is 0, 1, 2, …").format(value=raw),
            )
        _bounds(field, value)
        return int(value)
    if kind in ("decimal", "percent"):
        value = _number(raw)
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > _places(field):
            if field.places is None:  # more than the engine computes exactly with 28 digits
                raise ValueProblem(
                    "number-places",
                    N_(
                        "{value} has more than {places} decimal places, the most a number may "
                        "have; it is not rounded for you"
                    ).format(value=raw, places=MAX_PLACES),
                )
            raise ValueProblem(
                "number-places",
                N_(
                    "{value} has more than {places} decimal places; it is not rounded for you"
                ).format(value=raw, places=field.places),
            )
        _bounds(field, value)
        return value
    if kind == "date":
        if isinstance(raw, date) and not isinstance(raw, datetime):
            return raw
        if isinstance(raw, datetime):
            raise ValueProblem(
                "date-format", N_("expected a date without a time, got {value}").format(value=raw)
            )
        if not isinstance(raw, str) or not _ISO_DATE.fullmatch(raw):
            raise ValueProblem(
                "date-format", N_("expected a date YYYY-MM-DD, got {kind}").format(kind=_kind(raw))
            )
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise ValueProblem(
                "date-format", N_("{value} is not a real date").format(value=raw)
            ) from None
    if kind == "list":
        return _list_value(field, raw)
    if not isinstance(raw, str):
        raise ValueProblem("value-type", N_("expected text, got {kind}").format(kind=_kind(raw)))
    text = nfc(raw)
    if kind == "enum":
        if text not in field.values:
            allowed = ", ".join(field.values)
            raise ValueProblem(
                "enum-value",
                N_("{value} is not one of: {allowed}").format(value=repr(text), allowed=allowed),
            )
        return text
    if len(text) > MAX_TEXT:
        raise ValueProblem(
            "out-of-range", N_("the text is longer than {limit} characters").format(limit=MAX_TEXT)
        )
    if find_invisible(text) >= 0:
        raise ValueProblem("invisible-char", N_("the text contains an invisible character"))
    control = find_control(text, lines=True)
    if control >= 0:
        raise ValueProblem(
            "control-char",
            N_("the text contains a control character ({character})").format(
                character=describe_control(text[control])
            ),
        )
    return text


#: The most items a list input may have.
MAX_ITEMS = 1000


def _list_value(field: InputField, raw: Any) -> tuple[dict[str, Any], ...]:
    """A list input's value (format v2): each item a mapping of its declared fields, typed."""
    if not isinstance(raw, list | tuple):
        raise ValueProblem("value-type", N_("expected a list, got {kind}").format(kind=_kind(raw)))
    if len(raw) > MAX_ITEMS:
        raise ValueProblem(
            "out-of-range", N_("the list has more than {limit} items").format(limit=MAX_ITEMS)
        )
    declared = {item.name: item for item in field.items}
    out: list[dict[str, Any]] = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise ValueProblem(
                "value-type",
                N_("expected an item with fields, got {kind}").format(kind=_kind(entry)),
                at=(index,),
            )
        for key in entry:
            if key not in declared:
                raise ValueProblem(
                    "unknown-field-value",
                    N_("{name} is not a field of the items").format(name=repr(key)),
                    at=(index, str(key)),
                )
        typed: dict[str, Any] = {}
        for name, item in declared.items():
            value = entry.get(name)
            if value is None:
                if item.required or item.missing is None:
                    raise ValueProblem(
                        "missing-value",
                        N_("{label}: a value is required").format(label=item.label),
                        at=(index, name),
                    )
                typed[name] = item.missing
                continue
            try:
                typed[name] = coerce_value(item, value)
            except ValueProblem as problem:
                raise ValueProblem(
                    problem.code,
                    N_("{label}: {problem}").format(label=item.label, problem=problem.message),
                    problem.hint,
                    at=(index, name),
                ) from None
        out.append(typed)
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Validating many submissions against one guide: a plan built once per guide (issue 8).
#
# ``coerce_value`` is the rule. Everything below only finds, faster, the values that
# ``coerce_value`` would accept unchanged, and hands every other value to ``coerce_value``
# itself, so the values and the problems are those of ``coerce_value`` by construction
# (tests/test_input_plan.py checks it on random values).


def _int_bound(bound: Decimal | None) -> int | Decimal | None:
    """An integral bound as an ``int``: an ``int`` compares with an ``int`` faster, and alike."""
    if isinstance(bound, Decimal) and bound.is_finite() and bound == bound.to_integral_value():
        return int(bound)
    return bound


def _places(field: InputField) -> int:
    """The most decimal places a value of the input may have.

    Its own ``places``, else ``MAX_PLACES``: with at most 15 digits before the point, a value
    then has at most 25 significant digits, so the engine's 28-digit sums of a few stay exact.
    """
    return field.places if field.places is not None else MAX_PLACES


def _places_ok(value: Decimal, places: int) -> bool:
    """The places rule of :func:`coerce_value`, word for word."""
    exponent = value.as_tuple().exponent
    return isinstance(exponent, int) and -exponent <= places


def _quantum(places: int) -> Decimal:
    """``1E-places``: a finite value has exactly ``places`` places iff it has this quantum."""
    return Decimal((0, (1,), -places))


def field_checker(field: InputField) -> Callable[[Any], Any]:
    """A function equal to ``coerce_value(field, raw)``, specialised for ``field``.

    It returns a well-typed value that is within the field's bounds straight away, with the
    same conditions as the fast paths of :func:`coerce_value` checked in the same order, and
    calls :func:`coerce_value` for anything else: same value, same :class:`ValueProblem`.
    """
    kind = field.type
    if kind == "bool":

        def check_bool(raw: Any) -> Any:
            if raw is True or raw is False:  # bool has these two instances and no subclass
                return raw
            return coerce_value(field, raw)

        return check_bool
    if kind == "count":
        return _count_checker(field)
    if kind in ("decimal", "percent"):
        return _decimal_checker(field)
    return functools.partial(coerce_value, field)


def _count_checker(field: InputField) -> Callable[[Any], Any]:
    # for an int x and an integral bound b, x >= b and x >= int(b) are the same test
    low, high = _int_bound(field.min), _int_bound(field.max)
    if low is not None and high is not None:
        least, most = low, high

        def check_count(raw: Any) -> Any:
            if type(raw) is int and raw >= least and raw <= most:
                return raw
            return coerce_value(field, raw)

    elif low is not None:
        floor = low

        def check_count(raw: Any) -> Any:
            if type(raw) is int and raw >= floor:
                return raw
            return coerce_value(field, raw)

    elif high is not None:
        ceiling = high

        def check_count(raw: Any) -> Any:
            if type(raw) is int and raw <= ceiling:
                return raw
            return coerce_value(field, raw)

    else:

        def check_count(raw: Any) -> Any:
            if type(raw) is int:
                return raw
            return coerce_value(field, raw)

    return check_count


def _decimal_checker(field: InputField) -> Callable[[Any], Any]:
    places, low, high = _places(field), field.min, field.max
    # same_quantum is ~6x cheaper than as_tuple(); the exact rule decides the other exponents
    quantum = _quantum(places)

    def check_decimal(raw: Any) -> Any:
        if (
            type(raw) is Decimal
            and raw.is_finite()
            and (quantum.same_quantum(raw) or _places_ok(raw, places))
            and (low is None or raw >= low)
            and (high is None or raw <= high)
            and raw.copy_abs() < MAX_MAGNITUDE
        ):
            return raw if raw != 0 else abs(raw)
        return coerce_value(field, raw)

    return check_decimal


#: What a group check says: a value is not kept as is; every value is kept as is; every
#: value is kept, but a Decimal zero may be among them (coerce_value makes a zero positive).
_REJECTED, _KEPT, _ZERO_MAYBE = 0, 1, 2


def _count_group(low: int | Decimal | None, high: int | Decimal | None) -> _GroupCheck:
    def check(values: tuple[Any, ...]) -> int:
        # ints (tested before) within the bounds: coerce_value returns each one unchanged
        if (low is None or min(values) >= low) and (high is None or max(values) <= high):
            return _KEPT
        return _REJECTED

    return check


#: The context the decimal groups are checked in (see :func:`_decimal_group`): a sum of a
#: group's values is exact, or a signal is raised and the group is left to the per-value path.
_EXACT: Final = Context(
    prec=100,
    traps=[Clamped, Inexact, InvalidOperation, Overflow, Rounded, Subnormal, Underflow],
)


_NOUGHT: Final = Decimal(0)


def _decimal_group(low: Decimal | None, high: Decimal | None, places: int) -> _GroupCheck:
    # a bound inside ±MAX_MAGNITUDE makes the magnitude test on that side redundant
    floor = low if low is not None and low > -MAX_MAGNITUDE else None
    ceiling = high if high is not None and high < MAX_MAGNITUDE else None
    # values never below zero: the largest is at most their sum
    nonnegative = floor is not None and floor >= 0

    def check(values: tuple[Decimal, ...]) -> int:
        """Decimals (tested before), finite, within their places, bounds and magnitude.

        Then coerce_value returns each one unchanged (a zero made positive: see InputPlan).
        Called in the ``_EXACT`` context (issue 18): the sum of the values is then exact, or
        a signal is raised, and an exact sum's exponent is the least of ``0`` and the values'
        exponents (NaN and Infinity give a sum that is not finite, a signalling NaN a signal):
        one C loop instead of a test of each value's exponent.
        """
        try:
            total = sum(values, _NOUGHT)
        except DecimalException:
            return _REJECTED
        if not _places_ok(total, places):  # False for NaN and Infinity
            return _REJECTED
        least = min(values)
        if not (least >= floor if floor is not None else least > -MAX_MAGNITUDE):
            return _REJECTED
        if ceiling is not None:
            most = max(values)
            if not most <= ceiling:
                return _REJECTED
        elif not (nonnegative and total < MAX_MAGNITUDE):
            most = max(values)
            if not most < MAX_MAGNITUDE:
                return _REJECTED
        else:
            return _KEPT if least > 0 else _ZERO_MAYBE  # least >= 0: a zero iff least == 0
        return _ZERO_MAYBE if least <= 0 <= most else _KEPT

    return check


def _finite(bound: Decimal | None) -> bool:
    return bound is None or (isinstance(bound, Decimal) and bound.is_finite())


def _getter(names: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    if not names:
        return lambda _values: ()
    if len(names) == 1:
        name = names[0]
        return lambda values: (values[name],)
    return itemgetter(*names)


class InputPlan:
    """How to validate values for one guide's inputs fast; built once per guide.

    :meth:`typed` gives the typed values exactly as converting each value with
    :func:`coerce_value` and filling the missing ones would, or None when some value would
    be reported (unknown, wrong, or a required one missing): the caller then takes the
    reporting path, which finds the issues.
    """

    __slots__ = (
        "_checkers",
        "_checks",
        "_count",
        "_defaults",
        "_exact",
        "_fill",
        "_get",
        "_others",
        "_types",
        "evidence",
        "inputs",
    )

    def __init__(self, inputs: Mapping[str, InputField]) -> None:
        self.inputs = inputs
        self._count = len(inputs)
        self._checkers = {name: field_checker(spec) for name, spec in inputs.items()}
        #: In the declared order: how to fill a missing value (the order of the result).
        self._fill = tuple((name, spec.required, spec.missing) for name, spec in inputs.items())
        #: The value of every input that may be missing, in the declared order (shared by the
        #: typed values of every submission that leaves some out, see :class:`TypedValues`).
        self._defaults: Mapping[str, Any] = MappingProxyType(
            {name: spec.missing for name, spec in inputs.items() if not spec.required}
        )
        #: The inputs that need evidence for a value that claims something.
        self.evidence = tuple((name, spec) for name, spec in inputs.items() if spec.evidence)
        # inputs with the same test, side by side: bools, counts, decimals (by bounds, places)
        groups: dict[tuple[Any, ...], list[str]] = {}
        others: list[str] = []
        for name, spec in inputs.items():
            name = sys.intern(name)  # noqa: PLW2901 - as the JSON loader interns its keys
            key: tuple[Any, ...] | None = None
            if spec.type == "bool":
                key = (bool,)
            elif _finite(spec.min) and _finite(spec.max):
                if spec.type == "count":
                    key = (int, _int_bound(spec.min), _int_bound(spec.max))
                elif spec.type in ("decimal", "percent"):
                    key = (Decimal, spec.min, spec.max, _places(spec))
            if key is None:
                others.append(name)
            else:
                groups.setdefault(key, []).append(name)
        order: list[str] = []
        types: list[type] = []
        checks: list[tuple[int, int, _GroupCheck, tuple[str, ...] | None]] = []
        for key, names in groups.items():
            start = len(order)
            order.extend(names)
            types.extend([key[0]] * len(names))
            if key[0] is Decimal:
                check = _decimal_group(key[1], key[2], key[3])
                checks.append((start, len(order), check, tuple(names)))
            elif key[0] is int and (key[1] is not None or key[2] is not None):
                checks.append((start, len(order), _count_group(key[1], key[2]), None))
        #: The values of the grouped inputs, in group order (KeyError if one is not given).
        self._get = _getter(tuple(order))
        #: The exact type each of those values must have (as in coerce_value's fast paths).
        self._types = tuple(types)
        #: Each group's slice of those values and its test; the names of decimal groups.
        self._checks = tuple(checks)
        #: Whether a group is of decimals (checked in the ``_EXACT`` context).
        self._exact = any(names is not None for _, _, _, names in checks)
        #: The other inputs (dates, texts, non-finite bounds): one checker each.
        self._others = tuple((name, self._checkers[name]) for name in others)

    def typed(self, values: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The typed values, missing ones filled, in the order ``validate_submission`` gives.

        None when a value is unknown, does not fit its input, or a required one is missing.
        When every value is given and ``values`` is a dict, nothing is copied (issue 18): the
        result is ``values`` itself when every value is already its typed value, else a
        :class:`TypedValues` of ``values`` and the few typed values that differ. The caller
        never changes either.
        """
        typed = self._all_given(values)
        return typed if typed is not None else self._each(values)

    def _all_given(self, values: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """Every input given, every value well typed: checked a group of inputs at a time.

        None when that is not so (then :meth:`_each` decides).
        """
        if len(values) != self._count:  # with every input given: another key is not one
            return None
        try:
            given = self._get(values)
        except KeyError:  # an input is not given
            return None
        if tuple(map(type, given)) != self._types:
            return None
        if self._exact:
            # The decimal groups' sums (see _decimal_group) in _EXACT itself, made current and
            # then the caller's context again: a third of the instructions of a localcontext,
            # which copies it. Nothing reads its flags, and its traps act on each operation's
            # own conditions, whatever flags earlier ones left (issue 18).
            caller = getcontext()
            setcontext(_EXACT)
            try:
                zeros = self._groups(given)
            finally:
                setcontext(caller)
        else:
            zeros = self._groups(given)
        if zeros is None:
            return None
        # Same keys, same order: each value is its typed value, but what is changed below.
        # With nothing changed, the values themselves are the typed values (no copy: the
        # trace of a kept result reads them, issue 18).
        changed: dict[str, Any] = {}
        for names, group in zeros:  # … a Decimal negative zero, which loses its sign
            for name, value in zip(names, group, strict=True):
                if value == 0 and value.is_signed():  # abs() of any other zero is itself
                    changed[name] = abs(value)
        try:
            for name, check_other in self._others:
                raw = values[name]
                if raw is None:
                    return None
                value = check_other(raw)
                if value is not raw:
                    changed[name] = value
        except Exception:  # noqa: BLE001 - any trouble: _each meets it again, in order
            return None
        if type(values) is not dict:
            typed = dict(values)
            typed.update(changed)
            return typed
        return TypedValues(values, changed) if changed else values

    def _groups(
        self, given: tuple[Any, ...]
    ) -> list[tuple[tuple[str, ...], tuple[Any, ...]]] | None:
        """The decimal groups that may hold a zero; None if a group's value is not kept."""
        zeros: list[tuple[tuple[str, ...], tuple[Any, ...]]] = []
        for start, stop, check, names in self._checks:
            group = given[start:stop]
            verdict = check(group)
            if verdict == _REJECTED:
                return None
            if verdict == _ZERO_MAYBE and names is not None:
                zeros.append((names, group))
        return zeros

    def _each(self, values: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """One value at a time, in the submission's order, as ``validate_submission`` does."""
        checkers = self._checkers
        typed: dict[str, Any] = {}
        #: The values that differ from the submitted ones, then the missing ones filled.
        changed: dict[str, Any] = {}
        given_none = False
        try:
            for name, raw in values.items():
                check = checkers.get(name)
                if check is None:
                    return None
                if raw is None:
                    given_none = True
                    continue
                value = typed[name] = check(raw)
                if value is not raw:
                    changed[name] = value
        except ValueProblem:
            return None
        filled = len(typed) < self._count
        if filled:
            for name, required, missing in self._fill:
                if name not in typed:
                    if required:
                        return None
                    typed[name] = missing
        if given_none or type(values) is not dict:  # the order differs from the values'
            return typed
        if not changed and not filled:
            return values
        # the values, then the missing ones in the declared order: as typed, without a copy
        return TypedValues(values, changed, self._defaults if filled else _NO_DEFAULTS)


class TypedValues(Mapping[str, Any]):
    """Submitted values with the few that validation changed: a read-only mapping, no copy.

    ``base`` in its own order, each value replaced by the ``overlay``'s when it has one, then
    the overlay's other keys in its order, then the ``defaults`` of the keys in neither, in
    their order (the values of the inputs left out, one mapping shared by every submission
    of a guide): the items of ``{**base, **overlay}`` with the missing inputs filled, which is
    what :meth:`as_dict` gives. A kept result's trace reads its unit's inputs through it
    (issue 18).
    """

    __slots__ = ("base", "defaults", "overlay")

    base: Mapping[str, Any]
    overlay: Mapping[str, Any]
    defaults: Mapping[str, Any]

    def __init__(
        self,
        base: Mapping[str, Any],
        overlay: Mapping[str, Any],
        defaults: Mapping[str, Any] | None = None,
    ) -> None:
        self.base = base
        self.overlay = overlay
        self.defaults = _NO_DEFAULTS if defaults is None else defaults

    def _extras(self) -> list[str]:
        """The keys after the base's, in order (not kept: a kept unit holds none)."""
        base, overlay = self.base, self.overlay
        extra = [k for k in overlay if k not in base]
        extra += [k for k in self.defaults if k not in base and k not in overlay]
        return extra

    def __getitem__(self, key: str) -> Any:
        overlay = self.overlay
        if key in overlay:
            return overlay[key]
        base = self.base
        return base[key] if key in base else self.defaults[key]

    def __contains__(self, key: object) -> bool:
        return key in self.base or key in self.overlay or key in self.defaults

    def __iter__(self) -> Iterator[str]:
        yield from self.base
        yield from self._extras()

    def __len__(self) -> int:
        return len(self.base) + len(self._extras())

    def as_dict(self) -> dict[str, Any]:
        """A new dict of the same items in the same order (at C speed)."""
        out = dict(self.base)
        out.update(self.overlay)
        if self.defaults:
            for key, value in self.defaults.items():
                if key not in out:
                    out[key] = value
        return out

    def keys(self) -> Any:
        """The keys, as ``dict.keys()`` of :meth:`as_dict`."""
        return self.as_dict().keys()

    def items(self) -> Any:
        """The items, as ``dict.items()`` of :meth:`as_dict`."""
        return self.as_dict().items()

    def values(self) -> Any:
        """The values, as ``dict.values()`` of :meth:`as_dict`."""
        return self.as_dict().values()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TypedValues):
            return self.as_dict() == other.as_dict()
        if isinstance(other, dict):
            return self.as_dict() == other
        if isinstance(other, Mapping):
            return self.as_dict() == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # unhashable, as a dict

    def __repr__(self) -> str:
        return f"TypedValues({self.as_dict()!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return TypedValues, (dict(self.base), dict(self.overlay), dict(self.defaults))


_NO_DEFAULTS: Mapping[str, Any] = MappingProxyType({})


def as_plain(values: Mapping[str, Any]) -> Mapping[str, Any]:
    """``values`` to copy into a dict: a :class:`TypedValues` as a dict, other mappings as given.

    ``dict.update`` reads a mapping that is not a dict one key at a time, through Python.
    """
    return values.as_dict() if type(values) is TypedValues else values


class _Same:
    """A hashable handle that compares by identity and keeps its object alive."""

    __slots__ = ("_hash", "obj")

    def __init__(self, obj: Mapping[str, InputField]) -> None:
        self.obj = obj
        self._hash = id(obj)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj


# Why an lru_cache on the identity of the inputs mapping:
# - the plan depends on the inputs only, and a compiled guide never changes them (a frozen
#   CompiledRuleset holding a read-only MappingProxyType), so one plan serves every
#   submission scored against that guide, with no field added to CompiledRuleset;
# - the key holds the mapping itself, so the mapping lives as long as its entry and no other
#   object can take its id meanwhile: a plan is never served for another guide's inputs;
# - bounded (8 guides, a few hundred small objects each) and thread-safe (functools.lru_cache
#   locks its own bookkeeping; two threads missing at once both build equal, immutable plans).
@functools.lru_cache(maxsize=8)
def _plan(key: _Same) -> InputPlan:
    return InputPlan(key.obj)


#: The inputs last asked for and their plan: one tuple, read and replaced whole (thread-safe);
#: it keeps that one guide's inputs alive, as the cache above does.
_last: tuple[Mapping[str, InputField], InputPlan] | None = None


def input_plan(inputs: Mapping[str, InputField]) -> InputPlan:
    """The validation plan of a guide's inputs (``compiled.inputs``), built once and kept."""
    global _last  # noqa: PLW0603 - a one-entry memo in front of the cache
    last = _last
    if last is not None and last[0] is inputs:  # every unit of a batch: no key, no lookup
        return last[1]
    plan = _plan(_Same(inputs))
    _last = (inputs, plan)
    return plan
