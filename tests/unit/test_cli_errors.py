"""Every CLI error path of issue 17 and issue 14 item 7: one line `error: …`, the right exit code.

Exit codes (dyadwatch.present.cli.main): 1 the command ran and failed, 2 it was given wrong.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from dyadwatch.present.cli.main import COMMANDS, EXIT_RUNTIME, EXIT_USAGE, cli, main
from dyadwatch.present.cli.options import AS_OF, add_common_options

pytestmark = pytest.mark.unit

FUTURE = "2999-01-01"
HEADER = "source_key,event_date,actor1_country,actor2_country,cameo_code,summary\n"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    """The stderr of a failed command: exactly one line, `error: …`; returns its text."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert "Usage:" not in err and "Try '" not in err and "Traceback" not in err
    return lines[0]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A small store: a dozen USA–MEX events, 2020-06 … 2021-05."""
    root = tmp_path_factory.mktemp("cli-errors")
    f = root / "events.csv"
    rows = [
        f"e{i},{2020 + (5 + i) // 12}-{(5 + i) % 12 + 1:02d}-15,USA,MEX,{code},event {i}\n"
        for i, code in enumerate(["036", "042", "111", "173", "057", "112"] * 2)
    ]
    f.write_text(HEADER + "".join(rows))
    assert main(["ingest", "file", str(f), "--store", str(root / "s")]) == 0
    yield str(root / "s")


def all_commands() -> list[tuple[str, click.Command]]:
    """Every command and subcommand, loaded as the top-level group loads them."""
    found: list[tuple[str, click.Command]] = []

    def walk(path: str, command: click.Command) -> None:
        found.append((path, command))
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(f"{path} {name}", sub)

    for name, target in COMMANDS.items():
        module, attr = target.split(":")
        walk(name, add_common_options(getattr(importlib.import_module(module), attr)))
    return found


# --- one style, exit codes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["events", "--bogus"], "no such option '--bogus'"),
        (["evnts"], "no such command 'evnts'. Did you mean events?"),
        (["ingest", "file"], "missing argument 'PATHS...'"),
        (["events", "--limit", "0"], "'--limit': 0 is not in the range x>=1"),
        (["index", "--freq", "fortnight"], "'fortnight' is not one of"),
        (["events", "--json", "--csv"], "choose one of --json and --csv"),
        (["events", "--since", "2021-02-01", "--until", "2021-01-01"], "is after --until"),
        (["update", "gdelt", "--since", "2021-02-01", "--until", "2021-01-01"], "is after --until"),
        (["ingest", "gdlet", "x.csv"], "Did you mean gdelt?"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    code, _, err = run(capsys, *argv, "--store", str(tmp_path / "s"))
    assert code == EXIT_USAGE
    assert needle in one_error_line(err)


def test_unknown_option_points_at_the_commands_help(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(capsys, "update", "gdelt", "--bogus")
    assert one_error_line(err).endswith("(see 'dyadwatch update gdelt --help').")


def test_runtime_errors_are_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "events", "--store", str(tmp_path / "nope"))
    assert code == EXIT_RUNTIME
    assert one_error_line(err).startswith("error: no store at")


def test_help_and_readme_document_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "Exit status: 0 done, 1 the command failed, 2 the command was given wrong" in out
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert "exit status 1" in readme and "exit status 2" in readme


def test_bare_group_prints_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "update")
    assert code == 0 and "gdelt" in out and err == ""


# --- -v and --quiet everywhere -------------------------------------------------------------------


def test_every_command_takes_verbose_and_quiet() -> None:
    missing = [
        path
        for path, command in all_commands()
        if not {"-v", "--verbose", "-q", "--quiet"}
        <= {o for p in command.params for o in getattr(p, "opts", [])}
    ]
    assert missing == []


def test_update_gdelt_accepts_v(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "update", "gdelt", "-v", "--help")
    assert code == 0 and "--quiet" in out


def test_verbose_shows_info_and_quiet_hides_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    f = tmp_path / "ev.csv"
    f.write_text(HEADER + "a,2020-10-15,USA,MEX,173,arrest\n")
    before = logging.getLogger("dyadwatch").level
    with caplog.at_level(logging.DEBUG):
        code, _, err = run(capsys, "init", "--store", str(tmp_path / "s"), "-v")
    assert code == 0 and any("applied migration" in r.getMessage() for r in caplog.records)
    code, _, err = run(capsys, "ingest", "file", str(f), "--store", str(tmp_path / "s"), "-q")
    assert code == 0 and err == ""
    code, _, err = run(capsys, "ingest", "file", str(f), "--store", str(tmp_path / "s"))
    assert code == 0 and "1 unchanged (skipped)" in err
    assert logging.getLogger("dyadwatch").level == before  # main restores it


# --- inputs validated once: dyads and a future --as-of ------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["events", "--dyad", "USA-XYZ"],
        ["index", "--dyad", "USA-XYZ"],
        ["index", "evidence", "2021-01", "--dyad", "USA-XYZ"],
        ["brief", "--dyad", "USA-XYZ"],
        ["release", "create", "--to", "desk", "--as-of", "2021-01-31", "--dyad", "USA-XYZ"],
    ],
)
def test_an_unknown_country_is_one_error_in_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = run(capsys, *argv, "--store", str(tmp_path / "s"))
    assert code == EXIT_USAGE and out == ""
    line = one_error_line(err)
    assert "unknown country code 'XYZ' in dyad 'USA-XYZ'" in line
    assert "cameo_countries.csv" in line


@pytest.mark.parametrize("command", ["rules", "instruments", "events", "status"])
def test_an_unknown_country_in_the_watched_dyads_is_one_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    cfg = tmp_path / "dyadwatch.toml"
    cfg.write_text('dyads = ["USA-MEX", "USA-XYZ"]\n')
    code, out, err = run(capsys, command, "--config", str(cfg), "--store", str(tmp_path / "s"))
    assert code == EXIT_RUNTIME and out == ""
    assert one_error_line(err).startswith(
        "error: setting 'dyads': unknown country code 'XYZ' in dyad 'USA-XYZ'."
    )


def test_a_near_miss_gets_a_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(capsys, "events", "--dyad", "USA-MXE")
    assert "unknown country code 'MXE' in dyad 'USA-MXE'. Did you mean MEX?" in one_error_line(err)


def test_the_library_and_the_api_use_the_same_check(tmp_path: Path, store: str) -> None:
    from dyadwatch.errors import UsageError
    from dyadwatch.present.api.app import create_app
    from dyadwatch.settings import Settings
    from dyadwatch.store import EventFilter, Store, count_events
    from tests.unit.api_support import make_client

    with pytest.raises(UsageError, match="unknown country code 'XYZ'"):
        count_events(Store.open(store), EventFilter(dyad="USA-XYZ"))
    client = make_client(create_app(Settings(store=Path(store))), raise_server_exceptions=False)
    answer = client.get("/api/events", params={"dyad": "USA-XYZ"})
    assert answer.status_code == 422
    assert "unknown country code 'XYZ'" in answer.json()["error"]["message"]


def test_every_as_of_option_refuses_the_future() -> None:
    loose = [
        path
        for path, command in all_commands()
        for p in command.params
        if "--as-of" in getattr(p, "opts", []) and p.type is not AS_OF
    ]
    assert loose == []


@pytest.mark.parametrize(
    "argv",
    [
        ["events"],
        ["index"],
        ["index", "evidence", "2021-01"],
        ["rules"],
        ["instruments"],
        ["indicators"],
        ["brief"],
    ],
)
def test_a_future_as_of_is_the_same_line_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = run(capsys, *argv, "--as-of", FUTURE, "--store", str(tmp_path / "s"))
    assert code == EXIT_USAGE and out == ""
    assert one_error_line(err).startswith(
        f"error: invalid value for '--as-of': as-of date {FUTURE} is in the future: "
        "nothing is known about it yet"
    )


# --- empty results say why ---------------------------------------------------------------------


def test_events_with_no_rows_say_why(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "events", "--until", "1970-12-31", "--store", store)
    assert code == 0 and "(no rows)" in out
    assert err == (
        "note: no events: the period asked (… to 1970-12-31) is before the first record: "
        "events run 2020-06-15 to 2021-05-15.\n"
    )
    _, _, err = run(capsys, "events", "--dyad", "USA-CAN", "--count", "--store", store)
    assert "no events between USA and CAN at any date" in err
    _, _, err = run(capsys, "events", "--as-of", "2019-01-01", "--store", store, "--json")
    assert "none of the events was public by the end of 2019-01-01" in err
    _, _, err = run(capsys, "events", "--source", "gdelt", "--store", store)
    assert "no events of source gdelt (it holds: file)" in err


def test_instruments_and_indicators_with_nothing_say_why(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "instruments", "--as-of", "2021-01-31", "--store", store)
    assert code == 0 and "(no rows)" in out
    assert err.startswith("note: no instrument state was public by the end of 2021-01-31")
    code, _, err = run(capsys, "indicators", "--store", store)
    assert (code, err) == (0, "note: no indicator figures in the store.\n")


def test_evidence_before_the_first_record_is_one_error_with_the_range(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "index", "evidence", "1970-01", "--store", store)
    assert code == EXIT_RUNTIME
    assert one_error_line(err) == (
        "error: 1970-01 is before the first record: the relationship (fused) series runs "
        "2020-06 to 2021-05 (by month)."
    )


@pytest.mark.parametrize("measure", ["relationship", "net_coop"])
def test_lowest_since_outside_the_series_gives_its_range(
    store: str, capsys: pytest.CaptureFixture[str], measure: str
) -> None:
    code, _, err = run(
        capsys,
        "index",
        "lowest-since",
        "1900",
        "--freq",
        "year",
        "--measure",
        measure,
        "--store",
        store,
    )
    assert code == EXIT_RUNTIME
    line = one_error_line(err)
    assert "is empty" not in line
    assert line == (
        f"error: 1900 is before the first record: the {measure} (fused) series runs "
        "2020 to 2021 (by year)."
    )
    _, _, err = run(capsys, "index", "evidence", "2030-01", "--store", store)
    assert "2030-01 is after the last record" in one_error_line(err)


# --- budgets parsed strictly --------------------------------------------------------------------


@pytest.fixture
def five_actors(tmp_path: Path) -> str:
    f = tmp_path / "net.txt"
    f.write_text("a b\nb c\nc d\nd e\ne a\na c\n")
    return str(f)


@pytest.mark.parametrize(
    ("budget", "message"),
    [
        ("200%", "error: --budget 200%: a percent must be above 0% and below 100%."),
        ("150%", "error: --budget 150%: a percent must be above 0% and below 100%."),
        (
            "200",
            "error: --budget 200: the network has 5 actors, so a count must be 1 to 4 (or give "
            "a percent such as 10%, or a share such as 0.1).",
        ),
        (
            "5",
            "error: --budget 5: the network has 5 actors, so a count must be 1 to 4 (or give "
            "a percent such as 10%, or a share such as 0.1).",
        ),
    ],
)
def test_budgets_outside_their_range_are_refused(
    capsys: pytest.CaptureFixture[str], five_actors: str, budget: str, message: str
) -> None:
    code, out, err = run(capsys, "network", "simulate", five_actors, "--budget", budget)
    assert code == EXIT_USAGE and out == ""
    assert one_error_line(err) == message


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("1.5", "neither a share nor a whole count"),
        ("0", "neither a share nor a whole count"),
        ("-3", "neither a share nor a whole count"),
        ("100%", "a percent must be above 0% and below 100%"),
        ("nan", "not a finite number"),
        ("ten", "not a number"),
    ],
)
def test_parse_budget_names_the_valid_ranges(text: str, needle: str) -> None:
    from dyadwatch.errors import UsageError
    from dyadwatch.present.cli.network import parse_budget

    with pytest.raises(UsageError) as caught:
        parse_budget(text, actors=101)
    assert needle in str(caught.value)
    assert "1.5" not in str(caught.value) or text == "1.5"


def test_parse_budget_accepts_the_three_forms() -> None:
    from dyadwatch.present.cli.network import parse_budget

    assert parse_budget("10%", actors=101) == pytest.approx(0.1)
    assert parse_budget("0.25", actors=101) == 0.25
    assert parse_budget("100", actors=101) == 100


# --- long work is never silent ------------------------------------------------------------------


def test_update_gdelt_says_what_it_does_before_failing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "dyadwatch.toml"
    # Port 9 on the loopback interface: refused at once, no network needed (one retry).
    cfg.write_text('gdelt_base_url = "http://127.0.0.1:9"\ndownload_retries = 1\n')
    code, _, err = run(
        capsys,
        "update",
        "gdelt",
        "--since",
        "2021-01-01",
        "--until",
        "2021-01-01",
        "--config",
        str(cfg),
        "--store",
        str(tmp_path / "s"),
    )
    lines = err.splitlines()
    assert code == EXIT_RUNTIME and len(lines) == 2
    assert lines[0] == (
        "reading GDELT's file list at http://127.0.0.1:9 for 2021-01-01 to 2021-01-01 …"
    )
    assert lines[1].startswith("error: cannot fetch http://127.0.0.1:9/")
    quiet = ["update", "gdelt", "--since", "2021-01-01", "-q", "--config", str(cfg)]
    code, _, err = run(capsys, *quiet, "--store", str(tmp_path / "s"))
    assert code == EXIT_RUNTIME and len(err.splitlines()) == 1


# --- ingest file: messages whole, the path once -------------------------------------------------


def test_ingest_file_failure_is_whole_and_names_the_path_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    f = tmp_path / "my-events.csv"
    f.write_text("a,b\n1,2\n")
    with caplog.at_level(logging.WARNING):
        code, out, err = run(capsys, "ingest", "file", str(f), "--store", str(tmp_path / "s"))
    assert code == EXIT_RUNTIME
    assert "header lacks required column(s) source_key, event_date; a canonical event file " in out
    assert out.rstrip().endswith("needs at least source_key, event_date.")
    warnings = [r.getMessage() for r in caplog.records if r.name == "dyadwatch.pipeline"]
    assert len(warnings) == 1 and warnings[0].count("my-events.csv") == 1
    assert "1 failed" in err


def test_a_long_cell_is_cut_after_a_word_and_marked() -> None:
    from dyadwatch.present.cli.options import render

    text = render([{"a": "word " * 20, "b": "last " * 20}], "table")
    first_row = text.splitlines()[2]
    cell = first_row.split("  ")[0]
    assert cell.endswith("word…") and len(cell) <= 60  # cut after a whole word, marked
    assert first_row.endswith("last " * 19 + "last")  # the last column is never cut


# --- the command list ---------------------------------------------------------------------------


def test_the_group_lists_schema() -> None:
    assert "schema" in cli.list_commands(click.Context(cli))
