"""E-mail over SMTP (:mod:`smtplib`): STARTTLS, implicit TLS or none (loopback), AUTH when a user
is set.

Each message carries ``Message-ID: <key@arrears>`` derived from its idempotency key
(:func:`message_id`), so a message handed over twice is the same message to every receiver, and
a ``List-Unsubscribe`` header (RFC 2369, with RFC 8058's one-click POST) with the opt-out link,
also written under the body in the message's language.

The relay's replies: 4xx is :class:`TransientError`, 5xx :class:`PermanentError`; a refused or
dropped connection, a timeout, a TLS failure, credentials refused (they are the settings' fault,
not the message's) are transient. :meth:`SmtpProvider.find` cannot ask a relay whether
it took a message: it answers None, and the worker sends a message it finds ``sending`` again
under the same Message-ID (docs/channels.md, "Exactly once, for e-mail").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formataddr

from arrears.channels.providers.base import Accepted, Outgoing, PermanentError, TransientError

IDLE_CHECK = 10.0
"""Seconds a kept connection may sit idle before it is checked (NOOP) before the next message."""
SAFE_ID = re.compile(r"[A-Za-z0-9._=+-]{1,120}")
DEVELOPMENT_SECRET = "arrears-development-only"
UNSUBSCRIBE = {
    "zh-CN": "如不希望再收到此类邮件，请点击退订：{url}",
    "en": "To stop receiving these e-mails, unsubscribe here: {url}",
}


def message_id(key: str) -> str:
    """``<key@arrears>`` when the key is a safe local part, else ``<sha256-of-key@arrears>``."""
    local = key if SAFE_ID.fullmatch(key) else hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"<{local}@arrears>"


def opt_out_token(key: str, secret: str | None) -> str:
    """The opt-out link's token: the message key and an HMAC-SHA256 of it under the secret key.

    The route that honours it, ``/api/v1/opt-out?token=…`` (:mod:`arrears.channels.opt_out`),
    finds the message by the key and checks the signature (:func:`token_key`)."""
    mac = hmac.new((secret or DEVELOPMENT_SECRET).encode("utf-8"), f"opt-out:{key}".encode(), hashlib.sha256)
    payload = base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii").rstrip("=")
    return f"{payload}.{mac.hexdigest()[:32]}"


def token_key(token: str, secret: str | None) -> str | None:
    """The message key a token was signed for, or None when the token is not one we signed."""
    payload, dot, _signature = token.partition(".")
    if not dot or len(token) > 1000:
        return None
    try:
        key = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return key if hmac.compare_digest(opt_out_token(key, secret), token) else None


def opt_out_url(public_url: str | None, key: str, secret: str | None) -> str:
    base = (public_url or "http://localhost:8000").rstrip("/")
    return f"{base}/api/v1/opt-out?token={opt_out_token(key, secret)}"


def compose(message: Outgoing, *, sender: str, public_url: str | None, secret: str | None) -> EmailMessage:
    """The e-mail of ``message``: headers, the body and the opt-out line in its language."""
    url = opt_out_url(public_url, message.idempotency_key, secret)
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = formataddr((message.recipient_name or "", message.to))
    mail["Subject"] = message.subject or ""
    mail["Message-ID"] = message_id(message.idempotency_key)
    mail["List-Unsubscribe"] = f"<{url}>"
    mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    footer = UNSUBSCRIBE.get(message.language, UNSUBSCRIBE["en"]).format(url=url)
    mail.set_content(f"{message.body}\n\n--\n{footer}\n", charset="utf-8")
    mail["Content-Language"] = message.language  # after set_content, which drops Content-* headers
    return mail


class SmtpProvider:
    """Sends e-mail through one relay, keeping the connection open between messages."""

    name = "smtp"
    channel = "email"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        sender: str,
        public_url: str | None = None,
        secret: str | None = None,
        timeout: float = 30.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.username, self.password = username, password
        self.sender, self.public_url, self.secret = sender, public_url, secret
        self.timeout = timeout
        self.tls = tls or ssl.create_default_context()
        self._connection: smtplib.SMTP | None = None
        self._used_at = 0.0

    def send(self, message: Outgoing) -> Accepted:
        mail = compose(message, sender=self.sender, public_url=self.public_url, secret=self.secret)
        try:
            connection = self._connected()
            refused = connection.send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            raise self._reply(code, text) from None
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError) as error:
            # our credentials or the relay's abilities: the settings, not the message, are wrong;
            # the messages wait for the fix (and are dead after the attempts allowed)
            self.close()
            raise TransientError("smtp_setup", str(error)[:300]) from None
        except smtplib.SMTPResponseException as error:  # sender refused, data refused, AUTH …
            self.close()
            raise self._reply(error.smtp_code, error.smtp_error) from None
        except (smtplib.SMTPException, OSError) as error:  # disconnected, refused, timed out
            self.close()
            raise TransientError("connection", type(error).__name__) from None
        if refused:  # one recipient only: refused means the send did not go through
            code, text = next(iter(refused.values()))
            raise self._reply(code, text)
        return Accepted(mail["Message-ID"])

    finds = False

    def find(self, message: Outgoing) -> Accepted | None:
        return None  # a relay cannot be asked: see the module

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()

    def _connected(self) -> smtplib.SMTP:
        if self._connection is not None and time.monotonic() - self._used_at > IDLE_CHECK:
            try:  # a relay drops an idle connection: find out before handing a message to it
                self._connection.noop()
            except (smtplib.SMTPException, OSError):
                self.close()
        if self._connection is not None:
            self._used_at = time.monotonic()
            return self._connection
        connection: smtplib.SMTP
        if self.security == "tls":
            connection = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.tls)
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            connection.ehlo()
            if self.security == "starttls":
                connection.starttls(context=self.tls)
                connection.ehlo()
            if self.username:
                connection.login(self.username, self.password or "")
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        self._used_at = time.monotonic()
        return connection

    @staticmethod
    def _reply(code: int, text: bytes | str) -> TransientError | PermanentError:
        detail = (text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text))[:300]
        kind = TransientError if 400 <= code < 500 else PermanentError
        return kind(f"smtp_{code}", detail)
