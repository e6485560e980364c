"""Scoring: features, propensity-to-pay models, reason codes, model registry and monitoring."""
