"""The guide format, version 1, as pydantic models.

A guide ("Hướng dẫn chấm điểm thi đua") is one YAML document that :func:`load_ruleset` turns
into a :class:`Ruleset`. Every model is frozen and forbids unknown fields, so a misspelt key is
an error with a suggestion, never silently ignored. ``docs/ruleset-format.md`` documents each
field with Vietnamese examples; ``emulation-rules schema`` prints the JSON Schema generated
from these classes.
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import decimal
import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ModelWrapValidatorHandler,
    PlainValidator,
    SerializerFunctionWrapHandler,
    WithJsonSchema,
    WrapSerializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from emulation_rules._support.formats import FrozenModel
from emulation_rules._support.i18n import N_
from emulation_rules._support.numbers import ENGINE_CONTEXT, parse_decimal
from emulation_rules._support.text import find_invisible, nfc

__all__ = [
    "FORMAT_V2",
    "FORMAT_VERSION",
    "FORMAT_VERSIONS",
    "Award",
    "AwardRequires",
    "Axis",
    "Band",
    "Bands",
    "Caps",
    "ClassBand",
    "Classification",
    "Criterion",
    "Deadline",
    "EarlyBonus",
    "Effective",
    "Eligibility",
    "Fraction",
    "Gate",
    "Increment",
    "InputCheck",
    "InputSpec",
    "Lookup",
    "NamedValue",
    "PerEvent",
    "PerItem",
    "Proportional",
    "Quota",
    "RankKey",
    "RankPoints",
    "Ranking",
    "ReviewBody",
    "Rounding",
    "Ruleset",
    "SharedCap",
    "Table",
    "Target",
    "Total",
    "Vote",
    "value_words",
]

#: The first format version (the ``format`` key of a guide); new guides are scaffolded in it.
FORMAT_VERSION = "emulation-rules/v1"
#: The second format version: v1 and the keys marked ``json_schema_extra={"since": "v2"}``.
FORMAT_V2 = "emulation-rules/v2"
#: Every format version this engine reads. A v1 guide may not use a key marked as v2; a v2
#: guide may use every key (``guide/versions.py`` checks it; docs/ruleset-format.md).
FORMAT_VERSIONS = (FORMAT_VERSION, FORMAT_V2)

#: Largest magnitude accepted for any number in a guide or a submission.
MAX_MAGNITUDE = Decimal("1e15")
#: Most decimal places accepted in a number literal.
MAX_PLACES = 10

_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._\-]*[A-Za-z0-9])?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _number_error(code: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(code, message)


def parse_number_text(text: str) -> Decimal:
    """Parse a number written as text, strictly: ``95.5`` yes; ``95,5``, ``1.000,5``, no.

    Raises:
        PydanticCustomError: ``number-format`` with a message that shows the expected form.

    Example:
        >>> parse_number_text("95.50")
        Decimal('95.50')
    """
    stripped = text.strip()
    value = parse_decimal(text)
    if value is not None and not re.fullmatch(r"-?[1-9][0-9]{0,2}\.[0-9]{3}", text):
        return value
    if re.fullmatch(r"-?[1-9][0-9]{0,2}[.,][0-9]{3}", stripped):
        whole = stripped.replace(",", "").replace(".", "")
        decimal = stripped.replace(",", ".")
        msg = N_(
            "{text} is ambiguous: a thousands separator ({whole}) or a decimal point "
            "({decimal}); write the digits only, with '.' for decimals"
        ).format(text=f"'{text}'", whole=whole, decimal=decimal.rstrip("0").rstrip("."))
        raise _number_error("number-format", msg)
    if re.fullmatch(r"-?[0-9]+,[0-9]+", stripped):
        msg = N_("{text} uses a decimal comma; write {fixed}").format(
            text=f"'{text}'", fixed=stripped.replace(",", ".")
        )
        raise _number_error("number-format", msg)
    if re.fullmatch(r"-?[0-9]{1,3}(?:[.,\s][0-9]{3})+(?:[.,][0-9]+)?", stripped):
        msg = N_(
            "{text} has thousands separators; write the digits only, e.g. 1000 or 1000.5"
        ).format(text=f"'{text}'")
        raise _number_error("number-format", msg)
    msg = N_(
        "{text} is not a number in the form 95 or 95.5 (ASCII digits, '.' for decimals)"
    ).format(text=f"'{text}'")
    raise _number_error("number-format", msg)


def to_decimal(value: Any) -> Decimal:
    """Validate a number from a guide or submission into an exact, bounded Decimal."""
    if isinstance(value, bool):
        raise _number_error("wrong-type", "expected a number, got a boolean")
    if isinstance(value, float):
        raise _number_error(
            "wrong-type", "binary floats are not accepted; give the number as a decimal"
        )
    if isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        result = parse_number_text(value)
    else:
        raise _number_error("wrong-type", f"expected a number, got {type(value).__name__}")
    if not result.is_finite():
        raise _number_error("expr-number", "the number must be finite")
    if result.copy_abs() >= MAX_MAGNITUDE:  # copy_abs: no context, no overflow
        raise _number_error("invalid-value", f"the number {value} is too large")
    exponent = result.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_PLACES:
        raise _number_error(
            "invalid-value", f"the number {value} has more than {MAX_PLACES} decimal places"
        )
    if result == 0:
        result = abs(result)  # never keep a negative zero
    return result


def _check_id(value: str) -> str:
    if find_invisible(value) >= 0:
        raise PydanticCustomError("invisible-char", "the id contains an invisible character")
    if not _ID.fullmatch(value):
        raise PydanticCustomError(
            "invalid-value",
            N_(
                "'{value}' is not a valid id: use ASCII letters, digits, '.', '_' and '-' "
                "(like TC1, a1.2, I.2.b)"
            ),
            {"value": value},
        )
    return value


def _check_name(value: str) -> str:
    if find_invisible(value) >= 0:
        raise PydanticCustomError("invisible-char", "the name contains an invisible character")
    if not _NAME.fullmatch(value):
        raise PydanticCustomError(
            "invalid-value",
            "'{value}' is not a valid input name: use ASCII letters, digits and '_' "
            "(like so_bao_cao_tre_han)",
            {"value": value},
        )
    return value


#: A date written day first, as Vietnamese documents write it: 31/3/2024, 05.6.2022, 5-6-2022.
_DAY_FIRST = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})")


def day_first_iso(text: str) -> str | None:
    """The ISO form of a real date written day first (``31/3/2024`` → ``2024-03-31``), or None.

    Example:
        >>> day_first_iso("31/3/2024"), day_first_iso("05.6.2022"), day_first_iso("31/2/2024")
        ('2024-03-31', '2022-06-05', None)
    """
    match = _DAY_FIRST.fullmatch(text.strip())
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _check_date(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and (iso := day_first_iso(value)) is not None:
        msg = N_("{text} is written day first; write {iso} (YYYY-MM-DD)").format(
            text=f"'{value}'", iso=iso
        )
        raise PydanticCustomError("date-format", msg)
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise PydanticCustomError("date-format", "expected a date written YYYY-MM-DD")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError(
            "date-format", "'{value}' is not a real date", {"value": value}
        ) from None
    return value


def _positive(value: Decimal) -> Decimal:
    if value < 0:
        raise PydanticCustomError("invalid-value", N_("the value must not be negative"))
    return value


# --------------------------------------------------------------------------------------------
# Named values (format v2): a constant's name or a small expression over constants


class NamedValue(Decimal):
    """A number of the guide given by a constant's name or an expression over constants.

    It is the exact value, computed at load, and remembers what the guide wrote (``source``),
    so the trace and the explanation can say ``0.1 * S = 1.5``. Arithmetic on it gives plain
    decimals; the compiler hands plain decimals to the evaluators except where a note names it.

    Example:
        >>> value = NamedValue("1.5", "0.1 * S")
        >>> value == Decimal("1.5"), value.source, value_words(value)
        (True, '0.1 * S', '0.1 * S = 1.5')
    """

    source: str

    def __new__(cls, value: Decimal | str, source: str) -> NamedValue:  # noqa: D102, PYI034
        made = super().__new__(cls, value)
        made.source = source
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (NamedValue, (str(self), self.source))

    def __copy__(self) -> NamedValue:
        return self

    def __deepcopy__(self, memo: Any) -> NamedValue:
        return self


def value_words(value: Decimal) -> str:
    """A guide's number as the trace says it: ``1.5``, or ``0.1 * S = 1.5`` for a named one."""
    if isinstance(value, NamedValue):
        return f"{value.source} = {Decimal(value)}"
    return str(value)


def plain(value: Decimal) -> Decimal:
    """The plain decimal of a value (a named one loses its name)."""
    return Decimal(value) if isinstance(value, NamedValue) else value


#: The guide's constants while a guide is validated (for the named values of its criteria).
_CONSTANTS: contextvars.ContextVar[dict[str, Decimal | None] | None] = contextvars.ContextVar(
    "guide_constants", default=None
)
#: A name in a value's text (not the exponent of ``1e5``).
_VALUE_NAME = re.compile(r"(?<![0-9.])[A-Za-z_][A-Za-z0-9_]*")
_NOT_NAMES = frozenset({"nan", "inf", "infinity", "snan"})
#: The longest text of a named value.
MAX_VALUE_TEXT = 200
_EXACT = ENGINE_CONTEXT.copy()
_EXACT.traps[decimal.Inexact] = True


def _names_in(text: str) -> list[str]:
    return [n for n in _VALUE_NAME.findall(text) if n.lower() not in _NOT_NAMES]


def _named_error(message: str, **values: Any) -> PydanticCustomError:
    return PydanticCustomError("named-value", message, values)


def evaluate_named(text: str, constants: dict[str, Decimal | None]) -> Decimal:
    """The exact value of a named value's text over resolved ``constants``.

    Names, numbers, ``+ - * /`` and parentheses; a division must be exact.

    Raises:
        PydanticCustomError: ``named-value``, saying what is wrong.

    Example:
        >>> evaluate_named("0.85 * S", {"S": Decimal(15)})
        Decimal('12.75')
    """
    if len(text) > MAX_VALUE_TEXT:
        raise _named_error(N_("a named value has at most {n} characters"), n=MAX_VALUE_TEXT)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise _named_error(
            N_(
                "{text} is not a number, a constant's name or an expression over constants "
                "(names, numbers, + - * / and parentheses)"
            ),
            text=repr(text),
        ) from None
    source = text.strip()

    def walk(node: ast.AST) -> Decimal:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Name):
            if node.id not in constants:
                raise _named_error(
                    N_("{name} is not a constant of the guide: a named value reads constants only"),
                    name=repr(node.id),
                )
            found = constants[node.id]
            if found is None:
                raise _named_error(
                    N_(
                        "constant {name} has no value: it is defined in a circle or from a "
                        "broken constant"
                    ),
                    name=repr(node.id),
                )
            return found
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            literal = ast.get_source_segment(source, node) or ""
            number = parse_decimal(literal)
            if number is None:
                raise _named_error(N_("{text} is not a number"), text=repr(literal))
            return number
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = walk(node.operand)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp) and isinstance(
            node.op, ast.Add | ast.Sub | ast.Mult | ast.Div
        ):
            left, right = walk(node.left), walk(node.right)
            try:
                if isinstance(node.op, ast.Add):
                    return _EXACT.add(left, right)
                if isinstance(node.op, ast.Sub):
                    return _EXACT.subtract(left, right)
                if isinstance(node.op, ast.Mult):
                    return _EXACT.multiply(left, right)
                return _EXACT.divide(left, right)
            except decimal.DivisionByZero:
                raise _named_error(N_("{text} divides by 0"), text=repr(source)) from None
            except decimal.Inexact:
                raise _named_error(
                    N_(
                        "{text} has no exact decimal value; write the number rounded as the "
                        "guide states it"
                    ),
                    text=repr(source),
                ) from None
            except (decimal.InvalidOperation, decimal.Overflow):
                raise _named_error(N_("{text} has no value"), text=repr(source)) from None
        raise _named_error(
            N_(
                "{text}: a named value uses names of constants, numbers, + - * / and parentheses "
                "only"
            ),
            text=repr(source),
        )

    return walk(tree)


def to_value(value: Any) -> Decimal:
    """Validate a guide's number: a number, or (format v2) a named value over its constants."""
    if isinstance(value, str) and parse_decimal(value) is None and _names_in(value):
        constants = _CONSTANTS.get()
        if constants is None:
            raise _named_error(
                N_("{text} names a constant, but constants are known only inside a whole guide"),
                text=repr(value),
            )
        number = to_decimal(evaluate_named(value, constants))
        return NamedValue(number, " ".join(value.split()))
    return to_decimal(value)


def _dump_value(value: Decimal, handler: SerializerFunctionWrapHandler) -> Any:
    if isinstance(value, NamedValue):
        return value.source  # what the guide wrote: a dumped guide reads back the same
    return handler(value)


def _resolve_constants(raw: Any) -> dict[str, Decimal | None]:
    """Every constant's value, those defined from others after them (None: no value)."""
    if not isinstance(raw, dict):
        return {}
    out: dict[str, Decimal | None] = {}
    pending: dict[str, str] = {}
    for name, value in raw.items():
        if not isinstance(name, str):
            continue
        out[name] = None
        if isinstance(value, str) and parse_decimal(value) is None and _names_in(value):
            pending[name] = value
            continue
        with contextlib.suppress(PydanticCustomError):
            out[name] = to_decimal(value)
    progress = True
    while pending and progress:
        progress = False
        for name, text in list(pending.items()):
            if any(n in out and out[n] is None and n in pending for n in _names_in(text)):
                continue
            with contextlib.suppress(PydanticCustomError):
                out[name] = to_decimal(evaluate_named(text, out))
            del pending[name]
            progress = True
    return out


Num = Annotated[Decimal, BeforeValidator(to_decimal)]
NonNegative = Annotated[Decimal, BeforeValidator(to_decimal), AfterValidator(_positive)]
Id = Annotated[str, AfterValidator(_check_id)]
Name = Annotated[str, AfterValidator(_check_name)]
IsoDate = Annotated[str, BeforeValidator(_check_date)]
#: A number of the guide, or (format v2) a constant's name or an expression over constants,
#: evaluated exactly at load (``max: S``, ``cap: 0.1 * S``).
#: (A plain validator: pydantic's own decimal validation would drop the name.)
_VALUE_SCHEMA: dict[str, Any] = {"anyOf": [{"type": "number"}, {"type": "string"}]}
Value = Annotated[
    Decimal,
    PlainValidator(to_value),
    WrapSerializer(_dump_value),
    WithJsonSchema(_VALUE_SCHEMA),
]
NonNegativeValue = Annotated[
    Decimal,
    PlainValidator(lambda value: _positive(to_value(value))),
    WrapSerializer(_dump_value),
    WithJsonSchema(_VALUE_SCHEMA),
]
#: An expression in the guide's small language (see docs/ruleset-format.md, "Expressions").
Expr = Annotated[str, Field(min_length=1)]
Text = Annotated[str, Field(min_length=1)]


# --------------------------------------------------------------------------------------------
# Inputs


InputType = Literal["bool", "count", "decimal", "percent", "date", "enum", "text", "list"]


class InputSpec(FrozenModel):
    """One field a unit's submission may carry (an input of the guide)."""

    type: InputType
    #: Vietnamese label shown in forms and explanations.
    label: Text
    description: str | None = None
    #: A value must be given.
    required: bool = False
    #: What a missing value means: a value of the input's type (``0``, ``false``), or
    #: ``not_applicable``: the criteria that read it leave the unit's maximum.
    missing: Any = None
    min: Num | None = None
    max: Num | None = None
    #: Most decimal places a value may have (decimal and percent inputs).
    places: int | None = Field(default=None, ge=0, le=MAX_PLACES)
    #: Allowed values of an ``enum`` input.
    values: tuple[Text, ...] | None = None
    #: Evidence ("minh chứng") is required for a value that claims something.
    evidence: bool = False
    #: Unit of measure shown to people ("%", "hồ sơ", "trường hợp").
    unit: str | None = None
    #: (format v2) The fields of each item of a ``list`` input, declared like inputs (a late
    #: report's name and days late): ``{ten: {type: text, …}, so_ngay: {type: count, …}}``.
    items: dict[Name, InputSpec] | None = Field(default=None, json_schema_extra={"since": "v2"})


# --------------------------------------------------------------------------------------------
# Scoring constructs


class Band(FrozenModel):
    """A half-open interval of a measured value, and the points it gives.

    Lower bound: ``from`` (inclusive, "từ") or ``above`` (exclusive, "trên"); upper bound:
    ``below`` (exclusive, "dưới") or ``to`` (inclusive, "đến"). A missing bound is open.
    """

    from_: Num | None = Field(default=None, alias="from")
    above: Num | None = None
    below: Num | None = None
    to: Num | None = None
    points: Value | None = None
    label: str | None = None

    @model_validator(mode="after")
    def _one_bound_each_side(self) -> Band:
        if self.from_ is not None and self.above is not None:
            raise PydanticCustomError("invalid-value", N_("give 'from' or 'above', not both"))
        if self.below is not None and self.to is not None:
            raise PydanticCustomError("invalid-value", "give 'below' or 'to', not both")
        return self


class Bands(FrozenModel):
    """Points by the band a value falls in (mechanisms 13, 14)."""

    of: Expr
    bands: tuple[Band, ...] = Field(min_length=1)
    #: Points when the value falls in no band. Without it, a value in no band is an error.
    otherwise: Num | None = None


class Axis(FrozenModel):
    """One dimension of a :class:`Table`: a measured value and its bands (no points)."""

    of: Expr
    bands: tuple[Band, ...] = Field(min_length=1)


class Table(FrozenModel):
    """A two-dimensional table: row band × column band → points (mechanism 16)."""

    rows: Axis
    columns: Axis
    values: tuple[tuple[Value, ...], ...]
    #: Points when the row or column value falls in no band.
    otherwise: Num | None = None


class PerItem(FrozenModel):
    """(format v2) Points for each item of a list input by band, summed and capped.

    "chậm từ 05 ngày đến dưới 10 ngày … từ 15 ngày trở lên", per report: the band of one of
    the item's fields gives its points.
    """

    #: The list input.
    of: Name
    #: The item field whose value picks the band (a number field).
    value: Name
    bands: tuple[Band, ...] = Field(min_length=1)
    #: Points of an item in no band. Without it, an item in no band is an error.
    otherwise: Value | None = None
    #: Largest magnitude of the sum.
    cap: NonNegativeValue | None = None


class PerEvent(FrozenModel):
    """Points per counted event, optionally capped (mechanisms 18–21, 28)."""

    count: Expr
    points: Value
    #: Largest magnitude the line may reach ("điểm trừ tối đa 1 điểm").
    cap: NonNegativeValue | None = None


#: The marker of a key added by format v2 (its JSON Schema says ``"since": "v2"``).
V2: dict[str, Any] = {"since": "v2"}


class Proportional(FrozenModel):
    """``max × factor × achieved / target``, capped (mechanisms 7, 8, 47)."""

    achieved: Expr
    target: Expr
    factor: NonNegative = Decimal(1)
    #: Upper bound of the points; defaults to ``max × factor``.
    cap: NonNegativeValue | None = None
    #: What becomes of the points above the cap: ``cap`` (v1: cut, a trace line only) or
    #: ``bonus`` ("phần cao hơn chuyển sang điểm thưởng"): a bonus line of the criterion, counted
    #: with its parent's bonuses.
    excess: Literal["cap", "bonus"] = Field(default="cap", json_schema_extra=V2)
    #: ``higher`` (v1): achieved ÷ target; ``lower`` (a "giảm" indicator: "lấy đăng ký kế
    #: hoạch đầu năm chia cho kết quả thực hiện"): target (the plan) ÷ achieved (the result).
    better: Literal["higher", "lower"] = Field(default="higher", json_schema_extra=V2)
    #: The points when the divisor (the target; with ``better: lower``, the result) is 0:
    #: ``max`` (the cap), ``zero``, or ``error`` (the unit is not scored). Required with
    #: ``better: lower``; ``error`` otherwise (v1).
    when_zero: Literal["max", "zero", "error"] | None = Field(default=None, json_schema_extra=V2)


class Increment(FrozenModel):
    """A step bonus: past a threshold, ``points`` for each ``every`` units (mechanism 15).

    With ``above: 92, every: 1, points: 0.1, cap: 0.5``: 92.5 → 0.1, 93 → 0.2, 96 → 0.5.
    """

    of: Expr
    from_: Num | None = Field(default=None, alias="from")
    above: Num | None = None
    every: Annotated[Decimal, BeforeValidator(to_decimal), Field(gt=0)]
    points: Value
    cap: NonNegativeValue | None = None
    #: ``partial`` (v1): the first step counts as soon as the threshold is passed (92.5 → one
    #: step); ``whole``: only full steps count ("vượt 1% … thưởng 1%": 100.5 → none, 101 → one).
    steps: Literal["partial", "whole"] = Field(default="partial", json_schema_extra=V2)

    @model_validator(mode="after")
    def _one_threshold(self) -> Increment:
        if (self.from_ is None) == (self.above is None):
            raise PydanticCustomError("invalid-value", "give exactly one of 'from' or 'above'")
        return self


class EarlyBonus(FrozenModel):
    """Points for a date at least ``days`` days before the due date."""

    days: int = Field(ge=1, le=366)
    points: Num


class Deadline(FrozenModel):
    """Points by a date relative to a due date (mechanism 23)."""

    date: Expr
    #: The due date: ``YYYY-MM-DD``, or an expression naming a date input.
    due: Expr
    on_time: Num = Decimal(0)
    late: Num
    early: EarlyBonus | None = None


class Lookup(FrozenModel):
    """Points by the value of an enum input, e.g. a severity grade (mechanism 24)."""

    of: Expr
    points: dict[Text, Value]
    otherwise: Num | None = None


class Target(FrozenModel):
    """The police rule for a quantitative target (Article 6): a cluster-phase construct.

    With scale S (the criterion's ``max``), target T and result A: below target ½·S·A/T; target
    met ½·S; exceeded and leading the cluster S; exceeded but not leading
    ½·S + (own exceed % / leader's exceed %)·½·S (mechanisms 7–11). A unit with no target
    (its target input missing as ``not_applicable``) is left out of its maximum, or with
    ``no_target: leader`` scored S·A / (the largest A among the units without a target).
    """

    achieved: Expr
    target: Expr
    no_target: Literal["not_applicable", "leader"] = "not_applicable"


class RankPoints(FrozenModel):
    """Points by the unit's rank in the cluster on a value (mechanisms 32, 33).

    ``points[0]`` for the first, ``points[1]`` for the second, …; tied units share the
    better rank and its points. ``average_of`` averages the inputs a unit has (several raters).
    ``rank`` (v2) takes the rank as given from outside (an expression naming it, e.g. an input
    of the ranking the province published), so a unit rejected here shifts no one's points.
    """

    of: Expr | None = None
    average_of: tuple[Name, ...] | None = None
    #: The unit's rank given from outside (1 for the first), instead of ranking the units here.
    rank: Expr | None = Field(
        default=None, exclude_if=lambda v: v is None, json_schema_extra={"since": "v2"}
    )
    points: tuple[Num, ...] = Field(min_length=1)
    #: Points for a rank beyond the list.
    otherwise: Num = Decimal(0)
    #: ``desc``: the highest value ranks first (default); ``asc``: the lowest.
    order: Literal["desc", "asc"] = "desc"

    @model_validator(mode="after")
    def _one_source(self) -> RankPoints:
        given = [x for x in (self.of, self.average_of, self.rank) if x is not None]
        if len(given) != 1:
            message = (
                "give exactly one of 'of', 'average_of' or 'rank'"
                if self.rank is not None
                else "give exactly one of 'of' or 'average_of'"
            )
            raise PydanticCustomError("invalid-value", message)
        if self.rank is not None and self.order != "desc":
            raise PydanticCustomError(
                "invalid-value", "'order' ranks the units here; with 'rank' the rank is given"
            )
        return self


class Caps(FrozenModel):
    """Caps on a criterion's adjustments, as positive magnitudes (mechanism 22).

    ``deductions`` bounds the sum of deductions only ("không liên quan đến điểm cộng");
    ``bonuses`` the sum of bonuses; ``adjustments`` their combined sum, in both directions.
    """

    deductions: NonNegativeValue | None = None
    bonuses: NonNegativeValue | None = None
    adjustments: NonNegativeValue | None = None


RoundingMode = Literal["half_up", "half_even", "half_down", "up", "down", "ceiling", "floor"]


class Rounding(FrozenModel):
    """Round a value to ``places`` decimals (half-up by default, the Vietnamese rule)."""

    places: int = Field(ge=0, le=MAX_PLACES)
    mode: RoundingMode = "half_up"


CriterionKind = Literal["score", "bonus", "deduction", "adjustment"]
Combine = Literal["sum", "highest", "first"]
SumCheck = Literal["error", "warn", "off"]

#: The scoring constructs a criterion may use; at most one per criterion.
CONSTRUCTS = (
    "met",
    "points",
    "per_event",
    "proportional",
    "bands",
    "table",
    "increment",
    "deadline",
    "lookup",
    "formula",
    "target",
    "rank_points",
    "per_item",
)


class Criterion(FrozenModel):
    """A node of the criteria tree: a standard, a section, an item, a bonus or a deduction."""

    id: Id
    title: Text
    #: ``score`` adds to the parent's base; ``bonus``, ``deduction`` and ``adjustment`` are
    #: the parent's adjustments, summed and capped separately (see :class:`Caps`).
    kind: CriterionKind = "score"
    #: The criterion's maximum (or benchmark, "điểm chuẩn"). A criterion with no scoring
    #: construct and no score children is granted this value (the benchmark model).
    max: NonNegativeValue | None = None
    note: str | None = None
    #: Who checks this section (e.g. "Phòng Quản lý đất đai").
    reviewed_by: str | None = None

    # Scoring constructs (at most one)
    #: Benchmark met / not met: ``max`` if the condition holds, else 0.
    met: Expr | None = None
    #: Fixed points, usually with ``when`` (a one-off bonus or deduction).
    points: Value | None = None
    per_event: PerEvent | None = None
    proportional: Proportional | None = None
    bands: Bands | None = None
    table: Table | None = None
    increment: Increment | None = None
    deadline: Deadline | None = None
    lookup: Lookup | None = None
    #: An expression, only where no construct fits.
    formula: Expr | None = None
    #: Cluster phase: the police target rule, scored against the other units.
    target: Target | None = None
    #: Cluster phase: points by rank among the units.
    rank_points: RankPoints | None = None
    #: (format v2) Points for each item of a list input, by band, summed and capped.
    per_item: PerItem | None = Field(default=None, json_schema_extra={"since": "v2"})

    # Gates and modifiers
    #: The criterion counts only if this condition holds; otherwise it is 0.
    when: Expr | None = None
    #: A bonus that counts only if the parent's benchmark is met (no deduction in the parent).
    requires_benchmark: bool = False
    #: A deduction waived when this holds (e.g. the unit found and handled the case itself).
    waive_if: Expr | None = None
    #: The whole criterion is forfeited (set to ``forfeit_value``) when this holds.
    forfeit_if: Expr | None = None
    forfeit_value: Num = Decimal(0)
    #: When this is false, the criterion does not apply to the unit and leaves its maximum.
    applicable_if: Expr | None = None
    caps: Caps | None = None
    #: The criterion's value may not exceed its ``max`` (the "capped model").
    cap_at_max: bool = False
    #: The criterion's value may not fall below this (e.g. 0).
    floor: Num | None = None
    #: How children combine: their sum, or only the highest / first applicable one.
    combine: Combine = "sum"
    rounding: Rounding | None = None
    #: Whether children's maxima must add up to ``max`` (overrides the guide's setting).
    children_sum: SumCheck | None = None
    children: tuple[Criterion, ...] = ()

    def construct_key(self) -> str | None:
        """Return the name of the scoring construct used, or ``None``."""
        for name in CONSTRUCTS:
            if getattr(self, name) is not None:
                return name
        return None


# --------------------------------------------------------------------------------------------
# Totals, gates, classification, ranking


class Total(FrozenModel):
    """How the unit total is formed from the top-level criteria."""

    #: Whether bonuses may lift the total above the guide's scale (true in many guides).
    may_exceed_scale: bool = False
    floor: Num | None = None
    rounding: Rounding | None = None
    #: (format v2) The rounding of the percentage (total / applicable maximum × 100), e.g.
    #: ``{places: 2}``: police tables show and rank 81,38%, not 81,3793….
    percent_rounding: Rounding | None = Field(default=None, json_schema_extra={"since": "v2"})


class Gate(FrozenModel):
    """A condition that makes a unit "không xếp loại" (not classified) (mechanism 36)."""

    id: Id
    when: Expr
    reason: Text


class Eligibility(Gate):
    """A fact that makes a unit ineligible for awards (e.g. a discipline finding)."""


class Fraction(FrozenModel):
    """A share written as a percent (``50``) or a fraction (``"2/3"``), kept exact."""

    numerator: int = Field(ge=0)
    denominator: int = Field(gt=0)


def _fraction(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]+\s*/\s*[0-9]+\s*", value):
        top, bottom = (int(part) for part in value.split("/"))
        if bottom == 0:
            raise PydanticCustomError("invalid-value", "a fraction cannot have denominator 0")
        return {"numerator": top, "denominator": bottom}
    if isinstance(value, int | Decimal | str) and not isinstance(value, bool):
        percent = to_decimal(value)
        if not 0 <= percent <= 100:
            raise PydanticCustomError("invalid-value", "a percent is between 0 and 100")
        numerator, denominator = percent.as_integer_ratio()
        denominator *= 100
        return {"numerator": numerator, "denominator": denominator}
    return value


Share = Annotated[
    Fraction,
    BeforeValidator(_fraction),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 100, "description": "a percent"},
                {"type": "string", "pattern": r"^\s*[0-9]+\s*/\s*[0-9]+\s*$"},
            ]
        }
    ),
]


class AwardRequires(FrozenModel):
    """What a unit needs to be considered for an award."""

    eligible: bool = True
    #: Allowed classification labels (any of them).
    classification: tuple[Text, ...] | None = None
    #: Rank at most this (1 = first).
    rank_at_most: int | None = Field(default=None, ge=1)
    min_total: Num | None = None
    min_percent: Num | None = None


class Quota(FrozenModel):
    """How many units may receive an award: a count, or a share of members or eligible units."""

    count: int | None = Field(default=None, ge=0)
    percent: Share | None = None
    #: The base of ``percent``: every member of the cluster, or the eligible units.
    of: Literal["members", "eligible", "candidates"] = "members"
    #: How a fractional quota becomes a count ("20% of 7 = 1.4 → 1 by floor").
    rounding: Literal["floor", "ceil", "half_up"] = "floor"

    @model_validator(mode="after")
    def _one_kind(self) -> Quota:
        if (self.count is None) == (self.percent is None):
            raise PydanticCustomError("invalid-value", "give exactly one of 'count' or 'percent'")
        return self


class Vote(FrozenModel):
    """A vote rule: votes for a unit divided by a base must pass a threshold."""

    #: The base: all members, the members present, or the valid ballots.
    base: Literal["members", "attendees", "ballots"] = "members"
    #: The share to pass: ``50`` (percent) or ``"2/3"``.
    threshold: Share
    #: ``true``: strictly more ("trên"); ``false``: at least ("từ … trở lên").
    strict: bool = True
    #: Share of members that must attend for the vote to count (``"2/3"``).
    quorum: Share | None = None


class Award(FrozenModel):
    """An award the cluster proposes (a flag, a certificate of merit)."""

    id: Id
    title: Text
    requires: AwardRequires = AwardRequires()
    quota: Quota | None = None
    vote: Vote | None = None
    #: Awards a unit may hold together with this one ("no double award" otherwise).
    allow_with: tuple[Id, ...] = ()


class SharedCap(FrozenModel):
    """One cap over the bonuses (or deductions) of criteria that are not siblings (v2).

    "Tổng số điểm thưởng các chỉ tiêu định lượng không quá 20 điểm": ``of`` names the
    criteria (a criterion of kind score stands for every bonus under it, and its excess); the
    bonuses they hold, after the caps below them, are summed, and what passes ``max`` is cut
    on the lowest criterion holding them all (on the total when they are under different
    top-level criteria).
    """

    id: Id
    title: Text
    #: The criteria whose bonuses (or deductions) share the cap.
    of: tuple[Id, ...] = Field(min_length=1)
    #: Which part is capped: the bonuses (default) or the deductions (as a magnitude).
    part: Literal["bonuses", "deductions"] = "bonuses"
    max: NonNegative


class InputCheck(FrozenModel):
    """A consistency rule between a unit's inputs ("late dossiers ≤ dossiers received").

    A unit whose values break it is rejected with the message, before scoring.
    """

    id: Id
    #: A condition the values must satisfy.
    require: Expr
    message: Text


class ClassBand(FrozenModel):
    """A classification label for totals (or percentages) in a band (mechanism 37)."""

    label: Text
    from_: Num | None = Field(default=None, alias="from")
    above: Num | None = None
    below: Num | None = None
    to: Num | None = None


class Classification(FrozenModel):
    """Labels from the total or the percentage of the applicable maximum."""

    on: Literal["total", "percent"] = "total"
    bands: tuple[ClassBand, ...] = Field(min_length=1)
    otherwise: str | None = None


def _rank_key_shorthand(value: Any) -> Any:
    if isinstance(value, str):
        return {"key": value}
    if isinstance(value, dict) and "score" in value and "key" not in value:
        return {
            "key": "score",
            "id": value["score"],
            **{k: v for k, v in value.items() if k != "score"},
        }
    return value


class _RankKey(FrozenModel):
    key: Literal["total", "percent", "score", "deductions"]
    #: The criterion whose value is the key (``key: score``).
    id: Id | None = None
    #: ``desc``: higher is better (the default); ``asc``: lower is better (the default for
    #: ``deductions``, whose magnitude ranks fewer deductions first).
    order: Literal["desc", "asc"] | None = None
    #: (format v2) The key is compared rounded, e.g. ``{places: 2}``: equal to 2 places is a tie.
    rounding: Rounding | None = Field(default=None, json_schema_extra={"since": "v2"})


_ORDER_SCHEMA: dict[str, Any] = {"enum": ["desc", "asc"]}
_KEY_ROUNDING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "places": {"type": "integer", "minimum": 0, "maximum": MAX_PLACES},
        "mode": {"enum": ["half_up", "half_even", "half_down", "up", "down", "ceiling", "floor"]},
    },
    "required": ["places"],
    "additionalProperties": False,
    "since": "v2",
}
_RANK_KEY_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"enum": ["total", "percent", "deductions"]},
        {
            "type": "object",
            "properties": {
                "score": {"type": "string"},
                "order": _ORDER_SCHEMA,
                "rounding": _KEY_ROUNDING_SCHEMA,
            },
            "required": ["score"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "key": {"enum": ["total", "percent", "score", "deductions"]},
                "id": {"type": "string"},
                "order": _ORDER_SCHEMA,
                "rounding": _KEY_ROUNDING_SCHEMA,
            },
            "required": ["key"],
            "additionalProperties": False,
        },
    ]
}
RankKey = Annotated[
    _RankKey, BeforeValidator(_rank_key_shorthand), WithJsonSchema(_RANK_KEY_SCHEMA)
]


class Ranking(FrozenModel):
    """Ordered sort keys and the rank method (mechanism 38)."""

    by: tuple[RankKey, ...] = Field(default=(_RankKey(key="total"),), min_length=1)
    method: Literal["competition", "dense", "ordinal"] = "competition"


class Effective(FrozenModel):
    """Dates between which the guide applies."""

    from_: IsoDate = Field(alias="from")
    to: IsoDate | None = None


class ReviewBody(FrozenModel):
    """A body that scores some sections of the guide, and those sections (format v2).

    Hưng Yên 2021, V.3: "Trưởng khối, Phó trưởng khối … chấm … nội dung I, II"; "Hội đồng Thi
    đua - Khen thưởng tỉnh … chấm nội dung III". A section owns its whole subtree.
    """

    title: Annotated[Text, AfterValidator(nfc)]
    #: Ids of the criteria the body scores (each with everything under it).
    sections: tuple[Id, ...] = Field(min_length=1)


class Ruleset(FrozenModel):
    """A whole scoring guide."""

    format: Annotated[str, Field(json_schema_extra={"enum": list(FORMAT_VERSIONS)})]
    id: Id
    version: Text
    title: Text
    issuer: str | None = None
    #: Document number ("số hiệu"), e.g. "168/HD-STNMT".
    document: str | None = None
    issued: IsoDate | None = None
    #: The period scored: a year ("2022"), a half-year ("2022-H1"), a programme ("2021-2025").
    period: Text
    effective: Effective | None = None
    #: The total scale (100, 1000).
    scale: NonNegative
    total: Total = Total()
    #: Whether children's maxima must add up to their parent's maximum.
    children_sum: SumCheck = "error"
    #: Named constants usable in expressions (e.g. a common target).
    #: A constant may be a number or (format v2) an expression over other constants.
    constants: dict[Name, Value] = Field(default_factory=dict)
    inputs: dict[Name, InputSpec] = Field(default_factory=dict)
    #: Facts about each unit that the cluster file gives, not its submission (format v2),
    #: e.g. its role in the cluster: read in expressions like inputs.
    cluster_facts: dict[Name, InputSpec] = Field(
        default_factory=dict, json_schema_extra={"since": "v2"}
    )
    #: Consistency rules between inputs, checked before scoring.
    checks: tuple[InputCheck, ...] = ()
    criteria: tuple[Criterion, ...] = Field(min_length=1)
    #: Caps shared by criteria that are not siblings (v2).
    shared_caps: tuple[SharedCap, ...] = Field(default=(), json_schema_extra=V2)
    not_classified: tuple[Gate, ...] = ()
    #: Facts that make a unit ineligible for awards, with the reason shown.
    eligibility: tuple[Eligibility, ...] = ()
    classification: Classification | None = None
    ranking: Ranking = Ranking()
    #: Awards, decided in this order after ranking.
    awards: tuple[Award, ...] = ()
    notes: tuple[str, ...] = ()
    #: Who scores what (v2): the scoring bodies, by a name reviews give as their ``body``.
    #: Without it, a review's ``reviewer`` is free text and may set any item (v1).
    reviewers: dict[Name, ReviewBody] | None = Field(
        default=None, exclude_if=lambda v: v is None, json_schema_extra={"since": "v2"}
    )

    @model_validator(mode="before")
    @classmethod
    def _format_first(cls, data: Any) -> Any:
        if isinstance(data, dict) and "format" in data and data["format"] not in FORMAT_VERSIONS:
            raise PydanticCustomError(
                "unsupported-format",
                N_("format '{found}' is not supported; this engine reads '{older}' or '{newest}'"),
                {
                    "found": data["format"],
                    "older": "', '".join(FORMAT_VERSIONS[:-1]),
                    "newest": FORMAT_VERSIONS[-1],
                },
            )
        return data

    @model_validator(mode="wrap")
    @classmethod
    def _named_values(cls, data: Any, handler: ModelWrapValidatorHandler[Ruleset]) -> Ruleset:
        """Validate with the guide's constants known, for its named values (format v2)."""
        raw = data.get("constants") if isinstance(data, dict) else None
        token = _CONSTANTS.set(_resolve_constants(raw))
        try:
            return handler(data)
        finally:
            _CONSTANTS.reset(token)

    def walk(self) -> list[tuple[tuple[str | int, ...], Criterion]]:
        """Every criterion with its path in the document, depth first, in document order."""
        out: list[tuple[tuple[str | int, ...], Criterion]] = []
        stack: list[tuple[tuple[str | int, ...], Criterion]] = [
            (("criteria", i), c) for i, c in reversed(list(enumerate(self.criteria)))
        ]
        while stack:
            path, node = stack.pop()
            out.append((path, node))
            stack.extend(
                ((*path, "children", i), c) for i, c in reversed(list(enumerate(node.children)))
            )
        return out


def guide_document(ruleset: Ruleset) -> dict[str, Any]:
    """The guide as JSON data for its digest, without the v2 keys left at their default.

    A key added in format v2 (marked ``since: v2``) that keeps its default is left out, so a
    v1 guide's digest is the one v1 gave.

    Example:
        >>> from emulation_rules.guide.model import Ruleset
        >>> "cluster_facts" in guide_document(Ruleset.model_validate({
        ...     "format": "emulation-rules/v1", "id": "g", "version": "1", "title": "G",
        ...     "period": "2024", "scale": 10,
        ...     "criteria": [{"id": "a", "title": "A", "max": 10}]}))
        False
    """
    dumped = ruleset.model_dump(mode="json", by_alias=True)
    _drop_v2_defaults(ruleset, dumped)
    return dumped


def _drop_v2_defaults(model: FrozenModel, dumped: dict[str, Any]) -> None:
    for name, info in type(model).model_fields.items():
        key = info.alias or name
        value = getattr(model, name)
        extra = info.json_schema_extra
        v2 = isinstance(extra, dict) and extra.get("since") == "v2"
        if v2 and value == info.get_default(call_default_factory=True):
            dumped.pop(key, None)
            continue
        if isinstance(value, FrozenModel) and isinstance(dumped.get(key), dict):
            _drop_v2_defaults(value, dumped[key])
        elif isinstance(value, tuple) and isinstance(dumped.get(key), list):
            for item, data in zip(value, dumped[key], strict=False):
                if isinstance(item, FrozenModel) and isinstance(data, dict):
                    _drop_v2_defaults(item, data)
        elif isinstance(value, dict) and isinstance(dumped.get(key), dict):
            for item_key, item in value.items():
                data = dumped[key].get(item_key)
                if isinstance(item, FrozenModel) and isinstance(data, dict):
                    _drop_v2_defaults(item, data)


def parse_iso_date(text: str) -> date:
    """Parse ``YYYY-MM-DD`` strictly (no other ISO forms)."""
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(text)
    return date.fromisoformat(text)
