"""Conversation quality assurance (质检): what collectors write and say, checked for conduct.

``check_conduct(text, party=..., speaker=...)`` gives findings by category, each with its rule,
severity and evidence span in the original text. docs/qa.md describes the rules and the structure.
"""

from arrears.compliance.conduct.checker import Checked, Dropped, Finding, check_conduct
from arrears.compliance.conduct.rules import CATEGORIES, load_rules

__all__ = ["CATEGORIES", "Checked", "Dropped", "Finding", "check_conduct", "load_rules"]
