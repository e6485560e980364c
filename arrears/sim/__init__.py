"""Synthetic portfolios: a realistic feed (contract v1) for a seed and an as-of date."""

from arrears.sim.generator import GenerationReport, PortfolioSpec, generate_portfolio, generate_tables
from arrears.sim.profile import DEFAULT_PROFILE, SAMPLE_PROFILE, Behaviour, Profile
from arrears.sim.writer import FeedFormat

__all__ = [
    "DEFAULT_PROFILE",
    "SAMPLE_PROFILE",
    "Behaviour",
    "FeedFormat",
    "GenerationReport",
    "PortfolioSpec",
    "Profile",
    "generate_portfolio",
    "generate_tables",
]
