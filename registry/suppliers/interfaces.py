from __future__ import annotations

from typing import Any

from zope.interface import Interface


class ISupplierService(Interface):
    def create(data: Any, *, actor: Any) -> Any:
        """Record a supplier (and its own group when no group is given); audited.
        Raises SupplierError naming every bad field."""

    def update(supplier: Any, data: Any, *, actor: Any) -> Any:
        """Change a supplier's name, identifiers, SME flag and aliases; audited."""

    def create_group(name: str, *, companies_house_number: str | None, actor: Any) -> Any:
        """Record a supplier group (an ultimate parent); audited."""

    def rename_group(
        group: Any, name: str, *, companies_house_number: str | None, actor: Any
    ) -> Any:
        """Rename a group or change its Companies House number; audited."""

    def move_to_group(supplier: Any, group: Any, *, reason: str, actor: Any) -> None:
        """Put a supplier in another group; audited with the reason."""

    def find_match(
        *, companies_house_number: str | None, party_id: str | None, name: str | None
    ) -> Any:
        """The live supplier matching by Companies House number, then party id, then
        normalised name; a merged record resolves to its survivor. None when nothing matches."""

    def merge(merged: Any, survivor: Any, *, reason: str, actor: Any) -> Any:
        """Merge one record into another, keeping what moved; audited. Raises MergeError."""

    def reverse_merge(merge: Any, *, reason: str, actor: Any) -> None:
        """Move exactly what a merge moved back; audited. Raises MergeError."""
