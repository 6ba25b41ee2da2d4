"""Declared inputs: their compiled form and the strict conversion of submitted values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from pydantic_core import PydanticCustomError

from emulation_rules._text import find_invisible, nfc
from emulation_rules.model import MAX_MAGNITUDE, parse_number_text

if TYPE_CHECKING:
    from emulation_rules._sandbox import ExprType
    from emulation_rules.model import InputSpec, InputType

__all__ = ["NOT_APPLICABLE", "InputField", "ValueProblem", "coerce_value", "expr_type"]

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
    """A submitted value does not fit its input; carries an issue code and message."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


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
        raise ValueProblem("value-type", f"expected a number, got {str(raw).lower()}")
    if isinstance(raw, float):
        raise ValueProblem(
            "value-type", "binary floats are not accepted; give the number as a decimal"
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
        raise ValueProblem("value-type", f"expected a number, got {_kind(raw)}")
    if not value.is_finite():
        raise ValueProblem("number-format", "the number must be finite (no NaN or Infinity)")
    if value.copy_abs() >= MAX_MAGNITUDE:  # copy_abs: no context, no overflow
        raise ValueProblem("out-of-range", f"{raw} is far too large")
    if value == 0:
        value = abs(value)
    return value


def _kind(raw: Any) -> str:
    if raw is None:
        return "null"
    if isinstance(raw, dict):
        return "a mapping"
    if isinstance(raw, list | tuple):
        return "a list"
    if isinstance(raw, str):
        return f"the text {raw!r}"
    if isinstance(raw, bool):
        return str(raw).lower()
    if isinstance(raw, int | Decimal | float):
        return f"the number {raw}"
    return "a value of another kind"


def _bounds(field: InputField, value: Decimal) -> None:
    if field.min is not None and value < field.min:
        raise ValueProblem("out-of-range", f"{value} is below the minimum {field.min}")
    if field.max is not None and value > field.max:
        raise ValueProblem("out-of-range", f"{value} is above the maximum {field.max}")


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
            (field.places is None or (isinstance(exponent, int) and -exponent <= field.places))
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
        hint = "write true or false" if str(raw).strip().lower() in _BOOL_WORDS else None
        if isinstance(raw, int | Decimal):
            hint = "write true or false"
        raise ValueProblem("value-type", f"expected true or false, got {_kind(raw)}", hint)
    if kind == "count":
        value = _number(raw)
        if value != value.to_integral_value() or (
            isinstance(raw, Decimal | str) and "." in str(raw)
        ):
            raise ValueProblem("value-type", f"{raw} is not a whole number; a count is 0, 1, 2, …")
        _bounds(field, value)
        return int(value)
    if kind in ("decimal", "percent"):
        value = _number(raw)
        exponent = value.as_tuple().exponent
        if field.places is not None and isinstance(exponent, int) and -exponent > field.places:
            raise ValueProblem(
                "number-places",
                f"{raw} has more than {field.places} decimal places; it is not rounded for you",
            )
        _bounds(field, value)
        return value
    if kind == "date":
        if isinstance(raw, date) and not isinstance(raw, datetime):
            return raw
        if isinstance(raw, datetime):
            raise ValueProblem("date-format", f"expected a date without a time, got {raw}")
        if not isinstance(raw, str) or not _ISO_DATE.fullmatch(raw):
            raise ValueProblem("date-format", f"expected a date YYYY-MM-DD, got {_kind(raw)}")
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise ValueProblem("date-format", f"{raw} is not a real date") from None
    if not isinstance(raw, str):
        raise ValueProblem("value-type", f"expected text, got {_kind(raw)}")
    text = nfc(raw)
    if kind == "enum":
        if text not in field.values:
            allowed = ", ".join(field.values)
            raise ValueProblem("enum-value", f"{text!r} is not one of: {allowed}")
        return text
    if len(text) > MAX_TEXT:
        raise ValueProblem("out-of-range", f"the text is longer than {MAX_TEXT} characters")
    if find_invisible(text) >= 0:
        raise ValueProblem("invisible-char", "the text contains an invisible character")
    return text
