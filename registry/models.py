"""Every feature's models, imported so that the metadata Alembic compares against is complete."""

from registry.accounts.models import User
from registry.audit.models import AuditChainHead, AuditEvent
from registry.db import ModelBase

metadata = ModelBase.metadata

__all__ = ["AuditChainHead", "AuditEvent", "ModelBase", "User", "metadata"]
