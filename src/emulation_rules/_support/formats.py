"""The base classes of every document model read from a file.

One place for the pydantic configuration all the readers share: a document with a field it does
not know is refused (``extra="forbid"``), so a misspelt key is reported, never ignored.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

__all__ = ["FrozenModel", "StrictModel"]


class StrictModel(BaseModel):
    """A document model that refuses unknown fields (the audit's published documents)."""

    model_config: ClassVar[ConfigDict] = ConfigDict(extra="forbid")


class FrozenModel(StrictModel):
    """A read-only document model: unknown fields refused, a field given by name or by alias.

    The guide, submissions, reviews, cluster data and guide tests are read into these.
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True
    )
