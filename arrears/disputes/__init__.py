"""Disputes, complaints and holds: what stops collection contact, and its lifting."""
