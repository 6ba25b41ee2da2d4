"""The language of human output: Vietnamese by default, English with ``--lang en``.

The messages are gettext catalogs shipped in the package
(``locale/{vi,en}/LC_MESSAGES/emulation_rules.mo``, compiled from the ``.po`` beside them by
``make messages``); only the standard library's :mod:`gettext` reads them. The English text
is the msgid, so ``--lang en`` prints the English of the source.

The language is a context variable that the command line sets for one call
(:func:`use_language`); without it, ``EMULATION_RULES_LANG`` and then Vietnamese. Nothing else
is mutable. Codes, JSON, audit records and :meth:`Issue.render <emulation_rules.errors.Issue>`
stay English and language-neutral: only :func:`render_issue` and :func:`_` translate.

An issue's message is built with its values in it ("'98,6' uses a decimal comma; write
98.6"), and a record keeps that English text. :func:`translate` finds the catalog entry
whose msgid, with ``{name}`` placeholders, matches the whole text, translates the values it
captured the same way (a label, then a message) and fills the translation in.
"""

from __future__ import annotations

import gettext
import os
import re
import struct
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

from emulation_rules.errors import format_path

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from emulation_rules.errors import Issue

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "_",
    "language",
    "pgettext",
    "render_issue",
    "retell",
    "translate",
    "use_language",
]

#: The gettext domain of the package's catalogs.
DOMAIN: Final = "emulation_rules"
#: The languages of human output; the first is the default.
LANGUAGES: Final = ("vi", "en")
#: Where the compiled catalogs are: ``LOCALE_DIR/<lang>/LC_MESSAGES/emulation_rules.mo``.
LOCALE_DIR: Final = Path(__file__).resolve().parent.parent / "locale"
#: The environment variable that chooses the language when ``--lang`` is not given.
ENV_VARIABLE: Final = "EMULATION_RULES_LANG"

_LANGUAGE: ContextVar[str | None] = ContextVar("emulation_rules_language", default=None)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
#: How deep a captured value is translated again (a label, then its message, then a kind).
_DEPTH = 3
#: How deep a value retold is retold again (a list of ranks: one level per item).
_RETELL_DEPTH = 24


def language() -> str:
    """The language of this call: ``--lang``, else ``EMULATION_RULES_LANG``, else ``vi``."""
    chosen = _LANGUAGE.get() or os.environ.get(ENV_VARIABLE, "").strip().lower()
    return chosen if chosen in LANGUAGES else LANGUAGES[0]


@contextmanager
def use_language(lang: str | None) -> Iterator[str]:
    """Print in ``lang`` (``vi`` or ``en``; None: the environment's or the default) inside."""
    token = _LANGUAGE.set(lang)
    try:
        yield language()
    finally:
        _LANGUAGE.reset(token)


@lru_cache(maxsize=len(LANGUAGES))
def _catalog(lang: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang], fallback=True)


def _mo_msgids(path: Path) -> list[str]:
    """The msgids of a compiled catalog (the GNU ``.mo`` layout that :mod:`gettext` reads)."""
    try:
        data = path.read_bytes()
    except OSError:
        return []
    if len(data) < 20:
        return []
    order = "<" if data[:4] == b"\xde\x12\x04\x95" else ">"
    count, originals = struct.unpack(order + "4x4xII", data[:16])
    ids = []
    for index in range(count):
        length, offset = struct.unpack(order + "II", data[originals + 8 * index :][:8])
        ids.append(data[offset : offset + length].decode("utf-8"))
    return [i for i in ids if i and "\x00" not in i]


@lru_cache(maxsize=len(LANGUAGES))
def _patterns(lang: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """The msgids with placeholders as patterns, the most literal text first."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    found = []
    for msgid in _mo_msgids(path):
        if not _PLACEHOLDER.search(msgid):
            continue
        parts = _PLACEHOLDER.split(msgid)
        seen: set[str] = set()
        pieces = []
        for i, part in enumerate(parts):
            if i % 2 == 0:
                pieces.append(re.escape(part))
            elif part in seen:  # a value named twice ("{rows} row bands … {rows} rows"): the same
                pieces.append(f"(?P={part})")
            else:
                seen.add(part)
                pieces.append(f"(?P<{part}>.+?)")
        regex = "".join(pieces)
        literal = sum(len(part) for part in parts[::2])
        found.append((literal, msgid, re.compile(regex, re.DOTALL)))
    found.sort(key=lambda item: (-item[0], item[1]))
    return tuple((pattern, msgid) for _, msgid, pattern in found)


def _(message: str) -> str:
    """``message`` (a msgid: the English text) in the language of this call."""
    return _catalog(language()).gettext(message)


def pgettext(context: str, message: str) -> str:
    """``message`` in the language of this call, as meant in ``context`` (one word, two uses)."""
    return _catalog(language()).pgettext(context, message)


def N_(message: str) -> str:  # noqa: N802 - the conventional name of gettext's no-op marker
    """Mark ``message`` for the catalogs without translating it (a template filled later)."""
    return message


def translate(text: str, *, _depth: int = 0) -> str:
    """``text``, an English message with its values in it, in the language of this call.

    Example:
        >>> with use_language("vi"):
        ...     translate("'98,6' uses a decimal comma; write 98.6")
        "'98,6' dùng dấu phẩy thập phân; hãy viết 98.6"
        >>> with use_language("en"):
        ...     translate("'98,6' uses a decimal comma; write 98.6")
        "'98,6' uses a decimal comma; write 98.6"
    """
    lang = language()
    catalog = _catalog(lang)
    exact = catalog.gettext(text)
    if exact != text or lang == "en" or _depth > _DEPTH:
        return exact
    in_expression = _in_expression(text, _depth)
    if in_expression is not None:
        return in_expression
    for pattern, msgid in _patterns(lang):
        match = pattern.fullmatch(text)
        if match is None:
            continue
        values = {
            name: translate(value, _depth=_depth + 1) for name, value in match.groupdict().items()
        }
        return catalog.gettext(msgid).format(**values)
    return text


#: Where a message names the expression it is about: "<message> in '<expression>'".
_IN_EXPRESSION = re.compile(r" in (?=['\"])")


def _in_expression(text: str, depth: int) -> str | None:
    """A message about an expression, "<message> in '<expression>'", translated, or None.

    The compiler adds the expression to the message of any expression issue; the message is
    translated on its own and the expression kept as written. Only when the message before
    " in " translates, so that no other text that contains " in '" is split.
    """
    for found in _IN_EXPRESSION.finditer(text):
        head, tail = text[: found.start()], text[found.end() :]
        if len(tail) < 2 or tail[-1] != tail[0]:
            continue
        problem = translate(head, _depth=depth + 1)
        if problem != head:
            template = pgettext("expression", "{problem} in {expression}")
            return template.format(problem=problem, expression=tail)
    return None


def _template_pattern(template: str, shapes: Mapping[str, str]) -> re.Pattern[str]:
    """``template`` with its ``{name}`` placeholders as named groups (a name twice: the same).

    A placeholder matches any text, or the regular expression ``shapes`` gives for its name.
    """
    parts = _PLACEHOLDER.split(template)
    seen: set[str] = set()
    pieces = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            pieces.append(re.escape(part))
        elif part in seen:
            pieces.append(f"(?P={part})")
        else:
            seen.add(part)
            pieces.append(f"(?P<{part}>{shapes.get(part, '.+?')})")
    return re.compile("".join(pieces), re.DOTALL)


@lru_cache(maxsize=64)
def _retell_table(
    templates: Callable[[], Sequence[str]], lang: str, shapes: tuple[tuple[str, str], ...]
) -> tuple[tuple[re.Pattern[str], str], ...]:
    """The Vietnamese texts of ``templates`` as patterns, each with its text in ``lang``."""
    with use_language("vi"):
        sources = tuple(templates())
    with use_language(lang):
        targets = tuple(templates())
    found = []
    for source, target in zip(sources, targets, strict=True):
        literal = sum(len(part) for part in _PLACEHOLDER.split(source)[::2])
        found.append((literal, source, _template_pattern(source, dict(shapes)), target))
    found.sort(key=lambda item: (-item[0], item[1]))
    return tuple((pattern, target) for _, _, pattern, target in found)


def retell(
    text: str,
    templates: Callable[[], Sequence[str]],
    *,
    shapes: tuple[tuple[str, str], ...] = (),
    kept: frozenset[str] = frozenset(),
    _depth: int = 0,
) -> str:
    """``text``, written in Vietnamese by the engine, in the language of this call.

    The engine writes a few texts in Vietnamese whatever the language: a trace's rule and its
    notes, which results and audit records keep as they are. ``templates`` returns their
    templates in the language of the call (``pgettext`` calls whose msgids are the English
    texts and whose Vietnamese translations are the engine's texts). In Vietnamese ``text`` is
    returned as it is; otherwise the template whose Vietnamese text matches the whole of
    ``text`` (the most literal first) gives the sentence, with its values retold the same
    way, except the values named in ``kept`` (a guide's or a reviewer's own text). ``shapes``
    gives the regular expression a placeholder's value must match, by its name (a number). A
    text that matches no template is returned as it is.

    Example:
        >>> def words():
        ...     return (pgettext("trace", "at most {cap}"),)
        >>> with use_language("en"):
        ...     retell("tối đa 2", words)
        'at most 2'
    """
    lang = language()
    if lang == "vi" or _depth > _RETELL_DEPTH or not text:
        return text
    for pattern, target in _retell_table(templates, lang, shapes):
        match = pattern.fullmatch(text)
        if match is None:
            continue
        values = {
            name: value
            if name in kept
            else retell(value, templates, shapes=shapes, kept=kept, _depth=_depth + 1)
            for name, value in match.groupdict().items()
        }
        return target.format(**values)
    return text


def render_issue(issue: Issue) -> str:
    """One issue as one line for a person, in the language of this call.

    The layout of :meth:`Issue.render <emulation_rules.errors.Issue.render>`:
    ``location: [warning: ]code: message [context] (hint)``; the code stays as it is.
    """
    text = f"{issue.code}: {translate(issue.message)}"
    if issue.severity == "warning":
        text = _("warning: {text}").format(text=text)
    context: list[str] = []
    if issue.unit_id is not None:
        # with a context: a template this short must not match another message's text
        context.append(pgettext("issue", "unit {unit}").format(unit=repr(issue.unit_id)))
    if issue.path and (issue.unit_id is not None or issue.line is None):
        context.append(format_path(issue.path))
    if context:
        text += f" [{', '.join(context)}]"
    if issue.hint:
        text += f" ({translate(issue.hint)})"
    location = issue.location()
    return f"{location}: {text}" if location else text
