"""Every table of every context, imported so that migrations and tests see one metadata."""

from arrears import idempotency as idempotency_models
from arrears.arrangements import models as arrangements_models
from arrears.audit import models as audit_models
from arrears.auth import models as auth_models
from arrears.batch import models as batch_models
from arrears.cases import models as cases_models
from arrears.channels import models as channels_models
from arrears.compliance import models as compliance_models
from arrears.contacts import models as contacts_models
from arrears.db import Base
from arrears.delinquency import models as delinquency_models
from arrears.disputes import models as disputes_models
from arrears.payments import models as payments_models
from arrears.portfolio import models as portfolio_models
from arrears.qa import models as qa_models
from arrears.queues import models as queues_models
from arrears.reports import models as reports_models
from arrears.scoring import models as scoring_models
from arrears.strategy import models as strategy_models

metadata = Base.metadata

__all__ = [
    "arrangements_models",
    "audit_models",
    "auth_models",
    "batch_models",
    "cases_models",
    "channels_models",
    "compliance_models",
    "contacts_models",
    "delinquency_models",
    "disputes_models",
    "idempotency_models",
    "metadata",
    "payments_models",
    "portfolio_models",
    "qa_models",
    "queues_models",
    "reports_models",
    "scoring_models",
    "strategy_models",
]
