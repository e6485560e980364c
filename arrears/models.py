"""Every table of every context, imported so that migrations and tests see one metadata."""

from arrears.db import Base
from arrears.portfolio import models as portfolio_models

metadata = Base.metadata

__all__ = ["metadata", "portfolio_models"]
