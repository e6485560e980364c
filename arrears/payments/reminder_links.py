"""Pay-now links for the nightly reminders (:class:`arrears.channels.reminders.PayLinks`): the
night hands this to the reminders, which do not import the payments.

Set up when pay-now is (the secret key, the gateway, the provider's secret) and the bank's public
address is known (``ARREARS_PUBLIC_URL``: no request tells the night where Arrears is reached);
else none, and the reminders' ``pay_link`` is none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from arrears.channels.reminders import ReminderLink
from arrears.config import Settings
from arrears.payments import paylinks

PAY_PATH = "/api/v1/pay/"


@dataclass(frozen=True)
class ReminderPayLinks:
    secret: str
    public_url: str

    def issue(
        self, session: Session, case_id: str, amount: int | None, now: datetime, expires_at: datetime
    ) -> ReminderLink | None:
        issued = paylinks.issue_for_reminder(session, case_id, amount, now, expires_at, secret=self.secret)
        if issued is None:
            return None
        return ReminderLink(
            url=f"{self.public_url.rstrip('/')}{PAY_PATH}{issued.token}", link_id=issued.link.id
        )

    def attach(self, session: Session, links: Mapping[int, int | None], now: datetime) -> None:
        paylinks.attach_to_messages(session, links, now=now)

    def withdraw(self, session: Session, now: datetime) -> None:
        paylinks.cancel_withdrawn(session, now=now)


def reminder_pay_links(settings: Settings) -> ReminderPayLinks | None:
    """The reminders' links under ``settings``; none when pay-now or the public address is not set."""
    if not (settings.secret_key and settings.pay_gateway_url and settings.pay_provider_secret):
        return None
    if not settings.public_url:
        return None
    return ReminderPayLinks(settings.secret_key, settings.public_url)
