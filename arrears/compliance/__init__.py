"""Compliance: rule packs, the contact gate, content checks and scenario replay."""
