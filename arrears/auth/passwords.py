"""Passwords: the policy a new one must meet, and argon2id hashes (argon2-cffi), never anything else.

The policy follows OWASP ASVS (V2.1): at least :data:`MIN_LENGTH` characters, any characters
(spaces and every script count), not on the list of common passwords (zxcvbn's bundled frequency
list, compared case-insensitively) and not the user name. A refusal says which rule failed and
never repeats the password.

A hash made with other argon2 parameters than today's still verifies; :func:`needs_rehash` tells
the sign-in to store a fresh one while it holds the password in hand.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from arrears.errors import InvalidInputError
from arrears.i18n import N_

MIN_LENGTH = 12
MAX_LENGTH = 1024
"""Longer input is refused (it costs the hasher nothing much, but nobody types it)."""

HASHER = PasswordHasher(type=Type.ID)
"""argon2id with argon2-cffi's defaults (RFC 9106's second recommended profile: t=3, 64 MiB, p=4)."""


class WeakPasswordError(InvalidInputError):
    """A new password that the policy refuses."""

    code = "weak_password"
    default_message = N_("The password is not allowed")


@cache
def _common() -> frozenset[str]:
    return frozenset(word.casefold() for word in FREQUENCY_LISTS["passwords"])


def check_policy(password: str, username: str) -> None:
    """Nothing when ``password`` may be used by ``username``, else a WeakPasswordError saying why."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(
            N_("The password must have at least {minimum} characters"), minimum=MIN_LENGTH
        )
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(N_("The password must have at most {maximum} characters"), maximum=MAX_LENGTH)
    if password.casefold() in _common():
        raise WeakPasswordError(N_("The password is on the list of common passwords: choose another one"))
    if password.strip().casefold() == username.strip().casefold():
        raise WeakPasswordError(N_("The password must not be the user name"))


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (``$argon2id$v=19$m=…``), salted afresh."""
    return HASHER.hash(password)


@cache
def _dummy_hash() -> str:
    return HASHER.hash("a password no user has: it only spends the time of a check")


def verify(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored``; with no stored hash (an unknown user, a machine
    client) a dummy hash is checked instead, so the answer takes as long either way."""
    try:
        if stored is None:
            HASHER.verify(_dummy_hash(), password)
            return False
        return HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with other parameters than :data:`HASHER`'s (store a new hash)."""
    try:
        return HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True
