"""``dyadwatch code``: text in English or Spanish → events, printed as they are coded."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import click

from dyadwatch.coding import Coder, read_documents
from dyadwatch.errors import ArtifactError
from dyadwatch.present.cli.options import quiet

CSV_COLUMNS = (
    "id",
    "status",
    "reason",
    "doc_penta_class",
    "sentence",
    "span_start",
    "span_end",
    "penta_class",
    "cameo_root",
    "cameo_code",
    "quad_class",
    "plover_type",
    "plover_mode",
    "confidence",
    "source_text",
    "source_country",
    "source_sector",
    "target_text",
    "target_country",
    "target_sector",
    "date",
    "known_at",
    "text",
)


def _flat(doc: dict[str, Any]) -> list[dict[str, Any]]:
    base = {
        "id": doc["id"],
        "status": doc["status"],
        "reason": doc["reason"],
        "doc_penta_class": doc["penta_class"],
    }
    if not doc["events"]:
        return [base]
    rows = []
    for e in doc["events"]:
        src, tgt = e["source"] or {}, e["target"] or {}
        rows.append(
            {
                **base,
                "sentence": e["sentence"],
                "span_start": e["span"][0],
                "span_end": e["span"][1],
                "penta_class": e["penta_class"],
                "cameo_root": e["cameo_root"],
                "cameo_code": e["cameo_code"],
                "quad_class": e["quad_class"],
                "plover_type": e["plover_type"],
                "plover_mode": e["plover_mode"],
                "confidence": e["confidence"],
                "source_text": src.get("text"),
                "source_country": src.get("country"),
                "source_sector": src.get("sector"),
                "target_text": tgt.get("text"),
                "target_country": tgt.get("country"),
                "target_sector": tgt.get("sector"),
                "date": e["date"],
                "known_at": e["known_at"],
                "text": e["text"],
            }
        )
    return rows


def _table_lines(doc: dict[str, Any]) -> list[str]:
    head = f"{doc['id']}"
    if doc["status"] != "ok":
        return [f"{head}  QUARANTINED: {doc['reason']}"]
    label = doc["penta_label"] or "-"
    lines = [
        f"{head}  [{doc['lang'] or '?'}] penta {doc['penta_class']} ({label}), "
        f"{len(doc['events'])} event(s) in {doc['sentences']} sentence(s)"
    ]
    for note in doc["notes"]:
        lines.append(f"  note: {note}")

    def actor(a: dict[str, Any] | None) -> str:
        if not a:
            return "-"
        where = "/".join(x for x in (a["country"], a["sector"]) if x) or "unknown"
        return f"{a['text']} ({where})"

    for e in doc["events"]:
        lines.append(
            f"  s{e['sentence']} {e['span'][0]}-{e['span'][1]}  CAMEO {e['cameo_code'] or '-'} "
            f"(root {e['cameo_root'] or '-'}, quad {e['quad_class']})  "
            f"PLOVER {e['plover_type']}{'/' + e['plover_mode'] if e['plover_mode'] else ''}  "
            f"penta {e['penta_class']}  conf {e['confidence']:.2f}  "
            f"{actor(e['source'])} -> {actor(e['target'])}  date {e['date'] or '-'}"
        )
    return lines


@click.command()
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--lang",
    type=click.Choice(["en", "es", "auto"]),
    default="auto",
    show_default=True,
    help="Language of the text; auto detects it per sentence.",
)
@click.option("--lines", is_flag=True, help="Each line of a .txt file is one document.")
@click.option("--json", "as_json", is_flag=True, help="A JSON list, one object per document.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV, one row per event.")
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=64),
    default=1,
    show_default=True,
    help="Processes to code with (2 uses both cores of a two-core machine).",
)
def code(
    paths: tuple[Path, ...], lang: str, lines: bool, as_json: bool, as_csv: bool, workers: int
) -> None:
    """Code text (.txt), JSON Lines (.jsonl: text, published, url, id) or CSV documents into events.

    For every document: CAMEO code and root, PLOVER type and mode, quad and penta class,
    source and target actors with country and sector, date, calibrated confidence, sentence
    span and known_at (the document's publication time). A document that cannot be coded is
    printed as quarantined, with its reason, in its place. Throughput goes to stderr.

    \b
    Examples:
      dyadwatch code statement.txt
      dyadwatch code news.jsonl --json
      dyadwatch code headlines.txt --lines --lang es --csv --workers 2
    """
    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv.")
    coder = Coder.load()
    docs = read_documents(list(paths), lang=None if lang == "auto" else lang, lines=lines)
    out = sys.stdout
    writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore") if as_csv else None
    if writer:
        writer.writeheader()
    elif as_json:
        out.write("[")
    count = quarantined = 0
    for coded in coder.code_documents(docs, workers=workers):
        doc = coded.to_dict()
        if as_json:
            out.write(("\n" if count == 0 else ",\n") + json.dumps(doc, ensure_ascii=False))
        elif writer:
            for row in _flat(doc):
                writer.writerow(row)
        else:
            out.write("\n".join(_table_lines(doc)) + "\n")
        out.flush()
        count += 1
        quarantined += coded.status != "ok"
    if as_json:
        out.write("\n]\n" if count else "]\n")
    t = coder.throughput
    if not quiet():
        click.echo(
            f"{count} document(s), {quarantined} quarantined; {t.sentences} sentence(s), "
            f"{t.per_core:,.0f} sentences/s per core ({t.workers} worker(s)); "
            f"coder {coder.version}",
            err=True,
        )
    if count and quarantined == count:
        raise ArtifactError(
            "every document was quarantined; the reason of each is printed with it above."
        )
