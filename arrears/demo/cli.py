"""``arrears demo``: build a demo bank from nothing on the embedded defaults, then serve it.

The steps are those `make run` took one command at a time (the sample's import, the templates,
the nightly batch backfilled, the cure model, the demo teams and queues, the outbox), called here
as the Python functions of the services and commands, each with its progress drawn. The
portfolio is generated as of yesterday in the bank's zone, so the last night's reminders are
current. A simulated history of the collectors' work is done through the services as the demo
users. One demo user per role, named after the role, is created last: the user
``administrator`` existing is the mark of a finished demo, and a second run serves at once.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import arrears
from arrears.arrangements.promise_batch import PromiseTerms
from arrears.audit.trail import Actor
from arrears.auth import repository as auth_repository
from arrears.auth import service as auth
from arrears.auth.models import User
from arrears.auth.permissions import Role
from arrears.auth.principal import Principal
from arrears.batch.orchestrator import StrategyNight, run_batch
from arrears.batch.store import open_store
from arrears.cases.models import Case, CaseStatus
from arrears.channels import template_files
from arrears.channels.models import MessageChannel
from arrears.channels.providers.configured import providers_for
from arrears.channels.reminders import load_reminders
from arrears.channels.worker import work as outbox_work
from arrears.clock import FixedClock, SystemClock, yesterday, zone
from arrears.config import Settings, batch_store_path, get_settings, message_language
from arrears.contacts.gate import pack_of
from arrears.db import open_database, transaction
from arrears.db.migrate import upgrade
from arrears.delinquency.cli import rules_from
from arrears.delinquency.engines import make_engine
from arrears.demo import calls, history
from arrears.errors import ConfigurationError
from arrears.i18n import N_, translate
from arrears.payments.reminder_links import reminder_pay_links
from arrears.portfolio.importer import ImportOptions, import_paths
from arrears.portfolio.models import Account, Customer
from arrears.queues import service as queues
from arrears.sim.generator import PortfolioSpec, generate_portfolio
from arrears.sim.profile import DEFAULT_PROFILE
from arrears.sim.writer import FeedFormat
from arrears.strategy import service as strategies

console = Console()

DEMO_CUSTOMERS = 20_000
"""The portfolio's size by default, the issue's (see docs/web.md for the build's measures)."""
TRAINING_DAYS = 21
TRAINING_FOLDS = 2
"""The cure model's observation dates (weekly, over these days) and its cross-validation folds:
small, so that the model trains in seconds on the demo's history."""
DEMO_NIGHTS = 90
DEMO_SEED = 14
MARK_USER = "administrator"
"""Created last: while it exists, the demo is built (a second run serves at once)."""
EXAMPLES = Path(arrears.__file__).resolve().parent.parent / "examples"
HISTORY_DAYS = 21
"""The collectors' work is done this many days before the portfolio's date: the nights after it
find the promises kept or broken."""
SIMULATED_CUSTOMERS = 3000
SIMULATED_DAYS = 60
"""The demo's simulation run: at most 3,000 simulated customers over 60 days (some 8 s)."""
TEAMS = (("DEMO-EARLY", "Early collections 前期催收"), ("DEMO-LATE", "Late collections 后期催收"))
AGENCY = ("DEMO-AGENCY", "Demo agency 演示委外机构")


@dataclass(frozen=True)
class Person:
    username: str
    role: Role
    team: str | None = None
    agency: str | None = None
    language: str | None = None


PEOPLE_FIRST = (
    Person("compliance", Role.COMPLIANCE_OFFICER),
    Person("supervisor", Role.SUPERVISOR),
    Person("collector", Role.COLLECTOR, team="DEMO-EARLY"),
    Person("collector-2", Role.COLLECTOR, team="DEMO-EARLY", language="en"),
    Person("collector-3", Role.COLLECTOR, team="DEMO-LATE"),
    Person("collector-4", Role.COLLECTOR, team="DEMO-LATE"),
    Person("field-agent", Role.FIELD_AGENT, team="DEMO-LATE"),
    Person("agency", Role.AGENCY_USER, agency=AGENCY[0]),
    Person("strategy-analyst", Role.STRATEGY_ANALYST),
    Person("auditor", Role.AUDITOR),
)
"""The demo's people before its portfolio's nights (the queues assign to the collectors)."""
CUSTOMER_USER = "customer"
ACTS = {
    "contact": N_("contacts"),
    "promise": N_("promises"),
    "plan": N_("plans"),
    "settlement": N_("settlements"),
    "complaint": N_("complaints"),
    "dispute": N_("disputes"),
}
"""The kinds of the collectors' acts, as the summary names them."""


@dataclass
class Built:
    """What a build made: the people and their passwords, the counts to show."""

    passwords: dict[str, tuple[str, str]] = field(default_factory=dict)
    """username: (role, password)."""
    as_of: date | None = None
    work: history.History = field(default_factory=history.History)
    seconds: dict[str, float] = field(default_factory=dict)


def say(message: str, **params: object) -> str:
    return translate(message, message_language(), **params)


def _actor() -> Actor:
    return Actor(user_id=None, name="system:demo", role="system")


def check_not_production(settings: Settings) -> None:
    if settings.production:
        raise ConfigurationError(
            N_(
                "{variable} is production: the demo, with its generated customers and people, "
                "is refused there"
            ),
            variable="ARREARS_ENVIRONMENT",
        )


def built(engine: Engine) -> bool:
    """The demo is built when its last-made user exists. A database holding people or customers
    without it (a build stopped halfway, or a bank's own data) is refused: nothing is added."""
    with transaction(engine) as session:
        if auth_repository.user_by_name(session, MARK_USER) is not None:
            return True
        if session.scalar(select(User.id).limit(1)) is not None or (
            session.scalar(select(Customer.customer_id).limit(1)) is not None
        ):
            raise ConfigurationError(
                N_(
                    "{database} already holds people or customers but no finished demo (a build "
                    "stopped halfway?): the demo builds only on an empty database (make clean, then make run)"
                ),
                database=engine.url.render_as_string(),
            )
    return False


def _password(settings: Settings) -> str:
    return settings.demo_password or secrets.token_urlsafe(12)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


@contextmanager
def _step(built_: Built, name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    built_.seconds[name] = time.perf_counter() - started


def _nightly(
    engine: Engine,
    settings: Settings,
    dates: list[date],
    label: str,
    *,
    scorer: Any = None,
) -> None:
    """The nightly batch over ``dates``, each night run at 01:00 of the next day (bank time): one
    run of the batch over them all (the portfolio read and the audit trail verified once)."""
    rules = rules_from(None)
    reminders = load_reminders(settings.reminders)
    store_path = batch_store_path(settings)
    store = open_store(store_path) if store_path is not None else None
    snapshot_engine = make_engine("duckdb", "local[2]", None, store)
    terms = PromiseTerms(settings.promise_grace_days, settings.promise_tolerance)
    bank_zone = zone(settings.bank_timezone)

    def night_clock(night: date) -> FixedClock:
        return FixedClock(datetime.combine(night + timedelta(days=1), clock_time(1, 0), tzinfo=bank_zone))

    try:
        with _progress() as progress:
            task = progress.add_task(label, total=len(dates))

            def report(_message: str, done: int, _total: int) -> None:
                night = dates[min(done, len(dates) - 1)]
                progress.update(task, completed=done, description=f"{label} {night.isoformat()}")

            run_batch(
                engine,
                dates,
                snapshot_engine,
                rules,
                night_clock(dates[-1]),
                report=report,
                scorer=scorer,
                store=store,
                promise_terms=terms,
                plan_grace_days=settings.plan_grace_days,
                reminders=reminders,
                bank_zone=settings.bank_timezone,
                pay_links=reminder_pay_links(settings),
                night_clock=night_clock,
                strategy=StrategyNight(
                    pack_of(settings.compliance_pack, settings.compliance_policy), settings.bank_timezone
                ),
            )
    finally:
        snapshot_engine.close()
        if store is not None and store is not snapshot_engine:
            store.close()


@dataclass(frozen=True)
class Plan:
    """The dates of a build: the portfolio's (yesterday), the first night, the collectors' day."""

    as_of: date
    first: date
    pivot: date


def build(
    engine: Engine,
    settings: Settings,
    *,
    customers: int,
    nights: int,
    seed: int = DEMO_SEED,
    examples: Path = EXAMPLES,
    as_of: date | None = None,
) -> Built:
    """Build the demo bank on ``engine`` (migrated); see the module."""
    result = Built()
    day = as_of or yesterday(SystemClock(), settings.bank_timezone)
    result.as_of = day
    plan = Plan(day, day - timedelta(days=nights - 1), day - timedelta(days=min(HISTORY_DAYS, nights // 2)))
    with _step(result, N_("portfolio generated and imported")):
        _portfolio(engine, settings, customers, seed, day)
    with _step(result, N_("people, templates and queues")):
        _people(engine, settings, result, examples)
    with _step(result, N_("the strategy, from the collectors' day")):
        _strategy(engine, settings, examples, plan.pivot)
    with _step(result, N_("a simulation of the strategy against a challenger")):
        _simulation(engine, settings, examples, plan.pivot, min(customers, SIMULATED_CUSTOMERS), seed)
    with _step(result, N_("nightly batches and the collectors' work")):
        _nights_and_work(engine, settings, plan, result)
    with _step(result, N_("cure model and the last night")):
        _model(engine, settings, plan)
    with _step(result, N_("outbox")):
        _outbox(engine, settings)
    # the demo customer, and the administrator last: the mark of a finished demo
    now = SystemClock().now()
    with transaction(engine) as session:
        customer_id = _customer_for_demo(session, result.work.disputed_case)
        if customer_id is not None:
            _create(
                session, settings, result, Person(CUSTOMER_USER, Role.CUSTOMER), now, customer=customer_id
            )
        _create(session, settings, result, Person(MARK_USER, Role.ADMINISTRATOR), now)
    return result


def _portfolio(engine: Engine, settings: Settings, customers: int, seed: int, day: date) -> None:
    """A portfolio generated as of ``day`` (yesterday), and imported."""
    with tempfile.TemporaryDirectory(prefix="arrears-demo-") as folder:
        spec = PortfolioSpec(customers, seed, day, DEFAULT_PROFILE)
        with _progress() as progress:
            task = progress.add_task(say(N_("Generating the portfolio")), total=customers)
            generate_portfolio(
                spec, Path(folder), FeedFormat.PARQUET, on_progress=lambda n: progress.advance(task, n)
            )
        options = ImportOptions(language=message_language(settings), chunk_rows=settings.import_chunk_rows)
        label = say(N_("Importing the portfolio"))
        with _progress() as progress:
            task = progress.add_task(label, total=5)
            for outcome in import_paths(engine, [Path(folder)], SystemClock(), options):
                progress.update(task, advance=1, description=f"{label}: {outcome.path.name}")


def _people(engine: Engine, settings: Settings, result: Built, examples: Path) -> None:
    """The teams, the agency, the people who work before the nights, the templates approved by
    the compliance officer, and the demo queues activated."""
    now = SystemClock().now()
    with transaction(engine) as session:
        for code, name in TEAMS:
            auth.create_team(session, _actor(), now=now, code=code, name=name)
        auth.create_agency(session, _actor(), now=now, code=AGENCY[0], name=AGENCY[1])
        for person in PEOPLE_FIRST:
            _create(session, settings, result, person, now)
        lead = auth.user_named(session, "supervisor")
        for code, _name in TEAMS:
            auth.add_leader(session, _actor(), auth.team_coded(session, code), lead, now=now)
        pack = pack_of(settings.compliance_pack, settings.compliance_policy)
        template_files.load_folder(
            session, _actor(), examples / "templates", approver="compliance", pack=pack, now=now
        )
        text = (examples / "queues.yaml").read_text("utf-8")
        row = queues.draft(session, _actor(), text, "examples/queues.yaml", note="demo queues", now=now)
        queues.activate(session, _actor(), row.number, expected=None, now=now)
        _profile(session, "collector-2", ["en"], 100, now)


def _strategy(engine: Engine, settings: Settings, examples: Path, first_night: date) -> None:
    """The example strategy (examples/strategies/cn-cards.yaml) drafted by the strategy analyst
    and approved by the supervisor, choosing the actions from ``first_night`` on."""
    now = SystemClock().now()
    path = examples / "strategies" / "cn-cards.yaml"
    with transaction(engine) as session:
        analyst = auth.user_named(session, "strategy-analyst")
        supervisor = auth.user_named(session, "supervisor")
        drafted = strategies.draft(
            session, _principal(analyst), path.read_text("utf-8"), str(path), note="demo strategy", now=now
        )
        strategies.approve(
            session,
            _principal(supervisor),
            drafted.id,
            active_from=first_night,
            bank=strategies.bank_of(settings),
            today=first_night,
            expected=None,
            now=now,
        )


def _simulation(
    engine: Engine, settings: Settings, examples: Path, first_night: date, customers: int, seed: int
) -> None:
    """The example strategy against its call-first variant over simulated customers, kept as the
    strategy analyst's run (``arrears sim strategy --record``), so /simulations opens on one."""
    from decimal import Decimal

    from arrears.strategy import simulations
    from arrears.strategy.repository import parse_document
    from arrears.strategy.simulation import pair

    paths = [examples / "strategies" / name for name in ("cn-cards.yaml", "cn-cards-call-first.yaml")]
    texts = (paths[0].read_text("utf-8"), paths[1].read_text("utf-8"))
    documents = (parse_document(texts[0], str(paths[0])), parse_document(texts[1], str(paths[1])))
    names = (documents[0].strategy, documents[1].strategy)
    plan = pair.Plan(
        documents, names, max(customers, 100), SIMULATED_DAYS, seed, first_night, pair.bank_for(settings)
    )
    started = time.perf_counter()
    comparison = pair.simulate_pair(plan, parallel=False)
    seconds = Decimal(time.perf_counter() - started)
    with transaction(engine) as session:
        analyst = _principal(auth.user_named(session, "strategy-analyst")).actor()
        simulations.record_run(
            session, analyst, texts, plan, comparison, seconds=seconds, now=SystemClock().now()
        )


def _principal(user: User) -> Principal:
    return Principal(user_id=user.id, username=user.username, role=Role(user.role))


def _nights_and_work(engine: Engine, settings: Settings, plan: Plan, result: Built) -> None:
    """The nights up to the collectors' day, their work, and the nights after it."""
    label = say(N_("Nightly batch"))
    _nightly(engine, settings, _dates(plan.first, plan.pivot - timedelta(days=1)), label)
    collectors = [p.username for p in PEOPLE_FIRST if p.role is Role.COLLECTOR]
    with transaction(engine) as session:
        history.collectors_work(
            session, settings, plan.pivot, plan.pivot + timedelta(days=10), collectors, result.work
        )
        for offset, collector in ((1, "collector"), (2, "collector-3")):
            history.casework(
                session, settings, plan.pivot + timedelta(days=offset), collector, plan.as_of, result.work
            )
        pack = pack_of(settings.compliance_pack, settings.compliance_policy)
        at = history.working_time(plan.pivot, 18, 0, settings.bank_timezone)
        calls.attach_transcripts(session, plan.pivot, pack, settings.dispositions, now=at)
    _nightly(engine, settings, _dates(plan.pivot, plan.as_of - timedelta(days=1)), label)


def _model(engine: Engine, settings: Settings, plan: Plan) -> None:
    """The cure model trained on the nights' history (when they are long enough for a 30-day
    outcome) and activated; then the last night, scored with it."""
    from arrears.scoring import use_cases
    from arrears.scoring.batch_scorer import BatchScorer
    from arrears.scoring.settings import get_scoring_settings

    window_last = plan.as_of - timedelta(days=31)
    window_first = max(plan.first + timedelta(days=14), window_last - timedelta(days=TRAINING_DAYS))
    if window_first <= window_last:
        with console.status(say(N_("Training the cure model"))):
            with engine.connect() as connection:
                data, source = use_cases.own_history(connection, (window_first, window_last), 30, 7)
            training = use_cases.TrainingOptions.checked("scorecard", 400, "platt", TRAINING_FOLDS)
            with transaction(engine) as session:
                use_cases.train_and_register(
                    session,
                    "cure",
                    data,
                    source,
                    training,
                    SystemClock(),
                    "demo",
                    activate=True,
                    artifact_dir=None,
                    window=(window_first, window_last),
                )
    scorer = BatchScorer(get_scoring_settings())
    try:
        _nightly(engine, settings, [plan.as_of], say(N_("Last night, scored")), scorer=scorer)
    finally:
        scorer.close()


def _outbox(engine: Engine, settings: Settings) -> None:
    """The outbox sends the SMS and e-mail that are due (to the file sink by default); the
    letters wait for `arrears outbox work` (each is a PDF: slow to make by the hundred)."""
    with console.status(say(N_("Sending the reminders"))):
        providers = providers_for(settings, SystemClock())
        try:
            for channel in (MessageChannel.SMS, MessageChannel.EMAIL):
                outbox_work(
                    engine, providers, SystemClock(), channel=channel.value, once=True, settings=settings
                )
        finally:
            for provider in providers.values():
                close = getattr(provider, "close", None)
                if close is not None:
                    close()


def _dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _create(
    session: Session,
    settings: Settings,
    result: Built,
    person: Person,
    now: datetime,
    *,
    customer: str | None = None,
) -> User:
    password = _password(settings)
    team_id = auth.team_coded(session, person.team).id if person.team else None
    agency_id = auth.agency_coded(session, person.agency).id if person.agency else None
    user = auth.create_user(
        session,
        _actor(),
        now=now,
        username=person.username,
        role=person.role,
        password=password,
        team_id=team_id,
        agency_id=agency_id,
        customer_id=customer,
        display_name=None,
        language=person.language,
        customer_exists=lambda customer_id: session.get(Customer, customer_id) is not None,
    )
    result.passwords[person.username] = (str(person.role), password)
    return user


def _profile(session: Session, username: str, languages: list[str], capacity: int, now: datetime) -> None:
    user = auth.user_named(session, username)
    queues.set_profile(
        session,
        _actor(),
        user.id,
        languages=languages,
        products=[],
        capacity=capacity,
        expected=None,
        now=now,
    )


def _customer_for_demo(session: Session, avoid: str | None) -> str | None:
    """A delinquent customer with an open case (not the disputed one): the demo customer."""
    query = (
        select(Case.customer_id)
        .where(Case.status == str(CaseStatus.OPEN), Case.overdue_total > 0)
        .order_by(Case.worst_dpd, Case.case_id)
    )
    if avoid is not None:
        query = query.where(Case.case_id != avoid)
    return session.scalars(query.limit(1)).first()


def _demo_account(engine: Engine) -> str | None:
    """An account of the demo customer's (the user ``customer``), for the portal's sign-in."""
    with transaction(engine) as session:
        return session.scalar(
            select(Account.account_id)
            .join(User, User.customer_id == Account.customer_id)
            .where(User.username == CUSTOMER_USER)
            .order_by(Account.account_id)
            .limit(1)
        )


def _print_people(result: Built) -> None:
    table = Table(title=say(N_("The demo's people (passwords are shown once)")), box=box.SIMPLE_HEAD)
    for heading in (N_("user name"), N_("role"), N_("password")):
        table.add_column(say(heading))
    for username, (role, password) in result.passwords.items():
        table.add_row(username, role, password)
    console.print(table)


def demo(
    customers: Annotated[
        int, typer.Option("--customers", min=50, help="Customers of the generated portfolio 客户数.")
    ] = DEMO_CUSTOMERS,
    nights: Annotated[
        int, typer.Option("--nights", min=4, max=400, help="Nightly batches backfilled 回溯批处理天数.")
    ] = DEMO_NIGHTS,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the demo once built 构建后启动服务.")
    ] = True,
) -> None:
    """Build a demo bank (portfolio, nights, model, queues, people, history) and serve it 演示环境.

    On the embedded defaults (SQLite and DuckDB). A second run finds the demo built and serves at
    once. Refused with ARREARS_ENVIRONMENT=production. Every demo user's password is random, or
    ARREARS_DEMO_PASSWORD when set; `arrears users set-password NAME --password-stdin` resets one.
    """
    settings = get_settings()
    check_not_production(settings)
    with open_database(settings, create=True) as engine:
        upgrade(engine)
        if built(engine):
            console.print(say(N_("The demo is already built: serving it (passwords are not shown again).")))
            console.print(
                say(
                    N_("To reset a password: {command}"),
                    command="arrears users set-password NAME --password-stdin",
                )
            )
        else:
            started = time.perf_counter()
            result = build(engine, settings, customers=customers, nights=nights)
            _print_people(result)
            console.print(
                "  ".join(f"{say(step)}: {seconds:.0f} s" for step, seconds in result.seconds.items()),
                highlight=False,
            )
            done = result.work.done
            console.print(
                say(
                    N_("The collectors' work: {acts}; refused by a rule: {refused}"),
                    acts=", ".join(f"{say(name)} {done[kind]}" for kind, name in ACTS.items() if done[kind]),
                    refused=sum(result.work.refused.values()),
                ),
                highlight=False,
            )
            console.print(
                say(
                    N_("Demo built in {seconds} s: {customers} customers, {nights} nights, as of {as_of}"),
                    seconds=f"{time.perf_counter() - started:.0f}",
                    customers=f"{customers:,}",
                    nights=nights,
                    as_of=result.as_of.isoformat() if result.as_of else "",
                )
            )
        account = _demo_account(engine)
    port = settings.port
    url = f"http://127.0.0.1:{port}/"
    if account is not None:
        console.print(
            say(
                N_(
                    "The customer's portal: {url}portal/sign-in with account {account}; the one-time "
                    "code is written under {folder} once `arrears outbox work --once` has run (or sign "
                    "in as customer at {url}sign-in)"
                ),
                url=url,
                account=account,
                folder=str(settings.outbox_dir / "sms"),
            ),
            highlight=False,
        )
    if not serve:
        return
    console.print(
        say(
            N_(
                "Serving on {url}: sign in as collector, supervisor, compliance, administrator "
                "or any role's name"
            ),
            url=url,
        )
    )
    if "session_cookie_secure" not in settings.model_fields_set:
        # the demo is served over plain HTTP on the loopback: its session cookie is not Secure,
        # unless ARREARS_SESSION_COOKIE_SECURE says otherwise (production is refused above)
        os.environ["ARREARS_SESSION_COOKIE_SECURE"] = "false"
        get_settings.cache_clear()
    from arrears.api.cli import serve as serve_api

    serve_api(host="127.0.0.1", port=port, workers=1, log_level="warning")


commands: dict[str, Callable[..., Any]] = {"demo": demo}
