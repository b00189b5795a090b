"""``dyadwatch rules`` and ``dyadwatch backtest``: the essay's conditional advice, as of any date.

Each command is one call of :mod:`dyadwatch.policy.rules`: :func:`load_rules` then
:func:`evaluate` or :func:`backtest`. A rule that does not load is reported on stderr as
``FILE:LINE: rule ID: message``; the other rules still run, and the exit status is 1.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from dyadwatch.policy.rules import (
    METRICS,
    RuleSet,
    backtest,
    evaluate,
    finding_dict,
    load_rules,
)
from dyadwatch.policy.rules.loader import default_rule_files
from dyadwatch.present.cli.options import DATE, Output, output_options, store_options
from dyadwatch.settings import Settings
from dyadwatch.store import Store

F = TypeVar("F", bound=Callable[..., Any])


def rules_options(func: F) -> F:
    """``--rules PATH`` (repeatable) and ``--with-default``; passes ``rule_paths``."""

    @click.option(
        "--rules",
        "paths",
        multiple=True,
        type=click.Path(path_type=Path, exists=True),
        help="Rule file or directory (repeatable) [default: the shipped rule set].",
    )
    @click.option(
        "--with-default",
        is_flag=True,
        help="With --rules: load the shipped rule set too.",
    )
    @wraps(func)
    def wrapper(*args: Any, paths: tuple[Path, ...], with_default: bool, **kwargs: Any) -> Any:
        if with_default and paths:
            paths = (*default_rule_files(), *paths)
        kwargs["rule_paths"] = paths
        return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _load(rule_paths: tuple[Path, ...]) -> RuleSet:
    rs = load_rules(list(rule_paths) or None)
    for p in rs.problems:
        click.echo(f"error: {p}", err=True)
    return rs


def _finish(rs: RuleSet) -> None:
    if rs.problems:
        click.echo(
            f"{len(rs.problems)} rule problem(s); the {len(rs.rules)} other rule(s) ran.", err=True
        )
        click.get_current_context().exit(1)


def _today() -> date:
    return datetime.now(UTC).date()


@click.group(invoke_without_command=True)
@click.option("--as-of", "as_of", type=DATE, default=None, help="Evaluate as of this day [today].")
@rules_options
@store_options
@output_options
@click.pass_context
def rules(
    ctx: click.Context,
    as_of: date | None,
    rule_paths: tuple[Path, ...],
    settings: Settings,
    output: Output,
) -> None:
    """Evaluate the rules as of a date: met, not met or insufficient data.

    \b
    Example:
      dyadwatch rules --as-of 2021-01-31
      dyadwatch rules explain stop_returning_suspects --as-of 2021-01-31
    """
    if ctx.invoked_subcommand is not None:
        return
    rs = _load(rule_paths)
    day = as_of or _today()
    findings = evaluate(Store.open(settings.store), rs, day) if rs.rules else []
    if output.format == "json":
        output.emit(
            {
                "as_of": day.isoformat(),
                "findings": [finding_dict(f) for f in findings],
                "problems": [p.as_dict() for p in rs.problems],
            }
        )
    else:
        rows = [
            {
                "rule": f.rule_id,
                "status": f.status,
                "lever": f.lever,
                "lever_in_use": f.metrics.get("lever_in_use"),
                "title": f.title,
            }
            for f in findings
        ]
        counts = {s: sum(f.status == s for f in findings) for s in ("met", "not_met")}
        title = (
            f"Rules as of {day}: {counts['met']} met, {counts['not_met']} not met, "
            f"{len(findings) - sum(counts.values())} insufficient data"
        )
        output.emit(rows, title=title if output.format == "table" else None)
    _finish(rs)


@rules.command("explain")
@click.argument("rule_id")
@click.option("--as-of", "as_of", type=DATE, default=None, help="Evaluate as of this day [today].")
@rules_options
@store_options
@output_options
def explain_cmd(
    rule_id: str,
    as_of: date | None,
    rule_paths: tuple[Path, ...],
    settings: Settings,
    output: Output,
) -> None:
    """One rule as of a date: its explanation, metric values and evidence with sources.

    \b
    Example:
      dyadwatch rules explain terrorist_designation_ready --as-of 2021-01-31
    """
    rs = _load(rule_paths)
    rule = rs.get(rule_id)
    day = as_of or _today()
    (finding,) = evaluate(Store.open(settings.store), [rule], day)
    data = finding_dict(finding)
    data.update(
        recommendation=rule.recommendation,
        citation=rule.citation,
        condition=rule.condition.text,
        rule_file=f"{rule.file}:{rule.line}",
    )
    if output.format == "json":
        output.emit(data)
        return
    if output.format == "csv":
        output.emit(data["evidence"])
        return
    click.echo(_explain_text(data))


def _explain_text(d: dict[str, Any]) -> str:
    wrap = textwrap.TextWrapper(width=96, subsequent_indent="  ")
    lines = [
        f"{d['rule_id']}: {d['title']}",
        f"status as of {d['as_of']}: {d['status']}",
        f"lever: {d['lever'] or '-'}    rule: {d['rule_file']}",
        "",
        "condition:",
        *("  " + line for line in " ".join(d["condition"].split()).split("\n")),
        "",
        "explanation:",
        *wrap.wrap("  " + d["explanation"]),
        "",
        "metrics:",
        *(f"  {k} = {v}" for k, v in d["metrics"].items()),
        "",
        "evidence:",
    ]
    for e in d["evidence"]:
        lines.extend(wrap.wrap(f"  [{e['kind']}] {e['date'] or ''} {e['text']}"))
        lines.extend(f"      {u}" for u in e["urls"][:3])
    if not d["evidence"]:
        lines.append("  (none)")
    return "\n".join(lines)


@rules.command("check")
@rules_options
@output_options
def check_cmd(rule_paths: tuple[Path, ...], output: Output) -> None:
    """Load rule files and report every problem (file, line, rule id); exit 1 if any.

    \b
    Example:
      dyadwatch rules check --rules my_rules.yaml
    """
    rs = load_rules(list(rule_paths) or None)
    if output.format == "table":
        for p in rs.problems:
            click.echo(str(p))
        click.echo(f"{len(rs.rules)} rule(s) loaded, {len(rs.problems)} problem(s).", err=True)
    else:
        output.emit([p.as_dict() for p in rs.problems])
    if rs.problems:
        click.get_current_context().exit(1)


@rules.command("metrics")
@output_options
def metrics_cmd(output: Output) -> None:
    """The metrics a condition may call, with their arguments (see docs/rules.md).

    \b
    Example:
      dyadwatch rules metrics
    """
    rows = [
        {
            "metric": m.name,
            "returns": m.returns,
            "arguments": ", ".join(
                p.name + ("" if p.required else f"={p.default}" if p.default is not None else "=")
                for p in m.params
            ),
            "meaning": m.doc,
        }
        for m in METRICS.values()
    ]
    output.emit(rows)


class MonthParam(click.ParamType):
    """``YYYY-MM`` (also ``YYYY-MM-DD``, whose month is used)."""

    name = "month"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value.replace(day=1)
        for fmt in ("%Y-%m", "%Y-%m-%d"):
            try:
                return datetime.strptime(str(value).strip(), fmt).date().replace(day=1)
            except ValueError:
                continue
        self.fail(f"{value!r} is not a month (use YYYY-MM).", param, ctx)


MONTH = MonthParam()


@click.command("backtest")
@click.option("--from", "start", type=MONTH, default="2018-01", show_default=True)
@click.option("--to", "end", type=MONTH, default=None, help="Last month [this month].")
@click.option("--monthly", is_flag=True, help="One row per rule and month instead of a summary.")
@rules_options
@store_options
@output_options
def backtest_cmd(
    start: date,
    end: date | None,
    monthly: bool,
    rule_paths: tuple[Path, ...],
    settings: Settings,
    output: Output,
) -> None:
    """Evaluate the rules at every month's end; when each first held, and when its lever was used.

    Each month sees only what was public by its last day.

    \b
    Example:
      dyadwatch backtest --from 2018-01 --to 2026-03
      dyadwatch backtest --csv --monthly > months.csv
    """
    rs = _load(rule_paths)
    bt = backtest(Store.open(settings.store), rs, start, end)
    if output.format == "json":
        output.emit(
            {
                "from": bt.start.isoformat(),
                "to": bt.end.isoformat(),
                "rules": bt.summary(),
                "monthly": bt.monthly() if monthly else None,
                "problems": [p.as_dict() for p in rs.problems],
            }
        )
    elif monthly:
        output.emit(bt.monthly())
    elif output.format == "csv":
        rows = []
        for s in bt.summary():
            rows.append(
                {
                    **{
                        k: v
                        for k, v in s.items()
                        if k not in ("spells", "lever_spells", "lever_changes")
                    },
                    "spells": ";".join(f"{x['start']}/{x['end']}" for x in s["spells"]),
                    "lever_spells": ";".join(f"{x['start']}/{x['end']}" for x in s["lever_spells"]),
                }
            )
        output.emit(rows)
    else:
        n = len(bt.histories[0].months) if bt.histories else 0
        click.echo(f"Backtest {bt.start} … {bt.end}, {n} months")
        for h in bt.histories:
            s = h.summary()
            click.echo(
                f"\n{h.rule_id} ({h.kind}; lever {h.lever or '-'}): "
                f"met {s['met']}, not met {s['not_met']}, insufficient {s['insufficient_data']}"
            )
            click.echo(
                textwrap.fill(h.verdict(), width=96, initial_indent="  ", subsequent_indent="  ")
            )
            if h.lever_changes:
                changes = ", ".join(f"{d} {st}" for d, st in h.lever_changes)
                click.echo(
                    textwrap.fill(
                        f"lever changes: {changes}",
                        width=96,
                        initial_indent="  ",
                        subsequent_indent="  ",
                    )
                )
    _finish(rs)


__all__ = ["backtest_cmd", "rules"]
