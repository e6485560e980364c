"""``arrears strategy``: strategies on the command line (validate, draft, list, show, diff,
preview, approve, reject), through the same services as the API (:mod:`arrears.strategy.service`),
as the system (the operating-system user who ran the command is the actor on the audit trail)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection

from arrears.auth.cli import cli_actor, say, work
from arrears.cli_options import date_option
from arrears.clock import SystemClock, business_today
from arrears.config import get_settings, message_language
from arrears.errors import InvalidInputError
from arrears.i18n import N_
from arrears.money import format_major
from arrears.strategy import service, statistics
from arrears.strategy.document import StrategyDocument
from arrears.strategy.evaluation import DuckDBStrategyEngine
from arrears.strategy.experiments import RATES, ExperimentReport, evidence
from arrears.strategy.preview import Preview, preview
from arrears.strategy.repository import read_document
from arrears.strategy.validation import Report

app = typer.Typer(help="Strategies 催收策略: segments, treatment paths, experiments.", no_args_is_help=True)
console = Console()
WIDE = 10_000

FileArgument = Annotated[Path, typer.Argument(help="The strategy, YAML 策略文件.", show_default=False)]
IdArgument = Annotated[int, typer.Argument(help="The strategy's id 策略编号.", show_default=False)]
AsOfOption = Annotated[
    date | None, date_option("--as-of", help="The business date (default: today) 业务日期.")
]


def _out() -> Console:
    return console if console.is_terminal else Console(width=WIDE)


def _today(as_of: date | None) -> date:
    return as_of or business_today(SystemClock(), get_settings().bank_timezone)


def _read(file: Path) -> tuple[str, StrategyDocument]:
    return read_document(file)


@app.command("validate")
def validate(file: FileArgument, as_of: AsOfOption = None) -> None:
    """Check a strategy against the bank (segments, names, the rule pack) and preview it on today's
    open cases 校验策略并预览."""
    _, document = _read(file)
    day = _today(as_of)
    with work() as (session, _now):
        report = service.check(session, cli_actor(), document, service.bank_of(get_settings()), day)
        shown = _preview(session.connection(), document, day)
    _problems(report)
    _show(shown)
    if not report.valid:
        raise typer.Exit(1)


@app.command("draft")
def draft(
    file: FileArgument,
    note: Annotated[
        str | None, typer.Option("--note", help="What changes 变更说明.", show_default=False)
    ] = None,
) -> None:
    """Store a strategy as the next draft version of its code 保存策略草稿."""
    text, _ = _read(file)
    with work() as (session, now):
        row = service.draft(session, cli_actor(), text, str(file), note=note, now=now)
        shown = (row.id, row.code, row.number)
    console.print(
        say(N_("Strategy {code} v{number} stored as draft {id}"), id=shown[0], code=shown[1], number=shown[2])
    )


@app.command("list")
def list_strategies() -> None:
    """The strategies, each code's newest version first 策略列表."""
    chinese = message_language().lower().startswith("zh")
    with work() as (session, _now):
        rows = service.strategies(session, cli_actor())
        table = Table(
            say(N_("Id")),
            say(N_("Strategy")),
            say(N_("Version")),
            say(N_("Status")),
            say(N_("Active from")),
            say(N_("Name")),
            box=box.SIMPLE_HEAD,
        )
        for row in rows:
            names = service.document_of(row).names
            table.add_row(
                str(row.id),
                row.code,
                str(row.number),
                row.status,
                row.active_from.isoformat() if row.active_from else "",
                names.zh_cn if chinese else names.en,
            )
    _out().print(table)


@app.command("show")
def show(strategy_id: IdArgument) -> None:
    """A version's document as written 显示策略."""
    with work() as (session, _now):
        text = service.strategy(session, cli_actor(), strategy_id).document
    _out().print(text, markup=False, highlight=False)


@app.command("diff")
def diff(first: IdArgument, second: IdArgument) -> None:
    """What changed from one version to another 比较两个版本."""
    with work() as (session, _now):
        lines = service.diff(
            service.strategy(session, cli_actor(), first), service.strategy(session, cli_actor(), second)
        )
    for line in lines:
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else None
        _out().print(line, style=style, markup=False, highlight=False)


@app.command("preview")
def preview_stored(strategy_id: IdArgument, as_of: AsOfOption = None) -> None:
    """What a stored version would do to today's open cases 预览策略效果."""
    day = _today(as_of)
    with work() as (session, _now):
        document = service.document_of(service.strategy(session, cli_actor(), strategy_id))
        shown = _preview(session.connection(), document, day)
    _show(shown)


@app.command("approve")
def approve(
    strategy_id: IdArgument,
    active_from: Annotated[
        date | None,
        date_option("--from", help="The first night it chooses actions (default: today) 生效日期."),
    ] = None,
) -> None:
    """Approve a draft from a date (it must pass every check) 审批策略."""
    day = _today(None)
    with work() as (session, now):
        row = service.approve(
            session,
            cli_actor(),
            strategy_id,
            active_from=active_from or day,
            bank=service.bank_of(get_settings()),
            today=day,
            expected=None,
            now=now,
        )
        shown = (row.code, row.number, row.active_from)
    console.print(
        say(
            N_("Strategy {code} v{number} approved: it chooses the actions from the night of {day}"),
            code=shown[0],
            number=shown[1],
            day=shown[2].isoformat() if shown[2] else "",
        )
    )


@app.command("reject")
def reject(
    strategy_id: IdArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why 原因.", show_default=False)],
) -> None:
    """Reject a draft 驳回策略."""
    if not reason.strip():
        raise InvalidInputError(N_("--reason says why the strategy is rejected"))
    with work() as (session, now):
        service.reject(session, cli_actor(), strategy_id, reason=reason, expected=None, now=now)
    console.print(say(N_("Strategy {id} rejected"), id=strategy_id))


@app.command("retire")
def retire(
    strategy_id: IdArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why 原因.", show_default=False)],
) -> None:
    """Stop an approved version from the next night 停用策略."""
    if not reason.strip():
        raise InvalidInputError(N_("--reason says why the strategy is retired"))
    with work() as (session, now):
        service.retire(session, cli_actor(), strategy_id, reason=reason, expected=None, now=now)
    console.print(say(N_("Strategy {id} retired"), id=strategy_id))


def _preview(connection: Connection, document: StrategyDocument, day: date) -> Preview:
    engine = DuckDBStrategyEngine()
    try:
        return preview(connection, engine, document, day)
    finally:
        engine.close()


def _problems(report: Report) -> None:
    language = message_language()
    for problem in report.errors:
        _out().print("[red]✗[/red] " + problem.render(language), highlight=False)
    for problem in report.warnings:
        _out().print("[yellow]![/yellow] " + problem.render(language), highlight=False)
    if report.valid:
        console.print(say(N_("The strategy passes every check")))


def _show(shown: Preview) -> None:
    segments = Table(say(N_("Segment")), say(N_("Cases")), say(N_("Held back today")), box=box.SIMPLE_HEAD)
    for code, count in shown.segments.items():
        held = ", ".join(f"{why} {n:,}" for why, n in sorted(shown.stopped.get(code, {}).items()))
        segments.add_row(code, f"{count:,}", held)
    _out().print(segments)
    if shown.in_no_segment or shown.in_several:
        _out().print(
            say(
                N_(
                    "{none} open cases fall in no segment (e.g. {none_ids}); "
                    "{several} in several (e.g. {several_ids})"
                ),
                none=shown.in_no_segment,
                none_ids=", ".join(shown.examples_none) or "-",
                several=shown.in_several,
                several_ids=", ".join(shown.examples_several) or "-",
            ),
            style="red",
        )
    steps = Table(
        say(N_("Path")),
        say(N_("Day")),
        say(N_("Action")),
        say(N_("Cases")),
        say(N_("Cost")),
        box=box.SIMPLE_HEAD,
    )
    for step in shown.steps:
        cost = (
            ""
            if step.cost_minor is None or shown.currency is None
            else format_major(step.cost_minor, shown.currency)
        )
        steps.add_row(step.path, str(step.day), step.action, f"{step.cases:,}", cost)
    _out().print(steps)
    total = shown.total_cost_minor
    if total is not None and shown.currency:
        console.print(
            say(
                N_("Cost of the paths in all: {amount} {currency}"),
                amount=format_major(total, shown.currency),
                currency=shown.currency,
            )
        )


experiment_app = typer.Typer(help="Champion/challenger experiments 冠军/挑战者实验.", no_args_is_help=True)
app.add_typer(experiment_app, name="experiment")
CodeArgument = Annotated[str, typer.Argument(help="The experiment's code 实验编号.", show_default=False)]
HorizonOption = Annotated[
    int, typer.Option("--horizon", min=1, max=365, help="Days of outcomes per member 观察天数.")
]
EffectOption = Annotated[
    str,
    typer.Option(
        "--minimum-effect", help="The cure-rate difference worth finding (0.02 = 2 points) 最小效应."
    ),
]


def _effect(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except ArithmeticError:
        value = Decimal(-1)
    if not Decimal(0) < value < Decimal("0.5"):
        raise InvalidInputError(N_("--minimum-effect is a rate difference between 0 and 0.5, like 0.02"))
    return value


def _report(code: str, horizon: int, effect: str, as_of: date | None) -> ExperimentReport:
    with work() as (session, _now):
        return service.experiment_report(
            session,
            cli_actor(),
            code,
            bank=service.bank_of(get_settings()),
            horizon_days=horizon,
            minimum_effect=_effect(effect),
            as_of=_today(as_of),
        )


@experiment_app.command("report")
def experiment_report(
    code: CodeArgument, horizon: HorizonOption = 30, effect: EffectOption = "0.02", as_of: AsOfOption = None
) -> None:
    """Each arm's outcomes over the horizon against the control, with intervals and the sequential
    test 实验结果."""
    _show_report(_report(code, horizon, effect, as_of))


@experiment_app.command("decide")
def experiment_decide(
    code: CodeArgument,
    outcome: Annotated[str, typer.Option("--outcome", help="promote, keep_champion or extend 决定.")],
    note: Annotated[str, typer.Option("--note", help="Why, for the record 理由.")],
    arm: Annotated[str | None, typer.Option("--arm", help="The arm promoted 晋升的实验组.")] = None,
    horizon: HorizonOption = 30,
    effect: EffectOption = "0.02",
) -> None:
    """Record the committee's decision with the report it rests on 记录实验决定."""
    if not note.strip():
        raise InvalidInputError(N_("--note says why"))
    found = _report(code, horizon, effect, None)
    with work() as (session, now):
        service.decide_experiment(
            session, cli_actor(), code, outcome=outcome, arm=arm, note=note, evidence=evidence(found), now=now
        )
    console.print(say(N_("Decision on experiment {code} recorded: {outcome}"), code=code, outcome=outcome))


def _show_report(found: ExperimentReport) -> None:
    money = found.currency
    _out().print(
        say(
            N_(
                "Experiment {code} on segment {segment}: outcomes over {days} days, as of {day}; "
                "control arm {control}"
            ),
            code=found.experiment,
            segment=found.segment,
            days=found.horizon_days,
            day=found.as_of.isoformat(),
            control=found.control,
        )
    )
    arms = Table(
        say(N_("Arm")),
        say(N_("Accounts")),
        *(say(RATE_NAMES[name]) for name in RATES),
        say(N_("Collected per account")),
        say(N_("Cost per account")),
        say(N_("Net per account")),
        box=box.SIMPLE_HEAD,
    )
    for arm in found.arms:
        arms.add_row(
            arm.arm,
            f"{arm.members:,}",
            *(_rate(arm.rates.get(name)) for name in RATES),
            *(
                _amount(value, money)
                for value in (arm.collected_per_account, arm.cost_per_account, arm.net_per_account)
            ),
        )
    _out().print(arms)
    for comparison in found.comparisons:
        lines = [f"{say(RATE_NAMES[name])} {_difference(d)}" for name, d in comparison.differences.items()]
        _out().print(say(N_("{arm} against the control:"), arm=comparison.arm) + " " + "; ".join(lines))
        if comparison.net is not None and money:
            net = comparison.net
            _out().print(
                say(
                    N_("  net per account {difference} {currency} (95% BCa: {lower} to {upper})"),
                    difference=format_major(net.difference, money),
                    currency=money,
                    lower=format_major(net.lower, money),
                    upper=format_major(net.upper, money),
                )
            )
        if comparison.cure is not None:
            cure = comparison.cure
            _out().print(
                say(
                    N_(
                        "  cure rate, read every day (mSPRT): p = {p}, "
                        "always-valid interval {lower} to {upper}: {hint}"
                    ),
                    p=f"{cure.sequential.p_value:.4f}",
                    lower=f"{cure.sequential.lower:+.4f}",
                    upper=f"{cure.sequential.upper:+.4f}",
                    hint=say(cure.decision.label),
                )
            )
    if found.waiting or found.other_currency:
        _out().print(
            say(
                N_(
                    "{waiting} members wait for their horizon; "
                    "{other} are in another currency (left out of the amounts)"
                ),
                waiting=found.waiting,
                other=found.other_currency,
            )
        )


RATE_NAMES = {
    "cured": N_("Cured"),
    "rolled_forward": N_("Rolled forward"),
    "promise_kept": N_("Promise kept"),
    "complained": N_("Complained"),
    "opted_out": N_("Opted out"),
}


def _rate(interval: statistics.RateInterval | None) -> str:
    if interval is None:
        return "-"
    return f"{interval.rate:.1%} ({interval.lower:.1%}–{interval.upper:.1%})"


def _difference(interval: statistics.DifferenceInterval) -> str:
    return f"{interval.difference:+.1%} ({interval.lower:+.1%} … {interval.upper:+.1%})"


def _amount(value: Decimal | None, currency: str | None) -> str:
    if value is None or currency is None:
        return "-"
    return format_major(int(value.to_integral_value()), currency)


MEASURE_NAMES = {
    "contacted": N_("Contacted"),
    "escalated": N_("Escalated"),
    "high_risk": N_("High-risk band"),
}


@app.command("fairness")
def fairness_report(as_of: AsOfOption = None) -> None:
    """The latest night's fairness report: contact, escalation and score across protected groups,
    each against the largest group, the four-fifths rule as the flag 公平性报告."""
    with work() as (session, _now):
        found = service.fairness_report(session, cli_actor(), _today(as_of))
    if found is None:
        console.print(say(N_("No night has a fairness report yet")))
        return
    night, report = found
    _out().print(
        say(
            N_("Fairness of the night of {day}, actions of the last {days} days"),
            day=night.isoformat(),
            days=report["days"],
        )
    )
    for attribute, by_measure in report["measures"].items():
        table = Table(
            say(
                N_("Group ({attribute}; reference {reference})"),
                attribute=attribute,
                reference=report["reference"][attribute],
            ),
            say(N_("Cases")),
            *(say(MEASURE_NAMES[m]) for m in by_measure),
            box=box.SIMPLE_HEAD,
        )
        groups = [r["group"] for r in next(iter(by_measure.values()))]
        for index, group in enumerate(groups):
            cells = []
            for ratios in by_measure.values():
                r = ratios[index]
                ratio = _shown_ratio(r)
                cells.append(f"{Decimal(r['rate']):.1%}{ratio}{' ⚑' if r['flagged'] else ''}")
            table.add_row(group, f"{next(iter(by_measure.values()))[index]['cases']:,}", *cells)
        _out().print(table)
    _out().print(
        say(
            N_(
                "⚑: the ratio to the reference group is outside 0.8–1.25 (the four-fifths rule): "
                "a question for a person"
            )
        )
    )


def _shown_ratio(ratio: dict[str, Any]) -> str:
    """`` ×1.50 (1.10–2.05)`` beside a rate; `` ×∞`` where the reference has none."""
    if ratio["ratio"] is None:
        return " ×∞" if ratio["flagged"] else ""
    value = f" ×{Decimal(ratio['ratio']):.2f}"
    if ratio["lower"] is None or ratio["upper"] is None:
        return value
    return f"{value} ({Decimal(ratio['lower']):.2f}–{Decimal(ratio['upper']):.2f})"


uplift_app = typer.Typer(
    help="The uplift model of uplift_band 增益模型: who pays because contacted, who pays anyway.",
    no_args_is_help=True,
)
app.add_typer(uplift_app, name="uplift")
RoundsOption = Annotated[
    int | None,
    typer.Option(
        "--rounds",
        min=10,
        max=2000,
        help="Boosting rounds per arm 轮数 (default: each arm's chosen by early stopping).",
    ),
]


@uplift_app.command("train")
def uplift_train(
    experiment: Annotated[
        str | None, typer.Option("--experiment", help="Train on this experiment's arms 实验编号.")
    ] = None,
    arm: Annotated[
        str | None,
        typer.Option(
            "--arm", help="The one arm set against the control (default: every other arm, in one model)."
        ),
    ] = None,
    horizon: HorizonOption = 30,
    simulated: Annotated[
        Path | None,
        typer.Option("--simulated", help="Train on simulated customers treated by this strategy 模拟."),
    ] = None,
    control: Annotated[
        Path | None, typer.Option("--control", help="With --simulated: the control (default: no action).")
    ] = None,
    customers: Annotated[int, typer.Option("--customers", min=1000, help="Simulated customers.")] = 40_000,
    start: Annotated[
        date | None, date_option("--start", help="With --simulated: the first night (default: today).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed.")] = 1,
    rounds: RoundsOption = None,
    gain_threshold: Annotated[
        float | None,
        typer.Option(
            "--gain-threshold",
            help="Gain above it: persuadable; below its minus: do_not_disturb "
            "(default 0.05, or from --contact-cost).",
        ),
    ] = None,
    contact_cost: Annotated[
        str | None,
        typer.Option(
            "--contact-cost",
            help="What contacting a customer costs (e.g. 3.00, in the customers' currency): persuadable "
            "above the break-even gain 联系成本.",
        ),
    ] = None,
    cost_from_arms: Annotated[
        bool,
        typer.Option(
            "--cost-from-arms",
            help="The contact's cost counted from the arms: each treated arm's cost per customer less the "
            "control's, at the strategy's prices per action; several arms each get their own threshold "
            "按组计算联系成本，各组各自的阈值.",
        ),
    ] = False,
    value_per_payer: Annotated[
        str | None,
        typer.Option(
            "--value-per-payer",
            help="With --contact-cost or --cost-from-arms: collected per paying customer "
            "(default: the randomised data's mean).",
        ),
    ] = None,
    sure_threshold: Annotated[
        float,
        typer.Option("--sure-threshold", help="Small gain, paying without contact this likely: sure_thing."),
    ] = 0.5,
    activate: Annotated[bool, typer.Option("--activate", help="Make it the active uplift model.")] = False,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Write each arm's reliability diagram (PNG), out of fold 可靠性图."),
    ] = None,
    as_of: AsOfOption = None,
) -> None:
    """Train the uplift model on randomised arms (an experiment, or simulated customers) and store
    it as the next version of uplift_contact 训练增益模型."""
    from arrears.strategy import uplift

    if (experiment is None) == (simulated is None):
        raise InvalidInputError(N_("give either --experiment CODE or --simulated STRATEGY.yaml"))
    if plot is not None:
        from arrears.scoring.plots import check_png

        check_png(plot)
    thresholds = uplift.Thresholds(gain_threshold, sure_threshold).checked()
    costs = _contact_cost(gain_threshold, contact_cost, value_per_payer, cost_from_arms)
    settings = get_settings()
    bank = service.bank_of(settings)
    with work() as (session, now):
        if experiment is not None:
            holder, found = service.experiment_of(session, cli_actor(), experiment)
            trained = uplift.train_from_experiment(
                session, cli_actor(), found, arm=arm, buckets=bank.bucket_order, horizon_days=horizon,
                as_of=_today(as_of), rounds=rounds, seed=seed, protected=bank.protected, now=now,
                activate=activate, thresholds=thresholds, costs=costs,
                prices=service.document_of(holder).costs,
            )  # fmt: skip
        else:
            assert simulated is not None
            trained = uplift.train_simulated(
                session, cli_actor(), _simulated_plan(simulated, control, customers, horizon, seed, start),
                rounds=rounds, protected=bank.protected, now=now, activate=activate, thresholds=thresholds,
                costs=costs,
            )  # fmt: skip
    _show_uplift(trained)
    if plot is not None:
        _plot_uplift(trained, plot)


def _contact_cost(gain: float | None, cost: str | None, value: str | None, from_arms: bool) -> Any:
    """The break-even's inputs, refused before any work when the threshold is also chosen."""
    from arrears.strategy import uplift_thresholds

    if cost is not None and from_arms:
        raise InvalidInputError(uplift_thresholds.BOTH_COSTS)
    if cost is None and not from_arms:
        if value is not None:
            raise InvalidInputError(uplift_thresholds.VALUE_ALONE)
        return None
    if gain is not None:
        raise InvalidInputError(uplift_thresholds.BOTH)
    return uplift_thresholds.ContactCost(cost, value)


def _plot_uplift(trained: Any, plot: Path) -> None:
    from arrears.scoring.plots import reliability_diagram
    from arrears.scoring.report import metrics_of_record

    arms = {arm: metrics_of_record(found) for arm, found in trained.metrics["calibration"].items()}
    title = f"uplift_contact v{trained.version}: each arm's classifier, out of fold"
    reliability_diagram(arms, title, plot)
    console.print(say(N_("Reliability diagram written to {path}."), path=str(plot)))


def _simulated_plan(
    treatment: Path, control: Path | None, customers: int, days: int, seed: int, start: date | None
) -> Any:
    from arrears.strategy.simulation import pair

    treated = _read(treatment)[1]
    untreated = _read(control)[1] if control is not None else pair.no_action(treated)
    return pair.Plan(
        (untreated, treated),
        (untreated.strategy, treated.strategy),
        customers,
        days,
        seed,
        _today(start),
        pair.bank_for(get_settings()),
    )


def _show_uplift(trained: Any) -> None:
    metrics = trained.metrics
    console.print(
        say(
            N_("Stored uplift_contact version {version}{activated}."),
            version=trained.version,
            activated=say(N_(", and activated")) if trained.activated else "",
        )
    )
    console.print(
        say(
            N_("Qini on {held} held-out customers: {qini}; trained on {trained}."),
            held=f"{metrics['held_out']:,}",
            qini=f"{metrics['qini_held_out']:.3f}",
            trained=f"{metrics['trained_on']:,}",
        )
    )
    if "qini_truth" in metrics:
        console.print(
            say(
                N_("Against the simulator's truth: Qini {truth} (the perfect ranking: {best})."),
                truth=f"{metrics['qini_truth']:.3f}",
                best=f"{metrics['qini_truth_best']:.3f}",
            )
        )
    by_arm = metrics.get("qini_by_arm") or {}
    if len(by_arm) > 1:
        console.print(
            say(
                N_("Qini of each arm against the control: {qinis}."),
                qinis=", ".join(f"{arm} {value:.3f}" for arm, value in by_arm.items()),
            )
        )
    if "rounds" in metrics:
        console.print(
            say(
                N_("Boosting rounds per arm ({how}): {rounds}."),
                how=say(N_("chosen by early stopping"))
                if metrics.get("rounds_chosen")
                else say(N_("as given")),
                rounds=", ".join(f"{arm} {count:,}" for arm, count in metrics["rounds"].items()),
            )
        )
    _show_gain_seen(metrics)
    for arm, found in metrics["calibration"].items():
        console.print(
            say(
                N_(
                    "Arm {arm}, out of fold: {customers} customers, paid {rate}, AUC {auc}, ECE {ece}, "
                    "Brier {brier}."
                ),
                arm=arm,
                customers=f"{found['customers']:,}",
                rate=f"{found['paid_rate']:.2%}",
                auc=f"{found['auc']:.3f}",
                ece=f"{found['ece']:.4f}",
                brier=f"{found['brier']:.4f}",
            )
        )
    bands = ", ".join(f"{name} {count:,}" for name, count in sorted(metrics["held_out_bands"].items()))
    console.print(say(N_("Bands of the held-out customers: {bands}."), bands=bands))
    from arrears.strategy.uplift_thresholds import sentence

    threshold = sentence(metrics.get("threshold_basis"), message_language())
    if threshold is not None:
        console.print(threshold, highlight=False)


def _show_gain_seen(metrics: dict[str, Any]) -> None:
    for group, found in (metrics.get("gain_seen") or {}).items():
        if found["seen"] is None:
            continue
        console.print(
            say(
                N_(
                    "{group}: gain predicted {predicted}, seen {seen} (95% CI {low} to {high}), "
                    "{customers} held-out customers."
                ),
                group=say(N_("All")) if group == "all" else group,
                predicted=f"{found['predicted']:.3f}",
                seen=f"{found['seen']:.3f}",
                low=f"{found['low']:.3f}",
                high=f"{found['high']:.3f}",
                customers=f"{found['customers']:,}",
            )
        )


@uplift_app.command("activate")
def uplift_activate(
    version: Annotated[int, typer.Option("--version", help="The version of uplift_contact 版本.")],
) -> None:
    """Make a version the active uplift model: from the next night, uplift_band is its 启用增益模型."""
    from arrears.strategy import uplift

    with work() as (session, now):
        uplift.activate_version(session, cli_actor(), version, now)
    console.print(say(N_("uplift_contact version {version} is now active"), version=version))
