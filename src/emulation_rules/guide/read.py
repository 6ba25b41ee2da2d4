"""Load a guide file into a :class:`~emulation_rules.guide.model.Ruleset`, reporting every issue."""

from __future__ import annotations

import copy
import difflib
import re
import types
import typing
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from emulation_rules._support.text import decode_source, read_source
from emulation_rules._support.yaml import Positions, YamlDocument, parse_yaml
from emulation_rules.errors import Issue, RulesetLoadError, RulesetSchemaError
from emulation_rules.guide.composition import compose
from emulation_rules.guide.model import Ruleset
from emulation_rules.guide.versions import format_issues

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "MAX_GUIDE_BYTES",
    "LoadedRuleset",
    "located",
    "pydantic_issues",
    "raise_load_issues",
    "read_ruleset",
]

#: Largest guide file accepted, in bytes.
MAX_GUIDE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class LoadedRuleset:
    """A validated guide, the name of its source and the positions of its nodes."""

    ruleset: Ruleset
    source: str
    positions: Positions
    text: str


def read_ruleset(
    source: str | Path | bytes, *, name: str | None = None
) -> tuple[LoadedRuleset | None, list[Issue]]:
    """Read and validate a guide, returning it (or ``None``) and every issue found.

    ``source`` is a path, or the guide's bytes (then ``name`` is used in messages).
    """
    if isinstance(source, bytes):
        display = name or "<guide>"
        text, issue = decode_source(source, display, max_bytes=MAX_GUIDE_BYTES)
    else:
        display = name or str(source)
        text, issue = read_source(source, max_bytes=MAX_GUIDE_BYTES, display_name=display)
    if text is None:
        return None, [issue] if issue else []
    document, issues = parse_yaml(text.text, display)
    if document is None:
        return None, issues
    if not isinstance(document.data, dict):
        issues.append(
            Issue(
                "wrong-type",
                "a guide must be a mapping of keys (format, id, version, criteria, …)",
                source=display,
                line=1,
                column=1,
            )
        )
        return None, issues
    if "extends" in document.data:  # a guide built on a base guide: merge the layers first
        path = Path(display) if isinstance(source, bytes) else Path(source)
        document, layered = compose(document, display, text.text, path)
        issues.extend(layered)
        if document is None:
            return None, issues
    try:
        ruleset = Ruleset.model_validate(document.data)
    except ValidationError as exc:
        seen = {(i.code, i.line) for i in issues}
        found = [
            i
            for i in pydantic_issues(exc, document, display, Ruleset)
            if (i.code, i.line) not in seen
        ]
        issues.extend(found)
        without = _without_unknown_keys(document, found)
        if without is None:
            return None, issues
        ruleset = without
        # only unknown keys were wrong: the later phases go on with them ignored, so one run
        # reports every problem of the file; the errors above keep the guide from loading
    issues.extend(located(i, document.positions, key=True) for i in format_issues(ruleset, display))
    return LoadedRuleset(ruleset, display, document.positions, text.text), issues


def _without_unknown_keys(document: YamlDocument, found: list[Issue]) -> Ruleset | None:
    """The guide validated with its unknown keys left out, when they were its only problem."""
    if not found or any(i.code != "unknown-field" for i in found):
        return None
    data = copy.deepcopy(document.data)
    for issue in found:
        parent = _get_or_none(data, issue.path[:-1])
        if not isinstance(parent, dict) or issue.path[-1] not in parent:
            return None
        del parent[issue.path[-1]]
    try:
        return Ruleset.model_validate(data)
    except ValidationError:
        return None


def _get_or_none(data: Any, path: tuple[str | int, ...]) -> Any:
    for element in path:
        in_dict = isinstance(data, dict) and element in data
        in_list = isinstance(data, list) and isinstance(element, int) and 0 <= element < len(data)
        if not (in_dict or in_list):
            return None
        data = data[element]
    return data


def raise_load_issues(issues: list[Issue], name: str) -> typing.NoReturn:
    """Raise the right :class:`RulesetError` for issues that stopped a guide from loading."""
    errors = [i for i in issues if i.severity == "error"]
    schema = any(i.code not in _LOAD_CODES for i in errors)
    cls = RulesetSchemaError if schema else RulesetLoadError
    raise cls(f"the guide {name} cannot be loaded", tuple(issues))


_LOAD_CODES = frozenset(
    {
        "file-not-found",
        "file-too-large",
        "encoding",
        "control-char",
        "invisible-char",
        "empty-document",
        "yaml-syntax",
        "duplicate-key",
        "yaml-alias",
        "yaml-tag",
        "multiple-documents",
        "too-deep",
        "key-type",
    }
)

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
            message = f"unknown field {name!r}"
            if model is not None:
                fields = _field_names(model)
                close = difflib.get_close_matches(name, fields, n=1, cutoff=0.6)
                english = vietnamese_key(name)
                if english in fields:
                    close = [english]
                if close:
                    hint = f"did you mean {close[0]!r}?"
        elif code == "missing-field" and path:
            message = f"the field {path[-1]!r} is required"
            path = path[:-1] or path
        elif code == "invalid-value" and error["type"] == "literal_error":
            expected = message.removeprefix("Input should be ").lower()
            message = f"{error['input']!r} is not allowed: {expected}"
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
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "bool_type": "true or false",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "tuple_type": "a list",
    "list_type": "a list",
}


def _shown(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | Decimal):
        return f"the number {value}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"the text {value!r}"


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
        hint = f'quote it to keep it as text: "{value}"'
    return f"expected {expected}, got {_shown(value)}", hint


def _get(data: Any, path: tuple[str | int, ...]) -> Any:
    for element in path:
        data = data[element]
    return data


def _plain(message: str) -> str:
    """Pydantic messages start with a capital and 'Value error, '; ours are plain lower-case."""
    message = message.removeprefix("Value error, ")
    return message[:1].lower() + message[1:] if message[:2] != message[:2].upper() else message
