"""Inputs from memory: submissions, reviews and cluster facts as Python data, JSON text or bytes.

A web service or a form has the data already; it need not write a file to have it checked.
Each ``parse_*`` function applies the same validation as the file readers and reports the
same issues with the same codes, located by ``Issue.path`` (render it with
``Issue.pointer`` or :meth:`~emulation_rules.inputs.submissions.SubmissionBatch.pointer` as
a JSON Pointer such as ``/units/2/values/c1_ty_le_thu_gom``), and, for text, by line and
column.

What each accepts:

- a ``Mapping`` (a ``dict`` as ``json.loads`` or a form gives it): keys and texts are
  normalised to NFC as a file's are; numbers should be ``int`` or ``Decimal`` (a binary
  ``float`` is refused per value with ``value-type``, as everywhere in the library);
- ``str`` text: JSON when it starts with ``{`` or ``[``, YAML otherwise;
- ``bytes``: the same, decoded as strict UTF-8 first (``encoding`` for anything else).

JSON is parsed by :func:`parse_json`: numbers become exact ``Decimal`` (never ``float``),
a key given twice is ``duplicate-key``, ``NaN``/``Infinity`` are ``number-format``, and a
number of any length is accepted by the parser (validation then refuses it as too large,
with its place) instead of failing the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from emulation_rules._support.documents import model_from_document
from emulation_rules._support.i18n import N_
from emulation_rules._support.strict_json import parse_strict_json
from emulation_rules._support.text import check_characters, decode_source, nfc
from emulation_rules._support.yaml import Positions, YamlDocument
from emulation_rules.errors import Issue, SubmissionError
from emulation_rules.inputs.cluster_data import ClusterData
from emulation_rules.inputs.reviews import ReviewFile
from emulation_rules.inputs.submissions import (
    MAX_SUBMISSION_BYTES,
    SubmissionBatch,
    read_submission_document,
    submissions_from_document,
)

__all__ = [
    "MAX_DEPTH",
    "InputData",
    "parse_cluster",
    "parse_json",
    "parse_reviews",
    "parse_submissions",
]

#: What the ``parse_*`` functions accept: data, JSON or YAML text, or its UTF-8 bytes.
InputData = Mapping[str, Any] | str | bytes

_M = TypeVar("_M", bound=BaseModel)

#: The deepest nesting accepted in data given as Python objects (files: the same limit).
MAX_DEPTH = 100


def parse_json(data: str | bytes, *, name: str = "<json>") -> Any:
    """Parse JSON text or UTF-8 bytes safely, with exact numbers.

    Numbers become ``int`` or ``Decimal`` (never ``float``); strings and keys are NFC. The
    same limits as a submission file apply: at most :data:`MAX_SUBMISSION_BYTES`, strict
    UTF-8, no control characters outside strings' escapes.

    Args:
        data: the JSON document, as text or bytes.
        name: the name used as the ``source`` of issues.

    Returns:
        The parsed data: ``dict``, ``list``, ``str``, ``int``, ``Decimal``, ``bool`` or ``None``.

    Raises:
        SubmissionError: with one located issue: ``yaml-syntax`` (invalid JSON, with line and
            column), ``duplicate-key``, ``number-format`` (``NaN``, ``Infinity``),
            ``too-deep``, ``encoding``, ``control-char``, ``invisible-char`` or
            ``file-too-large``.
        TypeError: ``data`` is neither ``str`` nor ``bytes``.

    Example:
        >>> parse_json('{"a": 0.1, "b": [1, 2]}')
        {'a': Decimal('0.1'), 'b': [1, 2]}
    """
    if isinstance(data, bytes | bytearray):
        text, issue = decode_source(bytes(data), name, max_bytes=MAX_SUBMISSION_BYTES)
        if text is None:
            raise SubmissionError(f"{name} cannot be read", (issue,) if issue else ())
        content = text.text
    elif isinstance(data, str):
        problem = _text_problem(data, name)
        if problem is not None:
            raise SubmissionError(f"{name} cannot be read", (problem,))
        content = data
    else:
        raise TypeError(f"parse_json() takes str or bytes, not {type(data).__name__}")
    parsed, issues = parse_strict_json(content, name)
    if issues:
        raise SubmissionError(f"{name} is not valid JSON", tuple(issues))
    return parsed


def parse_submissions(data: InputData, *, name: str = "<submissions>") -> SubmissionBatch:
    """Read a submission document from memory: the same format and checks as a file.

    Args:
        data: the document (``{"ruleset": ..., "ruleset_version": ..., "units": [...]}``) as a
            mapping, JSON or YAML text, or bytes.
        name: the ``source`` of its submissions and issues (a file name, a request id).

    Returns:
        The batch: valid submissions, rejected units with their issues, and document-level
        issues (a document that cannot be read at all). Never raises for bad content; give
        the batch to :func:`~emulation_rules.score` whole.

    Raises:
        TypeError: ``data`` is not a mapping, ``str`` or ``bytes`` (a list of units is not a
            document: wrap it as ``{"ruleset": ..., "units": [...]}``).
    """
    document, issues = _document(data, name, "parse_submissions")
    return submissions_from_document(document, issues, name)


def parse_reviews(data: InputData, *, name: str = "<reviews>") -> ReviewFile:
    """Read a reviews document from memory: the same format and checks as a reviews file.

    Raises:
        SubmissionError: with every located issue of the document.
        TypeError: ``data`` is not a mapping, ``str`` or ``bytes``.
    """
    return _model(data, name, ReviewFile, "reviews", "parse_reviews")


def parse_cluster(data: InputData, *, name: str = "<cluster>") -> ClusterData:
    """Read cluster facts (members, meeting, votes, next year's heads) from memory.

    Raises:
        SubmissionError: with every located issue of the document.
        TypeError: ``data`` is not a mapping, ``str`` or ``bytes``.
    """
    return _model(data, name, ClusterData, "cluster", "parse_cluster")


def _model(data: InputData, name: str, model: type[_M], what: str, caller: str) -> _M:
    document, issues = _document(data, name, caller)
    return model_from_document(
        document, issues, name, model, what=f"the {what} document", mapping=f"a {what} document"
    )


def _document(data: object, name: str, caller: str) -> tuple[YamlDocument | None, list[Issue]]:
    """The document of ``data``, read as a file with that content would be."""
    if isinstance(data, str):
        problem = _text_problem(data, name)
        if problem is not None:
            return None, [problem]
        return read_submission_document(data.encode("utf-8"), name=name)
    if isinstance(data, bytes | bytearray):
        return read_submission_document(bytes(data), name=name)
    if isinstance(data, Mapping):
        issues: list[Issue] = []
        plain = _plain(data, (), name, issues)
        if issues:
            return None, issues
        return YamlDocument(plain, Positions()), []
    raise TypeError(
        f"{caller}() takes a mapping, JSON or YAML text, or bytes, not {type(data).__name__}"
    )


def _text_problem(text: str, name: str) -> Issue | None:
    if len(text) > MAX_SUBMISSION_BYTES:
        return Issue(
            "file-too-large",
            f"the input has {len(text)} characters; the limit is {MAX_SUBMISSION_BYTES}",
            source=name,
        )
    return check_characters(text, name)


def _plain(value: Any, path: tuple[str | int, ...], name: str, issues: list[Issue]) -> Any:
    """A copy of ``value`` as a document read from a file: NFC keys and texts, lists."""
    if len(path) >= MAX_DEPTH:
        issues.append(
            Issue("too-deep", f"the data nests deeper than {MAX_DEPTH} levels", source=name)
        )
        return None
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                issues.append(
                    Issue(
                        "key-type",
                        f"the key {key!r} is not text",
                        source=name,
                        path=path,
                    )
                )
                continue
            normal = nfc(key)
            if normal in out:
                issues.append(
                    Issue(
                        "duplicate-key",
                        N_("key {key} appears twice (after Unicode normalisation)").format(
                            key=repr(normal)
                        ),
                        source=name,
                        path=(*path, normal),
                    )
                )
                continue
            out[normal] = _plain(item, (*path, normal), name, issues)
        return out
    if isinstance(value, list | tuple):
        return [_plain(item, (*path, index), name, issues) for index, item in enumerate(value)]
    return value
