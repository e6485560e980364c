"""Providers' callbacks (e-mail bounces, SMS receipts and replies) are signed: the header
``X-Arrears-Signature: sha256=<hex>`` carries the HMAC-SHA256 of the request's raw body under
``ARREARS_CHANNEL_CALLBACK_SECRET``. The bank's gateway in front of Arrears (or the provider,
where it can sign) adds it. A missing or wrong signature, or no secret set, is
:class:`BadSignatureError` (400), checked before the body is read at all."""

from __future__ import annotations

import hashlib
import hmac

from arrears.errors import InvalidInputError
from arrears.i18n import N_

SIGNATURE_HEADER = "X-Arrears-Signature"


class BadSignatureError(InvalidInputError):
    """400, not 401: 401 says "sign in", and no one signs in to send a callback."""

    code = "bad_signature"
    default_message = N_("The callback's signature is missing or does not match")


def signature(body: bytes, secret: str) -> str:
    """The header's value for ``body``: ``sha256=<hex>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, given: str | None, secret: str | None) -> None:
    if not secret or given is None or not hmac.compare_digest(signature(body, secret), given.strip()):
        raise BadSignatureError()
