"""The audit trail: an append-only, hash-chained record of every write and every look at personal data."""
