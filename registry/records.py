"""What every accountable record shares: a publication state and retraction instead of deletion."""

from __future__ import annotations

import datetime
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from registry.db import datetime_now, utcnow


class Publication(enum.StrEnum):
    draft = "draft"
    published = "published"


class RecordMixin:
    """Created and updated times, who created it, and whether it was invented for illustration."""

    created: Mapped[datetime_now]
    updated: Mapped[datetime.datetime | None] = mapped_column(onupdate=utcnow)
    illustrative: Mapped[bool] = mapped_column(
        default=False,
        server_default=sa.false(),
        comment="invented or generated for illustration, not an official record",
    )


class RetractableMixin:
    """Nothing accountable is deleted: a retraction keeps the record, who retracted it and why."""

    retracted_at: Mapped[datetime.datetime | None]
    retraction_reason: Mapped[str | None] = mapped_column(sa.Text)

    @declared_attr
    def retracted_by_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("users.id"))

    @property
    def is_retracted(self) -> bool:
        return self.retracted_at is not None
