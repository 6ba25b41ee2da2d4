"""The format policy: which keys a guide may use under the format version it declares.

The engine reads ``emulation-rules/v1`` and ``emulation-rules/v2``. Format v2 is v1 plus new
keys; each new key's pydantic ``Field`` carries ``json_schema_extra={"since": "v2"}``. A guide
that declares v1 and uses such a key gets one ``needs-format-v2`` error per key, located at the
key, with the hint to declare v2; a v2 guide may use every key. The walk is generic over the
parsed model (the fields each model was given explicitly, ``model_fields_set``, with a value
other than the field's default), so a key added later is covered by its marker alone, and a v1
guide, which sets none, is untouched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from emulation_rules._support.i18n import N_
from emulation_rules.errors import Issue
from emulation_rules.guide.model import FORMAT_V2, FORMAT_VERSION

if TYPE_CHECKING:
    from collections.abc import Iterator

    from emulation_rules.guide.model import Ruleset

__all__ = ["format_issues", "v2_keys"]

Path = tuple[str | int, ...]


def _since(model: type[BaseModel], name: str) -> str | None:
    extra = model.model_fields[name].json_schema_extra
    return extra.get("since") if isinstance(extra, dict) else None  # type: ignore[return-value]


def v2_keys(model: BaseModel, path: Path = ()) -> Iterator[Path]:
    """The path of every key marked ``since: v2`` that ``model`` (or a model in it) sets.

    A marked key's own value is not searched further: one key, one finding.
    """
    cls = type(model)
    for name in cls.model_fields:  # in the model's order, so the findings come in order too
        if name not in model.model_fields_set:
            continue
        field = cls.model_fields[name]
        key = field.alias or name
        if _since(cls, name) == "v2":
            # a key written with its default value says what v1 says (a guide dumped from its
            # model writes every key): only a value that changes something needs format v2
            if getattr(model, name) != field.get_default(call_default_factory=True):
                yield (*path, key)
            continue
        yield from _values(getattr(model, name), (*path, key))


def _values(value: Any, path: Path) -> Iterator[Path]:
    if isinstance(value, BaseModel):
        yield from v2_keys(value, path)
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            yield from _values(item, (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _values(item, (*path, key))


def format_issues(ruleset: Ruleset, source: str) -> list[Issue]:
    """One ``needs-format-v2`` error per v2 key of a guide that declares format v1.

    The issues carry their path; the reader fills in the line and column.
    """
    if ruleset.format != FORMAT_VERSION:
        return []
    return [
        Issue(
            "needs-format-v2",
            N_("{key} is a key of format {v2}; this guide declares {v1}").format(
                key=f"'{path[-1]}'", v2=FORMAT_V2, v1=FORMAT_VERSION
            ),
            source=source,
            path=path,
            hint=N_("declare format: {v2}").format(v2=FORMAT_V2),
        )
        for path in v2_keys(ruleset)
    ]
