from __future__ import annotations

from typing import Any

from zope.interface import Interface


class IUserService(Interface):
    def get_user(user_id: int) -> Any:
        """The active user with this id, or None."""

    def find_by_email(email: str) -> Any:
        """The user with this e-mail (case-insensitive), or None."""

    def create_user(
        email: str,
        password: str,
        role: str,
        *,
        name: str = "",
        buyer_id: int | None = None,
        supplier_id: int | None = None,
        actor: Any = None,
    ) -> Any:
        """Create a user with an argon2 hash of the password; audited."""

    def change_role(
        user: Any,
        role: str,
        *,
        buyer_id: int | None = None,
        supplier_id: int | None = None,
        actor: Any,
        reason: str,
    ) -> None:
        """Change the role and organisation; audited and every session of the user ended. Admins cannot remove their own admin role."""

    def deactivate(user: Any, *, actor: Any, reason: str) -> None:
        """Stop the user signing in (no hard delete); audited and every session of the user ended. Admins cannot deactivate themselves."""

    def reactivate(user: Any, *, actor: Any, reason: str) -> None:
        """Let a deactivated user sign in again; audited and every session of the user ended."""

    def set_password(user: Any, password: str, *, actor: Any, reason: str) -> None:
        """Replace the password (at least 12 characters); audited without the hash and every session of the user ended."""

    def authenticate(email: str, password: str, *, remote_addr: str | None = None) -> Any:
        """The user when the password matches, else None; failures are audited and rate-limited."""

    def sign_in_refusal(email: str, remote_addr: str | None) -> str | None:
        """Why this client may not try this account now (too many failures), or None."""
