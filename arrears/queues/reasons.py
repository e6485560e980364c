"""The reasons the queues write on the assignments they make, and those reasons in words.

An assignment's reason is free text when a person gives it (a supervisor's reassignment); the
system's own are these fixed texts, stored as they are (the history stays readable by a query) and
shown in the reader's language (:func:`in_words`)."""

from __future__ import annotations

from arrears.i18n import N_, Text

NIGHTLY = "nightly assignment: queue "
"""The night's assignment, followed by the queue's code."""
POOL = "taken by next case from the team's queue"
"""A collector took the case with "next case" from the team's pool."""


def in_words(reason: str) -> Text:
    """An assignment's reason to show: the system's in the reader's language, a person's as given."""
    if reason.startswith(NIGHTLY):
        return Text.of(
            N_("Reason: the night's assignment to queue {queue}"), queue=reason.removeprefix(NIGHTLY)
        )
    if reason == POOL:
        return Text.of(N_('Reason: taken with "next case" from the team\'s queue'))
    return Text.of(N_("Reason: {reason}"), reason=reason)
