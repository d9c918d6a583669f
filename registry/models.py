"""Every feature's models, imported so that the metadata Alembic compares against is complete."""

from registry.accounts.models import User
from registry.api import models as _api_models  # noqa: F401
from registry.audit.models import AuditChainHead, AuditEvent
from registry.buyers.models import Buyer
from registry.changes import models as _changes_models  # noqa: F401
from registry.contracts.models import Contract, ContractExtension
from registry.db import ModelBase
from registry.figures import models as _figures_models  # noqa: F401
from registry.flags import models as _flags_models  # noqa: F401
from registry.frameworks.models import (
    Framework,
    FrameworkStatusChange,
    Lot,
    Membership,
    MembershipStatusChange,
    Obligation,
)
from registry.markets import models as _markets_models  # noqa: F401
from registry.opendata import models as _opendata_models  # noqa: F401
from registry.products import models as _products_models  # noqa: F401

# Features that own further tables register them by being imported here.
from registry.scoring.assessments import models as _assessments_models  # noqa: F401
from registry.scoring.remedies import models as _remedies_models  # noqa: F401
from registry.scoring.scores import models as _scores_models  # noqa: F401
from registry.search import models as _search_models  # noqa: F401
from registry.suppliers.models import Supplier, SupplierGroup, SupplierMerge

metadata = ModelBase.metadata

__all__ = [
    "AuditChainHead",
    "AuditEvent",
    "Buyer",
    "Contract",
    "ContractExtension",
    "Framework",
    "FrameworkStatusChange",
    "Lot",
    "Membership",
    "MembershipStatusChange",
    "ModelBase",
    "Obligation",
    "Supplier",
    "SupplierGroup",
    "SupplierMerge",
    "User",
    "metadata",
]
