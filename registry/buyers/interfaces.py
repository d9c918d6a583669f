from __future__ import annotations

from typing import Any

from zope.interface import Interface


class IBuyerService(Interface):
    def create(data: Any, *, actor: Any) -> Any:
        """Record a buyer; audited. Raises BuyerError naming every bad field."""

    def update(buyer: Any, data: Any, *, actor: Any) -> Any:
        """Change a buyer; audited."""

    def find(text: str) -> Any:
        """The buyer with this registry number or identifier (e.g. an ODS code), or None."""
