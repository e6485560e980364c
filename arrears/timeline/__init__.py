"""The case timeline: one chronological view of everything that happened to a case."""
