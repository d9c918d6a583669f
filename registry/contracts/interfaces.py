from __future__ import annotations

from typing import Any

from zope.interface import Interface


class IContractService(Interface):
    def get(contract_id: int) -> Any:
        """The contract with this id, or None."""

    def find_buyer(text: str) -> Any:
        """The buyer with this name, other name, identifier (e.g. an ODS code) or registry
        number, or None (`registry.pickers.services.pick_buyer` says why)."""

    def find_supplier(text: str) -> Any:
        """The supplier with this Companies House number, registry number, name or other name."""

    def find_contract(text: str) -> Any:
        """The contract with this reference or registry number, or None."""

    def problems(data: Any, contract: Any = None, *, actor: Any) -> Any:
        """Every (field, message) problem saving `data` would be refused for; writes nothing."""

    def create(data: Any, *, actor: Any, source: str = "form") -> Any:
        """Record a draft contract; audited. Raises ContractError naming every bad field."""

    def update(contract: Any, data: Any, *, actor: Any) -> Any:
        """Change a draft; audited with what changed."""

    def publish(contract: Any, *, actor: Any) -> None:
        """Draft to published; audited."""

    def retract(contract: Any, reason: str, *, actor: Any) -> None:
        """Withdraw a contract, keeping it with who, when and why; audited."""

    def extend(
        contract: Any, *, extended_on: Any, new_end_date: Any, reason: str, actor: Any
    ) -> Any:
        """Move a published contract's end date, keeping the original; audited."""

    def chain(contract: Any) -> Any:
        """(predecessors oldest first, successors) of a contract."""
