"""Load a guide file into a :class:`~emulation_rules.guide.model.Ruleset`, reporting every issue."""

from __future__ import annotations

import typing
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from emulation_rules._support.documents import located, pydantic_issues, vietnamese_key
from emulation_rules._support.text import decode_source, read_source
from emulation_rules._support.yaml import Positions, parse_yaml
from emulation_rules.errors import Issue, RulesetLoadError, RulesetSchemaError
from emulation_rules.guide.composition import compose
from emulation_rules.guide.model import Ruleset

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
        issues.extend(
            i
            for i in pydantic_issues(exc, document, display, Ruleset)
            if (i.code, i.line) not in seen
        )
        return None, issues
    return LoadedRuleset(ruleset, display, document.positions, text.text), issues


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
