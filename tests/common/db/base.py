"""factory_boy factories flush into the test's own session (set by the db_session fixture)."""

from __future__ import annotations

from typing import Any

import factory.alchemy
from sqlalchemy.orm import Session

_session: Session | None = None


def bind(session: Session | None) -> None:
    global _session
    _session = session


def current_session() -> Session:
    if _session is None:
        raise RuntimeError("factories need the db_session fixture")
    return _session


class ModelFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = current_session
        sqlalchemy_session_persistence = "flush"

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        return super()._create(model_class, *args, **kwargs)
