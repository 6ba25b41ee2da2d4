"""Documents read into models: YAML or JSON text, then pydantic, then located issues.

- :func:`read_document`: a file or its bytes, YAML or strict JSON, into a
  :class:`~emulation_rules._support.yaml.YamlDocument` (data and positions) and issues;
- :func:`pydantic_issues`: pydantic's ``ValidationError`` as issues with stable codes
  (``missing-field``, ``unknown-field`` with a "did you mean", ``invalid-value``,
  ``wrong-type``, or a validator's own code), plain messages and the place in the file;
- :func:`model_from_document` and :func:`read_model`: a document validated into one model,
  or :class:`~emulation_rules.errors.SubmissionError` with every located issue.

The readers of guides, submissions, reviews, cluster facts, guide tests and workbooks all
turn pydantic's errors into issues here, so the same mistake gets the same code and message
in every kind of file.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
import unicodedata
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from emulation_rules._support.i18n import N_
from emulation_rules._support.strict_json import parse_strict_json
from emulation_rules._support.text import decode_source, read_source
from emulation_rules._support.yaml import Positions, YamlDocument, parse_yaml
from emulation_rules.errors import Issue, SubmissionError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "VIETNAMESE_KEYS",
    "located",
    "model_from_document",
    "pydantic_issues",
    "read_document",
    "read_model",
    "vietnamese_key",
]

#: Largest document (submissions, reviews, cluster facts) accepted, in bytes.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024

_M = TypeVar("_M", bound=BaseModel)


def read_document(
    source: str | Path | bytes,
    *,
    name: str | None = None,
    unnamed: str = "<document>",
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> tuple[YamlDocument | None, list[Issue]]:
    """Read a YAML or JSON document (JSON by the ``.json`` extension, or bytes starting so).

    ``name`` is used in messages (bytes without a name are ``unnamed``).
    """
    if isinstance(source, bytes):
        display = name or unnamed
        text, issue = decode_source(source, display, max_bytes=max_bytes)
        is_json = source.lstrip()[:1] in (b"{", b"[")
    else:
        display = name or str(source)
        text, issue = read_source(source, max_bytes=max_bytes, display_name=display)
        is_json = str(source).lower().endswith(".json")
    if text is None:
        return None, [issue] if issue else []
    if is_json:
        data, issues = parse_strict_json(text.text, display)
        if data is None:
            return None, issues
        return YamlDocument(data, Positions()), issues
    # invisible characters are checked per value, so one unit's note cannot reject the file
    return parse_yaml(text.text, display, check_invisible=False)


def model_from_document(
    document: YamlDocument | None,
    issues: list[Issue],
    name: str,
    model: type[_M],
    *,
    what: str,
    mapping: str | None = None,
) -> _M:
    """Validate a document already read into ``model``.

    ``what`` names the document in the error's message (``the reviews file``); with
    ``mapping`` (``a reviews document``), data that is not a mapping is one ``wrong-type``
    issue saying that it must be one, instead of pydantic's.

    Raises:
        SubmissionError: with the reader's issues if it stopped on an error, else with every
        located issue of the validation.
    """
    if document is None or any(i.severity == "error" for i in issues):
        raise SubmissionError(f"{what} {name} cannot be read", tuple(issues))
    if mapping is not None and not isinstance(document.data, dict):
        issue = Issue("wrong-type", f"{mapping} must be a mapping", source=name)
        raise SubmissionError(f"{what} {name} is invalid", (issue,))
    try:
        return model.model_validate(document.data)
    except ValidationError as exc:
        found = pydantic_issues(exc, document, name, model)
        raise SubmissionError(f"{what} {name} is invalid", tuple(found)) from None


def read_model(source: str | Path, model: type[_M], *, what: str) -> _M:
    """Read a YAML or JSON file into ``model`` (see :func:`model_from_document`).

    Raises:
        SubmissionError: with every located issue of the file.
    """
    document, issues = read_document(source)
    return model_from_document(document, issues, str(source), model, what=what)


_TYPE_CODES = {
    "missing": "missing-field",
    "extra_forbidden": "unknown-field",
    "literal_error": "invalid-value",
    "enum": "invalid-value",
}
_VALUE_ERRORS = (
    "greater_than",
    "less_than",
    "too_short",
    "too_long",
    "string_too_short",
    "string_too_long",
    "value_error",
    "assertion_error",
)


def _code_for(error_type: str) -> str:
    if error_type in _TYPE_CODES:
        return _TYPE_CODES[error_type]
    if "-" in error_type:  # our own PydanticCustomError codes are kebab-case
        return error_type
    if error_type.startswith(_VALUE_ERRORS):
        return "invalid-value"
    return "wrong-type"


def _data_path(loc: Sequence[str | int], data: Any) -> tuple[str | int, ...]:
    """Map a pydantic ``loc`` onto the data, dropping union tags and validator names."""
    path: list[str | int] = []
    current = data
    for element in loc:
        in_dict = isinstance(current, dict) and isinstance(element, str) and element in current
        in_list = isinstance(current, list) and isinstance(element, int) and element < len(current)
        if in_dict or in_list:
            path.append(element)
            current = current[element]
        elif element == "[key]":
            continue
        elif isinstance(current, dict) and isinstance(element, str):
            # a missing or unknown key: keep it so the message can name it
            path.append(element)
            current = None
    return tuple(path)


def _unwrap_models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic model classes reachable from an annotation (through Optional, tuple…)."""
    found: list[type[BaseModel]] = []
    stack = [annotation]
    while stack:
        item = stack.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            found.append(item)
            continue
        origin = typing.get_origin(item)
        if origin is typing.Annotated:
            stack.append(typing.get_args(item)[0])
        elif origin is not None or isinstance(item, types.UnionType):
            stack.extend(typing.get_args(item))
    return found


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_at(root: type[BaseModel], path: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class whose fields hold the last element of ``path``."""
    model: type[BaseModel] | None = root
    for element in path[:-1]:
        if model is None:
            return None
        if isinstance(element, int):
            continue
        fields = {f.alias or n: f for n, f in model.model_fields.items()}
        if element in fields:
            candidates = _unwrap_models(fields[element].annotation)
            model = candidates[0] if candidates else None
        else:
            # a dict keyed by user names (inputs): stay on the value model
            continue
    return model


def located(issue: Issue, positions: Positions, *, key: bool = False) -> Issue:
    """Fill ``line`` and ``column`` of ``issue`` from its path.

    In a guide merged with its base guides, the file is the one the path comes from.
    """
    source_at = getattr(positions, "source_at", None)
    if source_at is not None and (other := source_at(issue.path)) is not None:
        issue = issue.evolve(source=other)
    if key and issue.path in positions.keys:
        line, column = positions.keys[issue.path]
        return issue.evolve(line=line, column=column)
    found = positions.find(issue.path)
    if found is None:
        # no positions at all (JSON): say nothing rather than a made-up place
        return issue if not positions.values else issue.evolve(line=1, column=1)
    return issue.evolve(line=found[0], column=found[1])


def pydantic_issues(
    exc: ValidationError,
    document: YamlDocument,
    source: str,
    root: type[BaseModel],
    *,
    base_path: tuple[str | int, ...] = (),
) -> list[Issue]:
    """Turn a pydantic ``ValidationError`` into located issues with suggestions."""
    issues: list[Issue] = []
    seen: set[tuple[str, tuple[str | int, ...]]] = set()
    errors = exc.errors(include_url=False)
    data = _get(document.data, base_path)
    paths = [_data_path(e["loc"], data) for e in errors]
    for error, relative in zip(errors, paths, strict=True):
        if error["type"] == "too_short" and any(
            len(p) > len(relative) and p[: len(relative)] == relative for p in paths
        ):
            continue  # "at least 1 item" only because the items themselves failed
        path = base_path + relative
        if any(path[: len(d)] == d for d in document.dropped):
            continue  # a consequence of a refused alias or merge key, already reported
        code = _code_for(error["type"])
        if (code, path) in seen:
            continue  # a union reports the same problem once per alternative
        seen.add((code, path))
        message = error["msg"]
        hint = None
        if code == "unknown-field" and path:
            name = str(path[-1])
            model = _model_at(root, path[len(base_path) :])
            message = N_("unknown field {name}").format(name=repr(name))
            if model is not None:
                fields = _field_names(model)
                close = difflib.get_close_matches(name, fields, n=1, cutoff=0.6)
                english = vietnamese_key(name)
                if english in fields:
                    close = [english]
                if close:
                    hint = f"did you mean {close[0]!r}?"
        elif code == "missing-field" and path:
            message = N_("the field {name} is required").format(name=repr(path[-1]))
            path = path[:-1] or path
        elif code == "invalid-value" and error["type"] == "literal_error":
            expected = message.removeprefix("Input should be ").lower()
            choices, _or, last = expected.rpartition(" or ")
            message = (
                N_("{value} is not allowed: {choices} or {last}").format(
                    value=repr(error["input"]), choices=choices, last=last
                )
                if choices
                else N_("{value} is not allowed: {expected}").format(
                    value=repr(error["input"]), expected=expected
                )
            )
        message, hint = _friendly(error, message, hint)
        issue = Issue(code, _plain(message), source=source, path=path, hint=hint)
        key = code in ("unknown-field", "missing-field")
        issues.append(located(issue, document.positions, key=key))
    return issues


#: Keys of the format as a Vietnamese author may write them (without diacritics, ``_`` between
#: words): the English key they mean. Only a key the model at that place has is suggested.
VIETNAMESE_KEYS: dict[str, str] = {
    "tieu_de": "title",
    "ten": "title",
    "diem_toi_da": "max",
    "toi_da": "max",
    "diem_toi_thieu": "min",
    "toi_thieu": "min",
    "ma": "id",
    "ma_so": "id",
    "tieu_chi": "criteria",
    "cac_tieu_chi": "criteria",
    "dau_vao": "inputs",
    "phien_ban": "version",
    "ky": "period",
    "ky_danh_gia": "period",
    "diem": "points",
    "nhan": "label",
    "loai": "type",
    "kieu": "type",
    "muc": "bands",
    "cac_muc": "bands",
    "diem_cong": "bonuses",
    "diem_tru": "deductions",
    "cong_thuc": "formula",
    "bang": "table",
    "mo_ta": "description",
    "ghi_chu": "note",
    "xep_loai": "classification",
    "xep_hang": "ranking",
    "khen_thuong": "awards",
    "hang_so": "constants",
    "kiem_tra": "checks",
    "muc_con": "children",
    "tieu_chi_con": "children",
    "thang_diem": "scale",
    "lam_tron": "rounding",
    "bat_buoc": "required",
    "gia_tri": "values",
    "han": "due",
    "han_chot": "deadline",
    "minh_chung": "evidence",
    "ly_do": "reason",
    "dinh_dang": "format",
    "van_ban": "document",
    "ke_thua": "extends",
}


def vietnamese_key(name: str) -> str | None:
    """The format's key that a Vietnamese spelling means, or None.

    Diacritics, case, spaces and hyphens do not matter (``Tiêu đề``, ``tiêu_đề``, ``tieu-de``).

    Example:
        >>> vietnamese_key("điểm_tối_đa"), vietnamese_key("Tiêu đề"), vietnamese_key("xyz")
        ('max', 'title', None)
    """
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return VIETNAMESE_KEYS.get(re.sub(r"[\s\-]+", "_", plain.strip()))


_EXPECTED = {
    "string_type": N_("text"),
    "int_type": N_("a whole number"),
    "int_parsing": N_("a whole number"),
    "bool_type": N_("true or false"),
    "dict_type": N_("a mapping of keys"),
    "model_type": N_("a mapping of keys"),
    "model_attributes_type": N_("a mapping of keys"),
    "tuple_type": N_("a list"),
    "list_type": N_("a list"),
}
#: Pydantic's own messages that reach a person as they are, for the catalogs.
_PYDANTIC_MESSAGES = (
    N_("tuple should have at least {count} item after validation, not {actual}"),
    N_("list should have at least {count} item after validation, not {actual}"),
)


def _shown(value: Any) -> str:
    if value is None:
        return N_("nothing (null)")
    if isinstance(value, bool):
        return N_("a boolean")
    if isinstance(value, int | Decimal):
        return N_("the number {number}").format(number=value)
    if isinstance(value, dict):
        return N_("a mapping")
    if isinstance(value, list):
        return N_("a list")
    return N_("the text {text}").format(text=repr(value))


def _friendly(error: Any, message: str, hint: str | None) -> tuple[str, str | None]:
    """Plain messages for pydantic's type errors, with a hint to quote numbers used as text."""
    expected = _EXPECTED.get(error["type"])
    if expected is None:
        return message, hint
    value = error.get("input")
    if (
        error["type"] == "string_type"
        and isinstance(value, int | Decimal)
        and not isinstance(value, bool)
    ):
        hint = N_('quote it to keep it as text: "{value}"').format(value=value)
    return N_("expected {expected}, got {got}").format(expected=expected, got=_shown(value)), hint


def _get(data: Any, path: tuple[str | int, ...]) -> Any:
    for element in path:
        data = data[element]
    return data


#: pydantic's messages about a number's bounds (after :func:`_plain`), for the catalogs.
_PYDANTIC_BOUNDS = (
    N_("input should be greater than or equal to {bound}"),
    N_("input should be greater than {bound}"),
    N_("input should be less than or equal to {bound}"),
    N_("input should be less than {bound}"),
)


def _plain(message: str) -> str:
    """Pydantic messages start with a capital and 'Value error, '; ours are plain lower-case."""
    message = message.removeprefix("Value error, ")
    return message[:1].lower() + message[1:] if message[:2] != message[:2].upper() else message
