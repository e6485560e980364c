"""Synthetic portfolios: a realistic feed (contract v1) for a seed and an as-of date.

``generate_portfolio`` writes the feed files; ``iter_feed_chunks`` yields the feed's tables and
``iter_book_batches`` the book in minor units (accounts, installments, payments), chunk by chunk
in bounded memory, for benchmarks that need a large book without files (see ``arrears.sim.book``).
"""

from arrears.sim.book import BOOK_SCHEMAS, BookChunk, iter_book_batches
from arrears.sim.generator import (
    FeedChunk,
    GenerationReport,
    PortfolioSpec,
    generate_portfolio,
    generate_tables,
    iter_feed_chunks,
)
from arrears.sim.profile import DEFAULT_PROFILE, SAMPLE_PROFILE, Behaviour, Profile
from arrears.sim.writer import FeedFormat

__all__ = [
    "BOOK_SCHEMAS",
    "DEFAULT_PROFILE",
    "SAMPLE_PROFILE",
    "Behaviour",
    "BookChunk",
    "FeedChunk",
    "FeedFormat",
    "GenerationReport",
    "PortfolioSpec",
    "Profile",
    "generate_portfolio",
    "generate_tables",
    "iter_book_batches",
    "iter_feed_chunks",
]
