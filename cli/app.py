"""The `oneonone` command line: the same flows as the deployment, run in-process.

Each command imports what it needs when it runs: `sql`, `explain`, `doctor`, `init` and
`--help` never load Prefect, the flows or the dashboard's libraries, so they answer in
well under a second.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

from core.errors import BadInputError, OneOnOneError, WarehouseBusyError
from runtime import heap
from runtime.terminal import text

if TYPE_CHECKING:
    from runtime.config import Config

app = typer.Typer(
    help="Analytics for manager–report 1:1 meetings from Google and Microsoft calendars.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="TOML configuration file (default: the sandbox)."),
]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Compute metrics as of this date (YYYY-MM-DD; default today)."),
]

VerboseOption = Annotated[
    bool, typer.Option("--verbose", "-v", help="Log lines instead of a progress bar.")
]


@contextmanager
def _progress_bar(verbose: bool) -> Iterator[None]:
    """A bar of calendars synced on a terminal; log lines elsewhere or with --verbose."""
    if verbose or not err.is_terminal:
        yield
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from runtime.engine import showing_progress

    columns = (
        TextColumn("Syncing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("calendars", total=None)

        def update(done: int, total: int, events: int) -> None:
            bar.update(task, completed=done, total=total, description=f"{events:,} events read")

        with showing_progress(update):
            yield


def _check_inputs(settings: Config) -> None:
    """The checks the run's flow starts with, made before Prefect loads: bad input is
    told in a second, not after the flow machinery has started."""
    from reports import check_out_dir
    from runtime.resources import check_inputs

    check_out_dir(settings.report.out_dir)
    check_inputs(settings)


def _print_headline(settings: Config) -> None:
    from cli.headline import read_headline

    for line in read_headline(settings.warehouse.path, settings.metrics.window_days):
        out.print(text(line), highlight=False)


def _load(config_path: Path | None, banner: bool = True) -> Config:
    """The configuration every command runs with, and a banner when it is the sandbox's."""
    from runtime.config import load_config

    config = load_config(config_path)
    if config.uses_sandbox and banner:
        err.print(
            "[bold yellow]Using the built-in sandbox organisation[/] (synthetic data served"
            " on 127.0.0.1). Pass --config to use your own tenants."
        )
    return config


def _date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInputError(f"{option}: expected a date YYYY-MM-DD, got {value!r}") from None


def _as_of(text: str | None, config: Config) -> date:
    from runtime.config import today_in

    return _date("--as-of", text) or today_in(config.org.timezone)


def _start_run() -> None:
    """Before a flow command loads its modules: no garbage collection while they load
    (they make next to none; `run_flow` settles the collector for the run), and the
    run's logging."""
    heap.hold()
    _run_logging()


def _run_logging() -> None:
    """Prefect's own chatter off (if a run loads it); our progress lines (logger
    `oneonone`) on stderr, through a handler of ours: a run without a Prefect API never
    loads Prefect, nor its console handler."""
    import os

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    logger = logging.getLogger("oneonone")
    logger.setLevel(logging.INFO)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s.%(msecs)03d | %(levelname)-7s | %(name)s - %(message)s", "%H:%M:%S"
            )
        )
        logger.addHandler(handler)


class _StderrHandler(logging.StreamHandler):
    """Writes to the current `sys.stderr` (a test's runner swaps it between commands)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


@app.command()
def run(
    config: ConfigOption = None, as_of: AsOfOption = None, verbose: VerboseOption = False
) -> None:
    """Sync every calendar, build the warehouse and write the dashboard."""
    _run(_load(config), as_of, verbose)


def _run(settings: Config, as_of: str | None, verbose: bool) -> None:
    day = _as_of(as_of, settings)
    _check_inputs(settings)
    _start_run()
    from flows.pipeline import weekly_report
    from runtime.engine import run_flow

    with _progress_bar(verbose):
        dashboard = run_flow(weekly_report, config=settings, as_of=day)
    _print_headline(settings)
    out.print(Text.assemble("Warehouse: ", text(settings.warehouse.path)))
    out.print(Text.assemble("Dashboard: ", text(dashboard, "bold")))


@app.command()
def sync(
    config: ConfigOption = None, as_of: AsOfOption = None, verbose: VerboseOption = False
) -> None:
    """Sync every roster member's calendar into the warehouse (no build)."""
    settings = _load(config)
    _start_run()
    from flows.sync import sync_flow
    from runtime.engine import run_flow

    day = _as_of(as_of, settings)
    with _progress_bar(verbose):
        summary = run_flow(sync_flow(settings), config=settings, as_of=day)
    out.print(
        f"Synced {summary.calendars_synced} calendars, {len(summary.calendars_failed)} failed,"
        f" {summary.events_read} events read; waited {summary.waited_on_limits_s:.1f} s on"
        f" provider limits, {summary.waited_on_retries_s:.1f} s on retries."
    )


@app.command()
def build(config: ConfigOption = None, as_of: AsOfOption = None) -> None:
    """Rebuild occurrences and metric tables from what was synced."""
    settings = _load(config)
    _start_run()
    from flows.build import build_flow
    from runtime.engine import run_flow

    counts = run_flow(build_flow(settings), config=settings, as_of=_as_of(as_of, settings))
    out.print(f"Built {counts.get('occurrences', 0):,} occurrences.")
    _print_headline(settings)


@app.command()
def report(config: ConfigOption = None, as_of: AsOfOption = None) -> None:
    """Render the dashboard from the warehouse without syncing."""
    settings = _load(config)
    _start_run()
    from flows.pipeline import render_reports_flow
    from runtime.engine import run_flow

    dashboard = run_flow(render_reports_flow, config=settings, as_of=_as_of(as_of, settings))
    out.print(Text.assemble("Dashboard: ", text(dashboard, "bold")))


@app.command()
def backfill(
    config: ConfigOption = None,
    start: Annotated[
        str | None, typer.Option(help="First as-of date (YYYY-MM-DD; default 12 weeks ago).")
    ] = None,
    end: Annotated[str | None, typer.Option(help="Last as-of date (default today).")] = None,
    every_days: Annotated[int, typer.Option(help="Days between as-of dates.")] = 7,
) -> None:
    """Fill the history tables with the metrics as of past dates (syncs nothing)."""
    settings = _load(config)
    _start_run()
    from flows.backfill import backfill_history
    from runtime.engine import run_flow

    first, last = _date("--start", start), _date("--end", end)
    rows = run_flow(backfill_history, config=settings, start=first, end=last, every_days=every_days)
    out.print(f"Backfilled {len(rows)} as-of dates into the history tables.")


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="A read-only SQL query.")],
    config: ConfigOption = None,
) -> None:
    """Run a read-only SQL query on the warehouse and print the result."""
    from rich.table import Table

    from warehouse import query_read_only

    settings = _load(config)
    columns, rows = query_read_only(settings.warehouse.path, query)
    table = Table(show_lines=False)
    for column in columns:
        table.add_column(text(column))
    for row in rows:
        table.add_row(*(text("" if value is None else value) for value in row))
    out.print(table)
    out.print(f"({len(rows)} rows)")


@app.command()
def explain(
    report_email: Annotated[str, typer.Argument(help="The report whose 1:1s to explain.")],
    config: ConfigOption = None,
    as_of: AsOfOption = None,
) -> None:
    """Show a report's 1:1s in the window and how each metric of the pair was reached."""
    from runtime.context import build_context
    from warehouse import Warehouse, explain_pair

    settings = _load(config)
    with Warehouse(settings.warehouse.path, read_only=True) as warehouse:
        explanation = explain_pair(
            warehouse, report_email.lower(), build_context(settings, _as_of(as_of, settings))
        )
    out.print(text(explanation), highlight=False)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the file.")] = Path("oneonone.toml"),
) -> None:
    """Write a commented configuration file to start from."""
    from cli.templates import CONFIG_TEMPLATE

    if path.exists():
        raise BadInputError(f"{path}: already exists; not overwriting it")
    path.write_text(CONFIG_TEMPLATE, encoding="utf-8")
    path.chmod(0o600)
    out.print(text(f"Wrote {path}. Edit it, then: oneonone doctor --config {path}"))


@app.command()
def sandbox(
    directory: Annotated[Path, typer.Option(help="Where to keep keys and the roster.")] = Path(
        ".oneonone/sandbox"
    ),
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 = any free port).")] = 8443,
    size: Annotated[int, typer.Option(help="People in the synthetic organisation.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed of the organisation.")] = 7,
) -> None:
    """Serve the sandbox organisation for manual use and print the config to reach it."""
    from runtime.resources import serve_sandbox

    serve_sandbox(directory, port, size, seed, out)


ProviderArgument = Annotated[
    str, typer.Argument(help="google or microsoft.", metavar="google|microsoft")
]


def _provider(value: str) -> str:
    name = value.strip().lower()
    if name not in ("google", "microsoft"):
        raise BadInputError(f"login: expected google or microsoft, got {value!r}")
    return name


@app.command()
def login(
    provider: ProviderArgument,
    config: ConfigOption = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the sign-in address instead (Google).")
    ] = False,
    account: Annotated[
        str | None, typer.Option(help="The Google account to offer on the sign-in page.")
    ] = None,
) -> None:
    """Sign in as yourself (no admin needed) to read your own calendar."""
    from cli.signin import sign_in

    settings = _load(config)
    who, where = sign_in(
        settings, _provider(provider), open_browser=not no_browser, show=_show, account=account
    )
    out.print(text(f"Signed in as {who}; tokens kept in {where}."))


@app.command()
def logout(provider: ProviderArgument, config: ConfigOption = None) -> None:
    """Forget the tokens `oneonone login` kept."""
    from runtime.one_manager import token_store

    store = token_store(_load(config), _provider(provider))  # type: ignore[arg-type]
    forgotten = store.delete()
    out.print(text(f"{'Forgot' if forgotten else 'No'} sign-in kept in {store.where()}."))


def _show(message: str) -> None:
    err.print(text(message), highlight=False, soft_wrap=True)


@app.command(name="import")
def import_calendar(
    calendar_file: Annotated[Path, typer.Argument(help="A calendar exported as .ics.")],
    config: ConfigOption = None,
    owner: Annotated[
        str | None, typer.Option(help="Whose calendar it is (default: from the file).")
    ] = None,
    as_of: AsOfOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Read a calendar exported from Google Calendar or Outlook, then build and report."""
    settings = _load(config, banner=False)
    roster = settings.roster.model_copy(
        update={
            "source": "ics",
            "calendar_file": calendar_file.resolve(),
            "owner": owner.strip().lower() if owner else settings.roster.owner,
        }
    )
    settings = settings.model_copy(update={"roster": roster})
    if not roster.reports and roster.path is None:
        raise BadInputError(
            "roster.reports: list your reports' addresses in the configuration"
            " (or give them in a CSV, roster.path); expected with --config"
        )
    _run(settings, as_of, verbose)


@app.command()
def doctor(config: ConfigOption = None) -> None:
    """Check configuration, credentials and permissions, and say what is missing."""
    from cli.doctor import run_checks

    settings = _load(config)
    ok = run_checks(settings, _as_of(None, settings), out)
    if not ok:
        raise typer.Exit(1)


def main() -> None:
    """Console entry point: known errors become a message and an exit code, not a trace."""
    heap.one_command_process()
    code = _run_command()
    heap.leave(code)
    sys.exit(code)


def _run_command() -> int:
    """The command line's command, run: its exit code."""
    try:
        app()
    except (BadInputError, WarehouseBusyError) as error:  # fix the input, or come back later
        err.print(Text.assemble(("error:", "bold red"), " ", text(error)), highlight=False)
        return 2
    except OneOnOneError as error:
        err.print(Text.assemble(("failed:", "bold red"), " ", text(error)), highlight=False)
        return 1
    except SystemExit as leaving:  # how Typer ends every command, done or not
        if leaving.code is None or isinstance(leaving.code, int):
            return leaving.code or 0
        raise
    return 0
