"""Promises to pay, repayment plans and settlements, and their approval (maker-checker)."""
