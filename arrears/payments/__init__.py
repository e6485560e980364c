"""Payments posted during the day by the core banking system (#13 §6)."""
