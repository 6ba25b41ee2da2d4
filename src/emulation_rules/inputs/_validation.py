"""The input models' constructors raise the library's own error, never pydantic's.

``Submission(unit_id=..., name=...)`` (and every other input model built by hand) raises
:class:`~emulation_rules.errors.SubmissionError` carrying located issues with stable codes,
as a file with the same content would. ``Model.model_validate`` is pydantic's own and keeps
raising ``pydantic.ValidationError``: the readers use it, and turn its errors into issues
located in their file.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from emulation_rules._support.documents import pydantic_issues
from emulation_rules._support.formats import FrozenModel
from emulation_rules._support.yaml import Positions, YamlDocument
from emulation_rules.errors import SubmissionError

__all__ = ["CheckedModel"]


class CheckedModel(FrozenModel):
    """An input model (frozen, strict) whose constructor raises :class:`SubmissionError`."""

    def __init__(self, /, **data: Any) -> None:
        """Validate ``data``.

        Raises:
            SubmissionError: with one located issue per problem (``missing-field``,
                ``wrong-type``, ``unknown-field``, ...); its ``source`` is ``<ClassName>``.
        """
        try:
            super().__init__(**data)
        except ValidationError as exc:
            name = type(self).__name__
            document = YamlDocument(data, Positions())
            issues = pydantic_issues(exc, document, f"<{name}>", type(self))
            raise SubmissionError(f"invalid {name}", tuple(issues)) from None

    # pydantic calls a model's own ``__init__`` from ``model_validate`` too, unless it is
    # marked as the base one (as ``BaseModel.__init__`` is): the readers' ``model_validate``
    # must keep raising ``ValidationError``, which they locate in their file.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]
