from __future__ import annotations

from typing import Any

from zope.interface import Interface


class IFrameworkService(Interface):
    def get_by_reference(reference: str) -> Any:
        """The framework with this reference (retracted ones too), or None."""

    def create_framework(data: Any, *, actor: Any) -> Any:
        """Record a framework with its first status; audited. Raises FrameworkError naming
        every bad field."""

    def update_framework(framework: Any, data: Any, *, actor: Any) -> Any:
        """Change a framework's details (not its status); audited with before and after."""

    def change_status(framework: Any, to_status: Any, *, reason: str, actor: Any) -> Any:
        """Move a framework along its lifecycle; only FRAMEWORK_TRANSITIONS are allowed.
        Kept as a FrameworkStatusChange and audited."""

    def retract_framework(framework: Any, *, reason: str, actor: Any) -> None:
        """Retract a framework: the record stays, with who retracted it and why; audited."""

    def create_lot(framework: Any, data: Any, *, actor: Any) -> Any:
        """Add a lot; its number is unique within the framework; audited."""

    def update_lot(lot: Any, data: Any, *, actor: Any) -> Any:
        """Change a lot's number, title, description or CPV codes; audited."""

    def retract_lot(lot: Any, *, reason: str, actor: Any) -> None:
        """Retract a lot recorded in error: it stays, marked, with its suppliers; audited."""

    def create_obligation(framework: Any, data: Any, *, actor: Any) -> Any:
        """Record an obligation on the framework, one of its lots, or one supplier; audited."""

    def update_obligation(obligation: Any, data: Any, *, actor: Any) -> Any:
        """Change an obligation that is not retracted; audited."""

    def retract_obligation(obligation: Any, *, reason: str, actor: Any) -> None:
        """Retract an obligation (it stays visible, marked); audited."""

    def add_membership(lot: Any, data: Any, *, actor: Any) -> Any:
        """Put a supplier on a lot (one membership per supplier and lot); audited."""

    def change_membership_status(
        membership: Any, to_status: Any, *, reason: str, actor: Any
    ) -> Any:
        """Change a membership's status with a reason; kept as a MembershipStatusChange and
        audited."""
