"""Delinquency: DPD, overdue amount, bucket and roll for every account as of a business date."""
