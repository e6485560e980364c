"""The providers the settings choose: SMTP for e-mail when ``smtp_host`` is set, else the file
sink; letters as PDF files for the print run (:mod:`.letters`); SMS through Alibaba Cloud's SMS
API when ``sms_provider`` is ``aliyun`` (:mod:`.sms_aliyun`), else the file sink."""

from __future__ import annotations

from arrears.channels.models import MessageChannel
from arrears.channels.portal_codes import PURPOSE as ONE_TIME_CODE
from arrears.channels.providers.base import Provider
from arrears.channels.providers.files import FileSink
from arrears.channels.providers.letters import LetterProvider
from arrears.channels.providers.sms_aliyun import AliyunSms
from arrears.channels.providers.smtp import SmtpProvider
from arrears.clock import Clock, SystemClock, local_date
from arrears.config import Settings


def providers_for(settings: Settings, clock: Clock | None = None) -> dict[str, Provider]:
    """One provider per channel, as the settings say (``clock``: the letters' business date)."""
    chosen: dict[str, Provider] = {
        channel.value: FileSink(settings.outbox_dir, channel.value) for channel in MessageChannel
    }
    told = clock or SystemClock()
    chosen[MessageChannel.LETTER.value] = LetterProvider(
        settings.outbox_dir, lambda: local_date(told.now(), settings.bank_timezone)
    )
    if settings.smtp_host:
        chosen[MessageChannel.EMAIL.value] = SmtpProvider(
            settings.smtp_host,
            settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            sender=settings.mail_from,
            public_url=settings.public_url,
            secret=settings.secret_key,
        )
    if settings.sms_provider == "aliyun":
        # the settings' own check makes sure every one of these is set
        chosen[MessageChannel.SMS.value] = AliyunSms(
            settings.sms_endpoint or "",
            settings.sms_access_key_id or "",
            settings.sms_access_key_secret or "",
            settings.sms_sign_name or "",
            service_templates={ONE_TIME_CODE: settings.sms_code_template or ""},
        )
    return chosen
