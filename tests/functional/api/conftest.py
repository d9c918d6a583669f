"""The API's fixtures: the search index its search endpoint reads."""

from __future__ import annotations

from tests.common.search import search_index

__all__ = ["search_index"]
