"""A safe, position-keeping YAML reader.

PyYAML's event parser is driven directly, without its composer or constructors, so that:

* every node's line and column is kept, by path (``("criteria", 0, "max")`` → ``(12, 8)``);
* plain scalars follow the YAML 1.2 core schema: ``NO``, ``on`` and ``yes`` stay strings,
  numbers with a fraction become :class:`decimal.Decimal` from their exact text (never a
  binary float), and dates stay strings;
* anchors, aliases, merge keys, explicit tags, several documents, non-string keys, duplicate
  keys and nesting deeper than a limit are refused with a located issue;
* building is iterative, so a deeply nested document cannot raise ``RecursionError``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from emulation_rules._support.i18n import N_
from emulation_rules._support.text import describe_control, find_control, find_invisible, nfc
from emulation_rules.errors import Issue

__all__ = ["Positions", "YamlDocument", "parse_yaml"]

try:  # libyaml is much faster and reports the same marks
    _Parser: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Parser = yaml.SafeLoader

Path = tuple[str | int, ...]

_NULL = frozenset({"~", "null", "Null", "NULL", ""})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_INT = re.compile(r"[-+]?[0-9]+")
_DECIMAL = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
#: Largest integer accepted from a document: far beyond any score, count or year.
_MAX_INT_DIGITS = 30


@dataclass(frozen=True, slots=True)
class Positions:
    """Line and column (1-based) of every value and mapping key, by path."""

    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def find(self, path: Path) -> tuple[int, int] | None:
        """Return the position of the value at ``path``, or of its key, or of an ancestor."""
        if path in self.values:
            return self.values[path]
        if path in self.keys:
            return self.keys[path]
        for end in range(len(path) - 1, -1, -1):
            if path[:end] in self.values:
                return self.values[path[:end]]
        return None


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """The plain data of one YAML document and the positions of its nodes."""

    data: Any
    positions: Positions
    #: Paths whose value was refused (an alias, a merge key): problems found there later are
    #: consequences, not new errors.
    dropped: frozenset[Path] = frozenset()


def _resolve_plain(value: str) -> Any:
    if value in _NULL:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if _INT.fullmatch(value):
        digits = value.lstrip("+-")
        if len(digits) > _MAX_INT_DIGITS:
            return value  # left as text; the schema reports it as a number out of range
        return int(value)
    if _DECIMAL.fullmatch(value):
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
            return value
    return nfc(value)


class _Builder:
    """Turn PyYAML events into plain data, collecting issues."""

    def __init__(self, name: str, max_depth: int, *, check_invisible: bool = True) -> None:
        self.name = name
        self.check_invisible = check_invisible
        self.dropped: set[Path] = set()
        self.max_depth = max_depth
        self.issues: list[Issue] = []
        self.positions = Positions()
        # each frame: [container, path, pending_key or None, key_mark, is_mapping]
        self.stack: list[list[Any]] = []
        self.root: Any = None
        self.documents = 0

    def issue(self, code: str, message: str, mark: Any, hint: str | None = None) -> None:
        self.issues.append(
            Issue(
                code,
                message,
                source=self.name,
                line=mark.line + 1 if mark is not None else None,
                column=mark.column + 1 if mark is not None else None,
                hint=hint,
            )
        )

    def _child_path(self) -> Path | None:
        """Path of the node about to be added, or None when it is a mapping key."""
        if not self.stack:
            return ()
        container, path, pending, _, is_mapping = self.stack[-1]
        if is_mapping:
            if pending is _NO_KEY:
                return None
            return (*path, pending)
        return (*path, len(container))

    def _attach(self, value: Any, mark: Any) -> None:
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        container, path, pending, _key_mark, is_mapping = frame
        if not is_mapping:
            container.append(value)
            return
        if pending is _NO_KEY:
            if not isinstance(value, str):
                self.issue(
                    "key-type",
                    _describe(value),
                    mark,
                    hint=N_("quote the key"),
                )
                frame[2] = _BAD_KEY
            elif value in container:
                first = self.positions.keys.get((*path, value))
                said = (
                    N_("key {key} appears twice (first at line {line})").format(
                        key=repr(value), line=first[0]
                    )
                    if first
                    else N_("key {key} appears twice").format(key=repr(value))
                )
                self.issue("duplicate-key", said, mark)
                frame[2] = _BAD_KEY
            else:
                frame[2] = value
                frame[3] = mark
                self.positions.keys[(*path, value)] = (mark.line + 1, mark.column + 1)
            return
        if pending is not _BAD_KEY:
            container[pending] = value
        frame[2] = _NO_KEY

    def _invisible(self, value: str, event: Any) -> None:
        control = find_control(value, lines=True)
        if control >= 0:  # decoded from an escape ("\\e", "\\x1b"): the raw text had none
            self.issue(
                "control-char",
                f"control character {describe_control(value[control])} in {value[:60]!r}",
                event.start_mark,
                hint="delete it; a name or note is plain text",
            )
        index = find_invisible(value)
        if index < 0:
            return
        char = value[index]
        mark = event.start_mark
        quoted = 1 if event.style in ("'", '"') else 0
        self.issues.append(
            Issue(
                "invisible-char",
                f"invisible character U+{ord(char):04X} "
                f"({unicodedata.name(char, 'format character').lower()}) in {value!r}",
                source=self.name,
                line=mark.line + 1,
                column=mark.column + 1 + quoted + index if "\n" not in value[:index] else None,
                hint="delete it and retype the text around it",
            )
        )

    def _check_node(self, event: Any) -> None:
        if event.anchor is not None:
            self.issue(
                "yaml-alias",
                N_("anchor '&{anchor}' is not allowed; write the values out").format(
                    anchor=event.anchor
                ),
                event.start_mark,
            )
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
            shown = "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:") else tag
            self.issue(
                "yaml-tag",
                N_("explicit tag {tag} is not allowed").format(tag=repr(shown)),
                event.start_mark,
            )

    def feed(self, event: Any) -> bool:
        """Consume one event; return False to stop (depth exceeded)."""
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self.issue(
                    "multiple-documents",
                    N_("only one YAML document per file is allowed"),
                    event.start_mark,
                    hint=N_("remove the '---' separator or split the file"),
                )
                return False
        elif isinstance(event, yaml.AliasEvent):
            self.issue(
                "yaml-alias",
                N_("alias '*{anchor}' is not allowed; write the values out").format(
                    anchor=event.anchor
                ),
                event.start_mark,
            )
            path = self._child_path()
            if path is not None:
                self.dropped.add(path)
            self._attach(None, event.start_mark)
        elif isinstance(event, yaml.ScalarEvent):
            self._check_node(event)
            if not event.style and event.implicit[0]:
                value = _resolve_plain(event.value)
                if event.value == "<<" and self.stack and self.stack[-1][4]:
                    self.issue(
                        "yaml-alias", N_("merge keys '<<' are not allowed"), event.start_mark
                    )
                    self.dropped.add((*self.stack[-1][1], "<<"))
            else:
                value = nfc(event.value)
            if self.check_invisible and isinstance(value, str):
                self._invisible(value, event)
            path = self._child_path()
            mark = event.start_mark
            if path is not None and mark is not None:
                self.positions.values[path] = (mark.line + 1, mark.column + 1)
            self._attach(value, mark)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            self._check_node(event)
            if len(self.stack) >= self.max_depth:
                self.issue(
                    "too-deep",
                    N_("the document nests deeper than {depth} levels").format(
                        depth=self.max_depth
                    ),
                    event.start_mark,
                )
                return False
            path = self._child_path()
            mark = event.start_mark
            if path is None:
                self.issue("key-type", N_("mapping keys must be text, not a collection"), mark)
                path = ("?",)
            if mark is not None:
                self.positions.values[path] = (mark.line + 1, mark.column + 1)
            is_mapping = isinstance(event, yaml.MappingStartEvent)
            container: Any = {} if is_mapping else []
            self.stack.append([container, path, _NO_KEY, None, is_mapping])
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            container, path, *_ = self.stack.pop()
            if path == ("?",):
                # a collection used as a key: mark the slot so its value is dropped
                if self.stack:
                    self.stack[-1][2] = _BAD_KEY
                return True
            self._attach(container, event.start_mark)
        return True


class _Sentinel:
    __slots__ = ()


_NO_KEY = _Sentinel()
_BAD_KEY = _Sentinel()


def _describe(value: Any) -> str:
    """The message for a key that is not text (each a whole message, for the catalogs)."""
    if value is None:
        return N_("mapping keys must be text, not null")
    if isinstance(value, bool):
        return N_("mapping keys must be text, not a boolean")
    if isinstance(value, int | Decimal):
        return N_("mapping keys must be text, not a number")
    return N_("mapping keys must be text, not {kind}").format(kind=type(value).__name__)


def parse_yaml(
    text: str, name: str, *, max_depth: int = 100, check_invisible: bool = True
) -> tuple[YamlDocument | None, list[Issue]]:
    """Parse one YAML document safely.

    Returns the document (or ``None`` when it could not be built) and every issue found.
    With ``check_invisible``, an invisible (zero-width or bidi) character in any key or value
    is an issue at its position; comments are not values and are not checked.

    The nesting limit is ours, whatever PyYAML does: see :func:`_parse_within_our_limit`.
    """
    return _parse_within_our_limit(text, name, max_depth, check_invisible, _Parser)


def _parse_within_our_limit(
    text: str, name: str, max_depth: int, check_invisible: bool, loader: Any
) -> tuple[YamlDocument | None, list[Issue]]:
    """Parse with ``loader``; our nesting limit fires first, at its own place.

    Since PyYAML 6.0.4, its bundled libyaml refuses nesting deeper than 1,000 levels. Its
    scanner reads up to 1,024 characters ahead of the events we consume, so on ``[[[[…`` it
    can fail at column 1,007 before our limit (100 levels, column 107) sees the event. When
    that happens, the text up to PyYAML's failure is parsed again: PyYAML's limit cannot fire
    within it, so ours fires at exactly the place where it fires under any other PyYAML.
    """
    document, issues, nest_mark = _parse(text, name, max_depth, check_invisible, loader)
    if nest_mark is None:
        return document, issues
    head = text[: nest_mark.index]
    document, issues, again = _parse(head, name, max_depth, check_invisible, loader)
    if again is None and any(i.code == "too-deep" for i in issues):
        return None, issues
    # our limit is above PyYAML's (a caller's choice): PyYAML's refusal is the depth issue
    builder = _Builder(name, max_depth)
    builder.issue(
        "too-deep",
        N_("the document nests deeper than {depth} levels").format(depth=_PYYAML_NEST_LIMIT),
        nest_mark,
    )
    return None, builder.issues


#: The nesting limit of the libyaml bundled with PyYAML 6.0.4 and later.
_PYYAML_NEST_LIMIT = 1000


def _parse(
    text: str, name: str, max_depth: int, check_invisible: bool, loader: Any
) -> tuple[YamlDocument | None, list[Issue], Any]:
    """Parse once; the third value is PyYAML's mark when its own nesting limit stopped it."""
    builder = _Builder(name, max_depth, check_invisible=check_invisible)
    parser = loader(text)
    try:
        while True:
            event = parser.get_event()
            if event is None:
                break
            if not builder.feed(event):
                break
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "cannot parse"
        if "maximum nesting depth" in problem and mark is not None:
            return None, builder.issues, mark
        hint = _syntax_hint(problem, text, mark)
        builder.issue("yaml-syntax", pyyaml_message(problem, exc.context), mark, hint=hint)
        return None, builder.issues, None
    except Exception as exc:  # noqa: BLE001 - the parser is third-party; nothing may escape raw
        builder.issue(
            "yaml-syntax",
            N_("cannot parse the YAML ({kind})").format(kind=type(exc).__name__),
            None,
        )
        return None, builder.issues, None
    finally:
        parser.dispose()
    if any(i.code in {"too-deep", "multiple-documents"} for i in builder.issues):
        return None, builder.issues, None
    if builder.documents == 0 or builder.root is None:
        builder.issues.append(
            Issue("empty-document", N_("the document is empty"), source=name, line=1, column=1)
        )
        return None, builder.issues, None
    document = YamlDocument(builder.root, builder.positions, frozenset(builder.dropped))
    return document, builder.issues, None


#: PyYAML's commonest problems with their context, whole (``problem`` and ``context`` as the
#: parser says them), for the catalogs: a message quotes them as they are.
_PYYAML_WHOLE = (
    N_("mapping values are not allowed in this context"),
    N_("did not find expected ',' or ']' while parsing a flow sequence"),
    N_("did not find expected key while parsing a block mapping"),
    N_("did not find expected '-' indicator while parsing a block collection"),
    N_("found unexpected end of stream while scanning a quoted scalar"),
    N_("could not find expected ':' while scanning a simple key"),
)
#: PyYAML's problems (its scanner's and parser's ``problem`` texts), a quoted character or
#: name as ``{value}``: each has a text in the catalogs.
_PYYAML_PROBLEMS = (
    N_("mapping values are not allowed here"),
    N_("mapping values are not allowed in this context"),
    N_("found character {value} that cannot start any token"),
    N_("found character that cannot start any token"),
    N_("found a tab character that violates indentation"),
    N_("found a tab character where an indentation space is expected"),
    N_("found unexpected end of stream"),
    N_("found unexpected ':'"),
    N_("found unknown escape character {value}"),
    N_("found undefined alias {value}"),
    N_("found undefined tag handle {value}"),
    N_("found incompatible YAML document"),
    N_("could not find expected ':'"),
    N_("did not find expected key"),
    N_("did not find expected node content"),
    N_("did not find expected ',' or ']'"),
    N_("did not find expected '-' indicator"),
    N_("did not find expected <document start>"),
    N_("did not find expected comment or line break"),
    N_("expected <block end>, but found {value}"),
    N_("expected <document start>, but found {value}"),
    N_("expected ',' or ']', but got {value}"),
    N_("expected alphabetic or numeric character, but found {value}"),
    N_("expected a comment or a line break, but found {value}"),
    N_("expected chomping or indentation indicators, but found {value}"),
    N_("block sequence entries are not allowed here"),
    N_("expected a single document in the stream"),
)
#: The contexts PyYAML gives a problem: "<problem> <context>", each in the catalogs.
_PYYAML_CONTEXTS = {
    context.removeprefix("{problem} "): context
    for context in (
        N_("{problem} while scanning for the next token"),
        N_("{problem} while scanning a simple key"),
        N_("{problem} while scanning a plain scalar"),
        N_("{problem} while scanning a quoted scalar"),
        N_("{problem} while scanning a block scalar"),
        N_("{problem} while scanning an alias"),
        N_("{problem} while scanning an anchor"),
        N_("{problem} while scanning a tag"),
        N_("{problem} while scanning a directive"),
        N_("{problem} while parsing a block mapping"),
        N_("{problem} while parsing a block collection"),
        N_("{problem} while parsing a block node"),
        N_("{problem} while parsing a flow mapping"),
        N_("{problem} while parsing a flow sequence"),
        N_("{problem} while parsing a flow node"),
        N_("{problem} while parsing a node"),
        N_("{problem} while constructing a mapping"),
    )
}


def _known(template: str, text: str) -> bool:
    """Whether ``text`` is ``template`` with any quoted text as its ``{value}``."""
    pattern = re.escape(template).replace(r"\{value\}", r"(['\"]).*\1")
    return re.fullmatch(pattern, text) is not None


def pyyaml_message(problem: str, context: str | None) -> str:
    """PyYAML's problem and its context as our message (English, translated when shown).

    A problem and a context that the catalogs know are said as PyYAML says them; any other is
    quoted in a sentence of ours, so that a person reads a sentence in their language with
    PyYAML's text as a detail.

    Example:
        >>> pyyaml_message("found undefined alias 'x'", "while parsing a flow node")
        "found undefined alias 'x' while parsing a flow node"
        >>> pyyaml_message("found x", "while y")
        'the YAML cannot be read; the parser says: “found x while y”'
    """
    whole = f"{problem} {context}".strip() if context else problem.strip()
    if whole in _PYYAML_WHOLE:
        return whole
    known = any(_known(template, problem) for template in _PYYAML_PROBLEMS)
    if known and (not context or context in _PYYAML_CONTEXTS):
        return whole
    return N_("the YAML cannot be read; the parser says: {detail}").format(detail=f"“{whole}”")


def _syntax_hint(problem: str, text: str, mark: Any) -> str | None:
    at = mark.index if mark is not None else -1
    if "tab" in problem or (0 <= at < len(text) and text[at] == "\t"):
        return N_("indent with spaces, not tabs")
    if "quote" in problem or "end of stream" in problem:
        return N_("check for an unclosed quote or bracket")
    return None
