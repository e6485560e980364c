"""The nightly batch: read the portfolio, snapshot delinquency, move cases, one as-of date at a time."""
