"""Load a guide file into a :class:`~emulation_rules.guide.model.Ruleset`, reporting every issue."""

from __future__ import annotations

import copy
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from emulation_rules._support.documents import located, pydantic_issues, vietnamese_key
from emulation_rules._support.i18n import N_
from emulation_rules._support.text import decode_source, read_source
from emulation_rules._support.yaml import Positions, parse_yaml
from emulation_rules.errors import Issue, RulesetLoadError, RulesetSchemaError
from emulation_rules.guide.composition import compose
from emulation_rules.guide.model import Ruleset
from emulation_rules.guide.versions import format_issues

if TYPE_CHECKING:
    from emulation_rules._support.yaml import YamlDocument

__all__ = [
    "MAX_GUIDE_BYTES",
    "LoadedRuleset",
    "located",
    "pydantic_issues",
    "raise_load_issues",
    "read_ruleset",
    "vietnamese_key",
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
                N_("a guide must be a mapping of keys (format, id, version, criteria, …)"),
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
