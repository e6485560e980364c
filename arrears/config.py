"""One settings object, read from ``ARREARS_*`` environment variables.

Nothing else in the package reads the environment. A setting that cannot be used stops a
command with a :class:`~arrears.errors.ConfigurationError` naming the variable.
"""

from __future__ import annotations

import os
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from arrears.errors import ConfigurationError, echo
from arrears.i18n import N_, choose_language

ENV_PREFIX = "ARREARS_"
DATABASE_BACKENDS = ("sqlite", "postgresql")
ENVIRONMENTS = ("local", "test", "production")
PRODUCTION = "production"
SECRET_KEY_MIN_LENGTH = 32
MAX_IDLE_MINUTES = 15
MAX_SESSION_HOURS = 12
"""PCI DSS 8.2.8: production never lets a session live longer than this without use, or in all."""
PLACEHOLDER_SECRETS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "secret-key",
        "secret_key",
        "default",
        "password",
        "development",
        "insecure",
        "replace-me-with-a-long-random-string-of-at-least-32-characters",
    }
)
"""Secret keys seen in examples and templates: refused in production whatever their length."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", populate_by_name=True)

    database_url: str = Field(
        default="sqlite:///arrears.db",
        description="SQLAlchemy URL of the operational database (SQLite file or PostgreSQL).",
    )
    bank_timezone: str = Field(
        default="Asia/Shanghai", description="IANA zone that defines the bank's business day."
    )
    default_currency: str = Field(default="CNY", description="ISO 4217 currency shown by default.")
    language: str | None = Field(
        default=None,
        description="Language of messages, zh-CN or en; unset: from the LANG locale, else en.",
    )
    environment: str = Field(
        default="local",
        validation_alias=AliasChoices(f"{ENV_PREFIX}ENVIRONMENT", f"{ENV_PREFIX}ENV"),
        description=(
            "local, test or production (ARREARS_ENVIRONMENT, or ARREARS_ENV); production refuses "
            "settings that are unsafe for a server (see check_production)."
        ),
    )
    batch_store: str | None = Field(
        default=None,
        description=(
            "DuckDB file where the batch keeps the staged portfolio between nights; unset: beside "
            "a SQLite database (arrears.db.batch.duckdb), none for PostgreSQL; 'none' turns it off."
        ),
    )
    import_chunk_rows: int = Field(
        default=200_000, gt=0, description="Rows read and validated at a time during a feed import."
    )
    database_pool_size: int = Field(
        default=20,
        gt=0,
        lt=40,
        description=(
            "Requests one API worker serves at once, each with its database connection; below the "
            "40 threads a worker runs routes in, so that one is always free to finish a request."
        ),
    )
    database_pool_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a request waits for a free connection before a 503."
    )
    sqlite_busy_timeout: float = Field(
        default=30.0,
        ge=0,
        description="Seconds a command waits for a SQLite file another process holds before giving up.",
    )
    delinquency_rules: Path | None = Field(
        default=None,
        description="YAML bucket table and materiality thresholds (default: built in); --rules overrides.",
    )
    approval_limits: Path | None = Field(
        default=None,
        description="YAML of the approval limits of plans and settlements (default: the shipped one).",
    )
    plan_grace_days: int = Field(
        default=5, ge=0, le=90, description="Days past an installment's due date before its plan is broken."
    )
    qa_content_model: bool = Field(
        default=False,
        description="Call transcripts are checked by the conduct rules and the trained content model "
        "(more recall on text unlike the rules' corpus, a few hundred turns a second; docs/qa.md)",
    )
    compliance_pack: str = Field(
        default="cn",
        description="The rule pack contacts are put to (cn, us-regf or uk-fca) when no policy file is given.",
    )
    compliance_policy: Path | None = Field(
        default=None,
        description="A bank policy file ({pack: cn, tighten: {...}}): its pack, tightened, is used instead.",
    )
    protected_attributes: str = Field(
        default="age,gender,ethnicity,religion,region",
        description="Attributes a strategy may not use as a condition (comma separated; PIPL art. 24).",
    )
    dispositions: Path | None = Field(
        default=None,
        description=(
            "The bank's disposition codes, a YAML of the shape of arrears/contacts/dispositions.yaml "
            "(default: that file)."
        ),
    )
    portal_code_answer_ms: int = Field(
        default=400,
        ge=0,
        le=5000,
        description=(
            "Milliseconds the portal's answer to a request for a sign-in code takes at least, whether "
            "the account is ours or not (so that its time does not tell)."
        ),
    )
    dispute_verify_days: int = Field(
        default=15,
        gt=0,
        le=366,
        description="Calendar days (the bank's) a dispute is to be verified in, from its day of receipt.",
    )
    complaint_respond_days: int = Field(
        default=15,
        gt=0,
        le=366,
        description="Calendar days (the bank's) a complaint is to be answered in, from its day of receipt.",
    )
    scoring_data_dir: Path = Field(
        default=Path("data"), description="Where fetched evaluation data sets are cached."
    )
    scoring_psi_warn: float = Field(default=0.1, description="PSI above which the batch summary warns.")
    scoring_psi_alert: float = Field(default=0.25, description="PSI above which the batch summary alerts.")
    scoring_purpose: str = Field(
        default="cure", description="The purpose whose active model the batch scores with."
    )
    scoring_bands: str = Field(
        default="A:680,B:640,C:600,D:560,E:0",
        description="Score bands, best first: name:lowest score, comma separated.",
    )
    secret_key: str | None = Field(
        default=None,
        description=(
            "Secret that keys CSRF tokens and other server-side signatures; required in production "
            "(at least 32 characters)."
        ),
    )
    session_idle_minutes: int = Field(
        default=15, gt=0, description="Minutes a token or web session lives without use (PCI DSS 8.2.8)."
    )
    session_max_hours: int = Field(
        default=12, gt=0, description="Hours a token or web session lives in all, however much it is used."
    )
    session_cookie_secure: bool = Field(
        default=True,
        description=(
            "Mark the web session cookie Secure (sent over HTTPS only); false only to try the web "
            "interface on http://localhost, never honoured in production."
        ),
    )
    sign_in_max_failures: int = Field(
        default=5, gt=0, description="Failed sign-ins per user name or per client address before throttling."
    )
    sign_in_window_minutes: int = Field(
        default=15, gt=0, description="The window the failed sign-ins are counted over, in minutes."
    )
    promise_grace_days: int = Field(
        default=2,
        ge=0,
        le=60,
        description="Days after an installment's due date that a promise's payment still counts as on time.",
    )
    promise_tolerance: Decimal = Field(
        default=Decimal("0.05"),
        ge=0,
        lt=1,
        decimal_places=4,
        description=(
            "Share of a promised amount that may be missing and the promise still count as kept "
            "(0.05: 5%), a decimal of at most 4 places."
        ),
    )
    reveal_daily_cap: int = Field(
        default=50, ge=0, description="Personal fields one user may reveal per day; the excess is refused."
    )
    lease_minutes: int = Field(
        default=15,
        gt=0,
        le=24 * 60,
        description="Minutes a case handed out by next case stays the collector's alone (its lease).",
    )
    # The demo (arrears demo, make run).
    port: int = Field(default=8000, ge=1, le=65535, description="The port `arrears demo` serves on.")
    demo_password: str | None = Field(
        default=None,
        description="The password of every demo user `arrears demo` creates; unset: a random one each.",
    )
    # Channels (docs/channels.md): without a provider, messages go to files under outbox_dir.
    outbox_dir: Path = Field(
        default=Path("outbox"),
        description="Where the file sinks write messages sent without a provider, and letters' PDFs.",
    )
    outbox_max_attempts: int = Field(
        default=8, ge=1, le=100, description="Sends of a message before a transient error makes it dead."
    )
    outbox_backoff_seconds: int = Field(
        default=30, ge=1, description="The first retry's delay; each next one doubles it, with jitter."
    )
    smtp_host: str | None = Field(default=None, description="The SMTP relay; none: e-mail to the file sink.")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="The SMTP relay's port.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls", description="starttls, tls (implicit TLS, port 465) or none (loopback only)."
    )
    smtp_username: str | None = Field(default=None, description="SMTP AUTH user, when the relay asks.")
    smtp_password: str | None = Field(default=None, description="SMTP AUTH password.")
    mail_from: str = Field(default="collections@bank.example", description="The From address of e-mail.")
    sms_provider: Literal["file", "aliyun"] = Field(
        default="file", description="file (the embedded default) or aliyun (Alibaba Cloud SMS API)."
    )
    sms_endpoint: str | None = Field(default=None, description="The SMS provider's API URL.")
    sms_access_key_id: str | None = Field(default=None, description="The SMS provider's access key id.")
    sms_access_key_secret: str | None = Field(default=None, description="The SMS provider's secret.")
    sms_sign_name: str | None = Field(default=None, description="The SMS signature registered there.")
    sms_code_template: str | None = Field(
        default=None,
        description=(
            "The SMS provider's template (its TemplateCode) of the portal's one-time code message, "
            "with the parameters code and minutes; required with the aliyun provider."
        ),
    )
    reminders: Path | None = Field(
        default=None,
        description="The reminders file (docs/channels.md, Reminders); none: the shipped defaults.",
    )
    public_url: str | None = Field(
        default=None,
        description="The bank's public address of Arrears, for opt-out links and provider callbacks.",
    )
    channel_callback_secret: str | None = Field(
        default=None,
        description=(
            "The secret the providers' callbacks (e-mail bounces, SMS receipts) sign their body with "
            "(HMAC-SHA256, header X-Arrears-Signature); unset, every callback is refused."
        ),
    )
    pay_gateway_url: str | None = Field(
        default=None,
        description="The payment provider's checkout gateway for pay-now links; none: pay-now is off.",
    )
    pay_app_id: str = Field(default="arrears", description="The bank's app id at the payment provider.")
    pay_provider_secret: str | None = Field(
        default=None, description="The secret the payment provider and Arrears sign with (HMAC-SHA256)."
    )
    forwarded_allow_ips: str | None = Field(
        default=None,
        description=(
            "Addresses of the TLS-terminating proxy whose X-Forwarded-* headers are trusted "
            "(comma separated); required in production."
        ),
    )
    locale: str | None = Field(
        default=None,
        validation_alias="LANG",
        description="The process locale (LANG, not ARREARS_*): the language when ARREARS_LANGUAGE is unset.",
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "not a database URL: write sqlite:///path/arrears.db or postgresql://user@host/db"
            ) from None
        if url.get_backend_name() not in DATABASE_BACKENDS:
            raise ValueError(f"the database must be one of {', '.join(DATABASE_BACKENDS)}")
        return value

    @field_validator("sms_code_template")
    @classmethod
    def _sms_provider_complete(cls, value: str | None, info: ValidationInfo) -> str | None:
        """The Alibaba Cloud adapter needs its endpoint, key, secret, signature and the template
        of the one-time code together (checked on the last of them, so that the others are known
        here)."""
        if info.data.get("sms_provider") != "aliyun":
            return value
        given = info.data | {"sms_code_template": value}
        names = (
            "sms_endpoint",
            "sms_access_key_id",
            "sms_access_key_secret",
            "sms_sign_name",
            "sms_code_template",
        )
        missing = [f"{ENV_PREFIX}{name.upper()}" for name in names if not given.get(name)]
        if missing:
            raise ValueError(f"ARREARS_SMS_PROVIDER=aliyun also needs {', '.join(missing)}")
        return value

    @field_validator("environment")
    @classmethod
    def _known_environment(cls, value: str) -> str:
        if value.strip().lower() not in ENVIRONMENTS:
            raise ValueError(f"the environment must be one of {', '.join(ENVIRONMENTS)}")
        return value.strip().lower()

    @property
    def production(self) -> bool:
        return self.environment == PRODUCTION

    @field_validator("bank_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from arrears.clock import is_time_zone

        if not is_time_zone(value):
            raise ValueError("not an IANA time zone (write it like Asia/Shanghai)")
        return value


def batch_store_path(settings: Settings) -> Path | None:
    """Where the batch store lives, or None for a store kept in memory for one run."""
    if settings.batch_store is not None:
        return None if settings.batch_store.lower() == "none" else Path(settings.batch_store)
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(f"{url.database}.batch.duckdb")
    return None


def load_settings(**overrides: Any) -> Settings:
    """The settings from the environment (and ``overrides``), or a ConfigurationError naming the
    first variable that cannot be used."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        variable = "LANG" if field == "locale" else f"{ENV_PREFIX}{field.upper()}"
        template = _SAID.get(field, {}).get(str(first["type"]), N_("{variable}={value}: {reason}"))
        raise ConfigurationError(
            template,
            variable=variable,
            value=repr(echo(first.get("input", ""))),
            reason=str(first["msg"]).removeprefix("Value error, "),
        ) from None


def check_production(settings: Settings) -> None:
    """Nothing unless ``settings`` are production's; there, a ConfigurationError naming the first
    variable that makes a server unsafe: a secret key missing, short or a known placeholder; a
    SQLite database; no TLS-terminating proxy named (or every address trusted); sessions that
    live longer than 15 minutes idle or 12 hours in all."""
    if not settings.production:
        return
    key = settings.secret_key or ""
    if not key.strip():
        raise ConfigurationError(
            N_("{variable} must be set in production: a random secret of at least {length} characters"),
            variable=f"{ENV_PREFIX}SECRET_KEY",
            length=SECRET_KEY_MIN_LENGTH,
        )
    if len(key) < SECRET_KEY_MIN_LENGTH:
        raise ConfigurationError(
            N_("{variable} is too short for production: at least {length} characters, it has {actual}"),
            variable=f"{ENV_PREFIX}SECRET_KEY",
            length=SECRET_KEY_MIN_LENGTH,
            actual=len(key),
        )
    if key.strip().lower() in PLACEHOLDER_SECRETS or len(set(key)) < 8:
        raise ConfigurationError(
            N_("{variable} is a placeholder, not a secret: generate a random one for production"),
            variable=f"{ENV_PREFIX}SECRET_KEY",
        )
    if make_url(settings.database_url).get_backend_name() == "sqlite":
        raise ConfigurationError(
            N_("{variable} names a SQLite database: production runs on PostgreSQL"),
            variable=f"{ENV_PREFIX}DATABASE_URL",
        )
    proxies = [part.strip() for part in (settings.forwarded_allow_ips or "").split(",") if part.strip()]
    if not proxies:
        raise ConfigurationError(
            N_(
                "{variable} must be set in production: the addresses of the TLS-terminating proxy "
                "in front of Arrears (comma separated)"
            ),
            variable=f"{ENV_PREFIX}FORWARDED_ALLOW_IPS",
        )
    if "*" in proxies:
        raise ConfigurationError(
            N_(
                "{variable}=* trusts forwarded headers from anyone: name the TLS-terminating proxy's "
                "addresses in production"
            ),
            variable=f"{ENV_PREFIX}FORWARDED_ALLOW_IPS",
        )
    if settings.session_idle_minutes > MAX_IDLE_MINUTES:
        raise ConfigurationError(
            N_("{variable}={value}: production allows at most {limit} minutes without use"),
            variable=f"{ENV_PREFIX}SESSION_IDLE_MINUTES",
            value=settings.session_idle_minutes,
            limit=MAX_IDLE_MINUTES,
        )
    if settings.session_max_hours > MAX_SESSION_HOURS:
        raise ConfigurationError(
            N_("{variable}={value}: production allows sessions of at most {limit} hours in all"),
            variable=f"{ENV_PREFIX}SESSION_MAX_HOURS",
            value=settings.session_max_hours,
            limit=MAX_SESSION_HOURS,
        )


_SAID = {
    "database_url": {
        "value_error": N_(
            "{variable}={value} is not a database URL Arrears can use: write "
            "sqlite:///path/arrears.db or postgresql://user@host/database"
        )
    },
    "environment": {
        "value_error": N_("{variable}={value}: the environment must be local, test or production")
    },
    "bank_timezone": {
        "value_error": N_("{variable}={value} is not an IANA time zone (write it like Asia/Shanghai)")
    },
    "import_chunk_rows": {
        "int_parsing": N_("{variable}={value} is not a whole number of rows"),
        "greater_than": N_("{variable}={value}: the number of rows must be positive"),
    },
}
"""What a refused setting is told in, by field and pydantic error type (else pydantic's reason)."""


@cache
def get_settings() -> Settings:
    return load_settings()


def message_language(settings: Settings | None = None) -> str:
    """zh-CN or en for the command line: ARREARS_LANGUAGE if set, else the locale (LANG), else English.

    Settings that cannot be read still leave a language to say so in."""
    if settings is None:
        try:
            settings = get_settings()
        except ConfigurationError:
            configured = os.environ.get(f"{ENV_PREFIX}LANGUAGE")
            return choose_language(configured=configured, locale=os.environ.get("LANG"))
    return choose_language(configured=settings.language, locale=settings.locale)
