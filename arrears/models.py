"""Every table of every context, imported so that migrations and tests see one metadata."""

from arrears.compliance import models as compliance_models
from arrears.db import Base
from arrears.portfolio import models as portfolio_models

metadata = Base.metadata

__all__ = ["compliance_models", "metadata", "portfolio_models"]
