"""Regenerate dyadwatch/codebooks/data/ from the real CAMEO and PLOVER tables.

The inputs are the third-party files in ``../shared/data/cameo`` and ``../shared/data/plover``
(each folder's PROVENANCE.md names repository, path and commit). This script reads them,
repairs the upstream defects listed in ``FIXES`` (each with what and why), cross-checks the
GDELT tables against the other published copies, and writes small derived tables plus a
generated ``PROVENANCE.md``. The output is deterministic: the same inputs give the same bytes,
and ``tests/sample/test_codebooks_build.py`` checks that the committed files are reproduced.

Usage::

    .venv/bin/python tools/build_codebooks.py                 # rewrite the package data
    .venv/bin/python tools/build_codebooks.py --check         # exit 1 if the data is stale
    .venv/bin/python tools/build_codebooks.py --shared /path/to/shared/data --out /tmp/cb
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "dyadwatch" / "codebooks" / "data"

# Bump the ".dwN" suffix whenever a fix below changes the output for the same inputs.
CAMEO_VERSION = "cameo-1.1b3+gdelt-lookups.dw1"
PLOVER_VERSION = "plover-0.8+cameo2plover-2021-09-17.dw1"

# GDELT 2.0 Event codebook, field QuadClass: 1 Verbal Cooperation, 2 Material Cooperation,
# 3 Verbal Conflict, 4 Material Conflict; GDELT assigns it from the event root code in these
# bands. (py-gdelt's cameo_codes.json uses a different banding; see the cross-check.)
QUAD_BANDS = ((1, 5, 1), (6, 9, 2), (10, 14, 3), (15, 20, 4))

# --- fixes to gdelt_lookups/CAMEO.eventcodes.txt ------------------------------------------
# Every entry says what is wrong upstream and why the replacement is right. Whitespace
# repairs (trailing spaces on 25 names; doubled inner spaces in 031 and 1454) are applied to
# every row by ``_clean`` and listed in PROVENANCE.md, not here.
NAME_FIXES: dict[str, tuple[str, str, str]] = {
    # code: (upstream text, replacement, why)
    "044": (
        "Meet at a \u00d2hird\u00d3location",
        'Meet at a "third" location',
        "mojibake: Mac-Roman curly quotes around 'third' were decoded as \u00d2/\u00d3, "
        "swallowing the 't' and a space; the wording is the CAMEO 1.1b3 manual's (line 973)",
    ),
    "033": (
        "Express intent to provide matyerial aid, not specified below",
        "Express intent to provide material aid, not specified below",
        "typo 'matyerial' (CAMEO manual, py-gdelt, andybega/icews and phoxy spell 'material')",
    ),
    "2041": (
        "Use chemical, biological, or radiologicalweapons",
        "Use chemical, biological, or radiological weapons",
        "missing space (CAMEO 1.1b3 manual and every other copy have it)",
    ),
    "1056": (
        "Demand de-escalation of military engagement106:[-5.0] Demand withdrawal",
        "Demand de-escalation of military engagement",
        "two lines merged: the tail '106:[-5.0] ...' is code 106 in the TABARI "
        "'CODE:[weight] text' layout; it is split off and 106 is added (see ADDED_CODES)",
    ),
    # GDELT's lookup carries pre-1.1 labels for these REQUEST codes. The labels contradict
    # their own child codes (105 'Demand mediation' has children 1051-1056 'Demand easing
    # of ...'), and the CAMEO 1.1b3 manual (lines 1044-1069), the PLOVER crosswalk comments,
    # andybega/icews and py-gdelt all agree on the 1.1b3 labels used here.
    "101": (
        "Demand information, investigation",
        "Demand material cooperation, not specified below",
        "stale pre-1.1 label; its children 1011-1014 are 'Demand ... cooperation'",
    ),
    "105": (
        "Demand mediation",
        "Demand that target yields, not specified below",
        "stale pre-1.1 label; its children 1051-1056 are 'Demand easing/release/...'",
    ),
    "107": (
        "Demand ceasefire",
        "Demand settling of dispute",
        "stale pre-1.1 label (CAMEO 1.1b3 manual line 1068)",
    ),
    "108": (
        "Demand meeting, negotiation",
        "Demand mediation",
        "stale pre-1.1 label (CAMEO 1.1b3 manual line 1069)",
    ),
}

# Codes missing from GDELT's table because of the merged 1056 line above. Goldstein -5.0 is the
# weight written in the merged fragment ('106:[-5.0]') and agrees with andybega/icews.
# The label 'Demand withdrawal' in the fragment is the stale pre-1.1 one; 1.1b3 says:
ADDED_CODES: dict[str, tuple[str, float, str]] = {
    "106": (
        "Demand meeting, negotiation",
        -5.0,
        "lost in the merged 1056 line; label from the CAMEO 1.1b3 manual (line 1067), "
        "Goldstein from the fragment '106:[-5.0]'",
    ),
}

# --- fixes to the other lookups --------------------------------------------------------------
# CAMEO.knowngroup.txt lists two codes twice.
KNOWNGROUP_DUPLICATES: dict[str, tuple[str, str]] = {
    # WTO: the second label only adds the acronym; keep the first.
    "WTO": ("World Trade Organization", "same group listed twice; the second adds '(WTO)'"),
    # CEM: CAMEO really uses one code for two different blocs (COMESA and CEMAC); keep both.
    "CEM": (
        "Common Market for Eastern and Southern Africa / "
        "Monetary and Economic Community of Central Africa",
        "CAMEO gives CEM to two different blocs; both labels are kept, joined by ' / '",
    ),
}

# --- fixes to plover/CAMEO2PLOVER-2021.txt -----------------------------------------------
# code: (upstream (mode, context), fixed (mode, context), why)
PLOVER_FIXES: dict[str, tuple[tuple[str, str], tuple[str, str], str]] = {
    "175": (
        ("pro_autocracy", "military"),
        ("", "pro_autocracy;military"),
        "'pro_autocracy' sits in the MODE slot but is a CONTEXT value everywhere else in the "
        "file (137, 1322-1324, 1722-1724) and is not an ASSAULT mode; moved to CONTEXT",
    ),
    "085": (
        ("ease", "economic"),
        ("", "economic"),
        "the same file notes on 0813 '21.09.17: \"ease\" is no longer a mode'; 085 kept it",
    ),
}


@dataclass(frozen=True)
class Output:
    """One generated file: its name and exact bytes."""

    name: str
    data: bytes


# --- small readers ---------------------------------------------------------------------------


def _read_text(path: Path, encoding: str = "utf-8") -> str:
    return path.read_bytes().decode(encoding)


def _lines(text: str) -> list[str]:
    # splitlines() also swallows CR of CRLF files (py-gdelt's copy) and a missing final newline.
    return text.splitlines()


def _clean(text: str) -> str:
    """Strip and collapse runs of spaces (upstream has trailing and doubled spaces)."""
    return re.sub(r" {2,}", " ", text.strip())


def _tsv(path: Path, *, header: Sequence[str] | None = None) -> list[tuple[str, str]]:
    rows = []
    lines = _lines(_read_text(path))
    if header is not None and lines[0].split("\t") != list(header):
        raise SystemExit(f"{path}: unexpected header {lines[0]!r}; expected {header!r}")
    for line in lines[1:]:
        if not line.strip():
            continue
        code, label = line.split("\t")
        rows.append((code.strip(), label))
    return rows


def _csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue().encode("utf-8")


def _quad_class(root: str) -> int:
    r = int(root)
    for lo, hi, quad in QUAD_BANDS:
        if lo <= r <= hi:
            return quad
    raise SystemExit(f"root {root} is outside CAMEO's 01-20")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _shared_provenance(shared: Path) -> dict[str, tuple[str, str, str]]:
    """Map 'cameo/<file>' → (repo, source path, commit) from the shared PROVENANCE tables."""
    out: dict[str, tuple[str, str, str]] = {}
    for folder in ("cameo", "plover"):
        for line in _lines(_read_text(shared / folder / "PROVENANCE.md")):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) >= 4 and re.fullmatch(r"`[0-9a-f]{40}`", cells[3]):
                name = cells[0].strip("`")
                out[f"{folder}/{name}"] = (cells[1], cells[2].strip("`"), cells[3].strip("`"))
    return out


# --- CAMEO event codes -----------------------------------------------------------------------


@dataclass(frozen=True)
class EventRow:
    code: str
    name: str
    goldstein: float
    quad_class: int
    root: str


def build_events(cameo: Path) -> tuple[list[EventRow], list[str]]:
    """Return the fixed event table and notes on what was repaired."""
    notes: list[str] = []
    names_raw = _tsv(
        cameo / "gdelt_lookups" / "CAMEO.eventcodes.txt",
        header=("CAMEOEVENTCODE", "EVENTDESCRIPTION"),
    )
    gold_raw = _tsv(
        cameo / "gdelt_lookups" / "CAMEO.goldsteinscale.txt",
        header=("CAMEOEVENTCODE", "GOLDSTEINSCALE"),
    )
    names = dict(names_raw)
    gold = {c: float(v) for c, v in gold_raw}
    if len(names) != len(names_raw) or len(gold) != len(gold_raw):
        raise SystemExit("duplicate codes in the GDELT event lookups")
    if set(names) != set(gold):
        raise SystemExit("CAMEO.eventcodes.txt and CAMEO.goldsteinscale.txt list different codes")

    trailing = sorted(c for c, n in names.items() if n != n.rstrip())
    doubled = sorted(c for c, n in names.items() if "  " in n.strip())
    notes.append(
        f"trailing spaces removed from {len(trailing)} names ({', '.join(trailing)}); "
        f"doubled inner spaces collapsed in {', '.join(doubled)}"
    )

    fixed: dict[str, str] = {}
    for code, raw in names.items():
        name = _clean(raw)
        if code in NAME_FIXES:
            upstream, replacement, _why = NAME_FIXES[code]
            if name != upstream:
                raise SystemExit(f"fix for {code} expects {upstream!r}, found {name!r}")
            name = replacement
        fixed[code] = name
    for code, (name, weight, _why) in ADDED_CODES.items():
        if code in fixed:
            raise SystemExit(f"{code} is already in the GDELT table; drop it from ADDED_CODES")
        fixed[code] = name
        gold[code] = weight
    leftovers = [c for c, n in fixed.items() if not n.isascii() or re.search(r"\d:\[", n)]
    if leftovers:
        raise SystemExit(f"unrepaired upstream text in codes {leftovers}")

    rows = []
    for code in sorted(fixed):
        if not re.fullmatch(r"\d{2,4}", code):
            raise SystemExit(f"malformed CAMEO code {code!r}")
        root = code[:2]
        rows.append(EventRow(code, fixed[code], gold[code], _quad_class(root), root))
    return rows, notes


def cross_check_events(cameo: Path, rows: list[EventRow]) -> list[str]:
    """Compare the fixed table with the other copies; return findings as Markdown bullets."""
    ours = {r.code: r for r in rows}
    gdelt_codes = set(ours) - set(ADDED_CODES)
    out: list[str] = []

    def code_diff(label: str, theirs: Iterable[str]) -> None:
        t = set(theirs)
        extra, missing = sorted(t - set(ours)), sorted(set(ours) - t)
        out.append(
            f"{label}: {len(t)} codes; not in ours: {', '.join(extra) or 'none'}; "
            f"ours not in theirs: {', '.join(missing) or 'none'}"
        )

    # CRLF copy of the same GDELT file.
    crlf = cameo / "py-gdelt_LOOKUP-CAMEO.eventcodes.txt"
    raw = crlf.read_bytes()
    crlf_lines = raw.count(b"\r\n")
    same = (
        raw.replace(b"\r\n", b"\n")
        == (cameo / "gdelt_lookups" / "CAMEO.eventcodes.txt").read_bytes()
    )
    out.append(
        f"`py-gdelt_LOOKUP-CAMEO.eventcodes.txt`: CRLF line endings "
        f"({crlf_lines} lines); after CRLF→LF it is "
        f"{'byte-identical to' if same else 'DIFFERENT from'} `gdelt_lookups/CAMEO.eventcodes.txt`"
    )

    # aamend re-save: double-encoded 044.
    aam = dict(_tsv(cameo / "aamend_reference" / "cameoEvent.txt"))
    out.append(
        "`aamend_reference/cameoEvent.txt`: same codes as GDELT "
        f"({'yes' if set(aam) == gdelt_codes else 'NO'}); its 044 is mojibake encoded twice "
        f"({aam.get('044', '')!r}); trailing spaces trimmed; no final newline"
    )

    # phoxy.
    phoxy = _tsv(cameo / "phoxy_CAMEO_event_codes.tsv")
    ph = dict(phoxy)
    bad_codes = [c for c in ph if not re.fullmatch(r"\d{2,4}", c)]
    ph_raw = [
        line.split("\t")[0] for line in _lines(_read_text(cameo / "phoxy_CAMEO_event_codes.tsv"))
    ]
    padded = [c for c in ph_raw[1:] if c != c.strip()]
    differ = sorted(c for c in ph if c in ours and _clean(ph[c]) != ours[c].name)
    out.append(
        f"`phoxy_CAMEO_event_codes.tsv`: {len(ph)} codes, same set as GDELT "
        f"({'yes' if set(ph) == gdelt_codes else 'NO'}); code cells with stray spaces: "
        f"{padded or 'none'}; malformed codes: {bad_codes or 'none'}; names differing from "
        f"ours after fixes: {', '.join(differ) or 'none'} (phoxy writes 044 'Meet at a third "
        "location', keeps the merged 1056 line and the stale 101/105/107/108 labels)"
    )

    # py-gdelt JSON.
    pj = json.loads(_read_text(cameo / "py-gdelt_cameo_codes.json"))
    pg = json.loads(_read_text(cameo / "py-gdelt_cameo_goldstein.json"))
    code_diff("`py-gdelt_cameo_codes.json`", pj)
    quad_diff = sorted(c for c in pj if c in ours and pj[c].get("quad_class") != ours[c].quad_class)
    quad_roots = sorted({c[:2] for c in quad_diff})
    out.append(
        f"`py-gdelt_cameo_codes.json` quad_class differs from GDELT's banding for "
        f"{len(quad_diff)} codes (roots {', '.join(quad_roots)}: py-gdelt puts 09 in 3 and "
        "14 in 4); we follow the GDELT 2.0 codebook"
    )
    name_diff = sorted(c for c in pj if c in ours and _clean(pj[c]["name"]) != ours[c].name)
    out.append(f"`py-gdelt_cameo_codes.json` names differing from ours: {len(name_diff)}")
    gold_diff = sorted(c for c in pg if c in ours and float(pg[c]["value"]) != ours[c].goldstein)
    out.append(
        f"`py-gdelt_cameo_goldstein.json`: Goldstein differs from GDELT's for "
        f"{len(gold_diff)} of {len(set(pg) & set(ours))} shared codes (a different scale; "
        f"e.g. 190 = {pg.get('190', {}).get('value')} vs GDELT "
        f"{ours['190'].goldstein}); not used"
    )
    if "1883" in pj and "183" not in pj:
        out.append(
            "`py-gdelt_cameo_codes.json` has 1883 (label of 183) and lacks 183: a typo upstream"
        )

    # andybega/icews (ICEWS CAMEO table). Its example sentences have broken apostrophes
    # (bytes 82 C4 F4 etc.), so decode with replacement; only code/name/goldstein are read.
    text = (cameo / "andybega_icews_cameo-codes.csv").read_bytes().decode("utf-8", "replace")
    ab = {r["code"]: r for r in csv.DictReader(io.StringIO(text))}
    code_diff("`andybega_icews_cameo-codes.csv`", ab)
    ab_gold = [
        f"{c} (GDELT {ours[c].goldstein:g}, ICEWS {float(ab[c]['goldstein']):g})"
        for c in sorted(ab)
        if c in ours and float(ab[c]["goldstein"]) != ours[c].goldstein
    ]
    out.append(f"`andybega_icews_cameo-codes.csv` Goldstein differences: {'; '.join(ab_gold)}")
    ab_names = sum(1 for c in ab if c in ours and _clean(ab[c]["name"]) != ours[c].name)
    out.append(
        f"`andybega_icews_cameo-codes.csv` names differing from ours: {ab_names} (mostly "
        "ICEWS drops ', not specified below')"
    )

    # gdeltPyR: corrupted; counted, never used.
    gp = json.loads(_read_text(cameo / "gdeltPyR_cameoCodes.json"))
    desc = gp["Description"]
    corrupt = sorted(c for c, d in desc.items() if "[" in d)
    nonstd = sorted(c for c in desc if c not in ours)
    out.append(
        f"`gdeltPyR_cameoCodes.json`: {len(desc)} codes; corrupted descriptions "
        f"(embedded '[weight'): {', '.join(corrupt) or 'none'}; codes not in CAMEO: "
        f"{', '.join(nonstd) or 'none'}; not used as a source"
    )

    # The manual itself.
    manual = _manual_codes(cameo / "codebook" / "CAMEO.Manual.1.1b3.tex")
    code_diff("`codebook/CAMEO.Manual.1.1b3.tex` (event list)", manual)
    return out


def _manual_codes(path: Path) -> dict[str, str]:
    codes: dict[str, str] = {}
    for line in _lines(_read_text(path, "iso-8859-1")):
        line = line.replace("\\noindent", "").replace("\\indent", "")
        m = re.match(r"^\s*(?:\\textbf\{)?(\d{2,4}):\s*(.*?)\}?\\\\", line)
        if m:
            codes[m.group(1)] = m.group(2)
    return codes


# --- CAMEO actor tables ----------------------------------------------------------------------


def build_labels(
    path: Path, duplicates: dict[str, tuple[str, str]] | None = None
) -> tuple[list[tuple[str, str]], list[str]]:
    """Read a CODE<TAB>LABEL lookup; resolve duplicate codes; return rows and notes."""
    rows = [(c, _clean(label)) for c, label in _tsv(path, header=("CODE", "LABEL"))]
    notes: list[str] = []
    counts = Counter(c for c, _ in rows)
    out: dict[str, str] = {}
    for code, label in rows:
        if counts[code] == 1:
            out[code] = label
            continue
        if code in out:
            continue
        labels = sorted({lab for c, lab in rows if c == code})
        if len(labels) == 1:
            out[code] = label
            notes.append(f"{code} listed {counts[code]} times with the same label; kept once")
        elif duplicates and code in duplicates:
            out[code], why = duplicates[code]
            notes.append(f"{code} listed {counts[code]} times ({' | '.join(labels)}): {why}")
        else:
            raise SystemExit(f"{path}: code {code} has conflicting labels {labels}")
    if any(c != c.upper() or not re.fullmatch(r"[A-Z]{3}", c) for c in out):
        raise SystemExit(f"{path}: codes are not three upper-case letters")
    return sorted(out.items()), notes


def build_fips(cameo: Path, countries: dict[str, str]) -> tuple[list[list[str]], list[str]]:
    """FIPS 10-4 → ISO3 → CAMEO country code, from GeoNames countryInfo.txt."""
    lines = _lines(_read_text(cameo / "aamend_reference" / "countryInfo.txt"))
    header = lines[0].split("\t")
    idx = {name: header.index(name) for name in ("ISO3", "fips", "Country")}
    notes: list[str] = []
    by_label: dict[str, list[str]] = {}
    for code, label in countries.items():
        by_label.setdefault(label, []).append(code)
    rows: list[list[str]] = []
    no_fips = []
    legacy = []
    for line in lines[1:]:
        cells = line.split("\t")
        iso3, fips, name = cells[idx["ISO3"]], cells[idx["fips"]], cells[idx["Country"]].strip()
        if not fips:
            no_fips.append(iso3)
            continue
        if iso3 in countries:
            cameo_code = iso3
        elif len(by_label.get(name, [])) == 1:
            # CAMEO keeps some pre-ISO codes (ROM for Romania, TMP for East Timor, ...): match
            # the GeoNames country name exactly against the CAMEO country label.
            cameo_code = by_label[name][0]
            legacy.append(f"{fips}→{iso3}→{cameo_code}")
        else:
            cameo_code = ""
        rows.append([fips, iso3, cameo_code, name])
    if len({r[0] for r in rows}) != len(rows):
        raise SystemExit("duplicate FIPS codes in countryInfo.txt")
    notes.append(f"GeoNames rows without a FIPS code (skipped): {', '.join(sorted(no_fips))}")
    notes.append(f"CAMEO codes that differ from ISO3, matched by exact name: {', '.join(legacy)}")
    unmatched = sorted(r[1] for r in rows if not r[2])
    notes.append(
        f"ISO3 codes with no CAMEO country code (cameo left empty): {', '.join(unmatched)}"
    )

    pc = json.loads(_read_text(cameo / "py-gdelt_countries.json"))
    ours = {r[0]: r[1] for r in rows}
    differ = sorted(f for f in pc if f in ours and pc[f]["iso3"] != ours[f])
    notes.append(
        f"cross-check with `py-gdelt_countries.json` ({len(pc)} FIPS codes): "
        f"only in py-gdelt: {', '.join(sorted(set(pc) - set(ours))) or 'none'}; "
        f"only in GeoNames: {', '.join(sorted(set(ours) - set(pc))) or 'none'}; "
        f"ISO3 disagreements: {', '.join(differ) or 'none'}"
    )
    return sorted(rows), notes


# --- CAMEO → PLOVER ------------------------------------------------------------------------


@dataclass(frozen=True)
class PloverLine:
    line: int
    code: str
    event: str
    mode: str
    context: str


def parse_plover(path: Path) -> list[PloverLine]:
    """Parse ``CODE: EVENT, MODE, CONTEXT # comment`` lines (root lines carry EVENT only)."""
    out = []
    for number, raw in enumerate(_lines(_read_text(path)), 1):
        line = raw.strip()
        if not line or line.startswith(("#", "~")):
            continue
        code, _, rest = line.partition(":")
        body = rest.partition("#")[0]
        fields = [f.strip() for f in body.split(",")]
        if len(fields) == 1:
            fields += ["", ""]
        if len(fields) != 3 or not re.fullmatch(r"\d{2,4}", code.strip()):
            raise SystemExit(f"{path}:{number}: cannot parse {raw!r}")
        event, mode, context = fields
        # Multi-valued contexts are written 'crime; corruption'; store 'crime;corruption'.
        context = ";".join(p.strip() for p in context.split(";") if p.strip())
        out.append(PloverLine(number, code.strip(), event, mode, context))
    return out


def build_crosswalk(
    plover: Path, events: list[EventRow]
) -> tuple[list[list[str]], list[str], list[str]]:
    """Return crosswalk rows, notes on fixes, and the 2019-vs-2021 comparison."""
    lines = parse_plover(plover / "CAMEO2PLOVER-2021.txt")
    notes: list[str] = []
    first: dict[str, PloverLine] = {}
    for pl in lines:
        if pl.code in first:
            prev = first[pl.code]
            same = (prev.event, prev.mode, prev.context) == (pl.event, pl.mode, pl.context)
            notes.append(
                f"{pl.code} appears on lines {prev.line} and {pl.line} "
                f"({'identical fields' if same else f'{prev.event} then {pl.event}'}); "
                "the first is used" + ("" if same else " (it agrees with the code's '0' child)")
            )
            continue
        first[pl.code] = pl
    mapping: dict[str, tuple[str, str, str]] = {}
    for code, pl in first.items():
        mode, context = pl.mode, pl.context
        if code in PLOVER_FIXES:
            upstream, fixed, _why = PLOVER_FIXES[code]
            if (mode, context) != upstream:
                raise SystemExit(
                    f"PLOVER fix for {code} expects {upstream}, found {(mode, context)}"
                )
            mode, context = fixed
        mapping[code] = (pl.event, mode, context)

    event_codes = {e.code for e in events}
    rows: list[list[str]] = []
    for code in sorted(event_codes | set(mapping)):
        if code in mapping:
            event, mode, context = mapping[code]
            rows.append([code, event, mode, context, ""])
        else:
            root = code[:2]
            if root in mapping:
                raise SystemExit(f"{code} unmapped although its root {root} is mapped")
            reason = (
                f"CAMEO root {root} has no entry in CAMEO2PLOVER-2021 (PLOVER Draft 0.8): "
                "no PLOVER event type"
            )
            rows.append([code, "", "", "", reason])
    extra = sorted(set(mapping) - event_codes)
    notes.append(
        f"crosswalk codes not in the GDELT CAMEO table, kept so ICEWS/POLECAT-era codes map "
        f"(andybega/icews lists 1213): {', '.join(extra)}"
    )

    old_lines = parse_plover(plover / "mudflat_CAMEO2PLOVER-2019.txt")
    old: dict[str, PloverLine] = {}
    old_dups = []
    for pl in old_lines:
        if pl.code in old:
            old_dups.append(pl.code)
        else:
            old.setdefault(pl.code, pl)
    new = first
    new_dups = sorted(c for c, n in Counter(pl.code for pl in lines).items() if n > 1)
    changed_type = sorted(c for c in new if c in old and new[c].event != old[c].event)
    changed_mode = sorted(c for c in new if c in old and new[c].mode != old[c].mode)
    changed_ctx = sorted(c for c in new if c in old and new[c].context != old[c].context)
    renames = sorted({f"{old[c].event}→{new[c].event}" for c in changed_type})
    diff = [
        f"codes: 2019 {len(old)}, 2021 {len(new)}; only in 2019: "
        f"{', '.join(sorted(set(old) - set(new))) or 'none'}; only in 2021: "
        f"{', '.join(sorted(set(new) - set(old))) or 'none'}",
        f"duplicated codes: 2019 {', '.join(sorted(set(old_dups)))}; 2021 {', '.join(new_dups)}",
        f"event type changed for {len(changed_type)} codes; renames: {', '.join(renames)}",
        f"mode changed for {len(changed_mode)} codes; context changed for {len(changed_ctx)} codes "
        "(2021 replaces 2019's generic 'government'/'legal'/'political' contexts with "
        "'executive', 'political_institutions', 'rights_freedoms', 'pro_autocracy', ...)",
        f"0314 context: 2019 '{old['0314'].context}', 2021 '{new['0314'].context}'",
        f"185: 2019 {old['185'].event}/{old['185'].mode} (listed under root 13), "
        f"2021 {new['185'].event}/{new['185'].mode}",
    ]
    return rows, notes, diff


# --- PROVENANCE.md -------------------------------------------------------------------------


def provenance(
    shared: Path,
    inputs: dict[str, list[str]],
    cross_inputs: list[str],
    counts: dict[str, int],
    event_notes: list[str],
    cross: list[str],
    type_notes: list[str],
    group_notes: list[str],
    fips_notes: list[str],
    plover_notes: list[str],
    plover_diff: list[str],
) -> bytes:
    prov = _shared_provenance(shared)
    used = sorted({p for files in inputs.values() for p in files} | set(cross_inputs))
    lines = [
        "# PROVENANCE — dyadwatch/codebooks/data",
        "",
        "Generated by `tools/build_codebooks.py` from the files in `../shared/data` (see the",
        "PROVENANCE.md files there). Do not edit by hand: change the build script and re-run it.",
        "",
        "| codebook | version |",
        "| --- | --- |",
        f"| CAMEO (event codes, countries, agent types, known groups, FIPS) | `{CAMEO_VERSION}` |",
        f"| CAMEO → PLOVER crosswalk | `{PLOVER_VERSION}` |",
        "",
        "The `.dwN` suffix counts revisions of dyadwatch's fixes to the same upstream files.",
        "",
        "## Inputs",
        "",
        "| shared file | repository | path in repository | commit | sha256 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rel in used:
        repo, path, commit = prov.get(rel, ("?", "?", "?"))
        lines.append(f"| `{rel}` | {repo} | `{path}` | `{commit}` | `{_sha256(shared / rel)}` |")
    lines += ["", "## Outputs", ""]
    lines += [
        "| file | rows | inputs |",
        "| --- | --- | --- |",
    ]
    for name, files in inputs.items():
        lines.append(f"| `{name}` | {counts[name]} | {', '.join(f'`{f}`' for f in files)} |")
    lines += [
        "| `versions.csv` | 2 | the version strings above |",
        "",
        f"Read for cross-checks only: {', '.join(f'`{f}`' for f in cross_inputs)}.",
    ]

    lines += [
        "",
        "## cameo_events.csv",
        "",
        "Columns `code,name,goldstein,quad_class,root`. `code` is the CAMEO code as a string with",
        "its leading zeros; `name` from `CAMEO.eventcodes.txt`; `goldstein` from",
        "`CAMEO.goldsteinscale.txt`; `root` the first two digits; `quad_class` from the root by",
        "the GDELT 2.0 codebook's QuadClass bands: roots 01-05 → 1 (verbal cooperation),",
        "06-09 → 2 (material cooperation), 10-14 → 3 (verbal conflict), 15-20 → 4 (material",
        "conflict). Rows are sorted by code (which is also CAMEO's hierarchical order).",
        "",
        "Fixes:",
        "",
    ]
    lines += [f"* {n}" for n in event_notes]
    for code, (up, new, why) in NAME_FIXES.items():
        lines.append(f"* {code}: `{up}` → `{new}` — {why}")
    for code, (name, weight, why) in ADDED_CODES.items():
        lines.append(f"* added {code} `{name}` (Goldstein {weight}) — {why}")
    lines += [
        "* `gdeltPyR_cameoCodes.json` is never read for data (its 0872 entry is corrupted).",
        "",
        "Cross-checks against the other copies (reported, not applied):",
        "",
    ]
    lines += [f"* {n}" for n in cross]
    lines += [
        "",
        "## cameo_countries.csv, cameo_types.csv, cameo_knowngroups.csv",
        "",
        "Columns `code,label`, sorted by code; labels stripped of trailing spaces.",
        "",
    ]
    lines += [f"* agent types: {n}" for n in type_notes]
    lines += [f"* known groups: {n}" for n in group_notes]
    lines += [
        "",
        "## fips_countries.csv",
        "",
        "Columns `fips,iso3,cameo,name`: GDELT's geography fields use FIPS 10-4 country codes",
        "(`MX`, `US`); this maps them to ISO 3166 alpha-3 and to the CAMEO actor country code",
        "(usually the ISO3 code). `name` is the GeoNames country name.",
        "",
    ]
    lines += [f"* {n}" for n in fips_notes]
    lines += [
        "",
        "## cameo_plover.csv",
        "",
        "Columns `cameo_code,plover_type,plover_mode,plover_context,unmapped_reason`: one row per",
        "CAMEO code in `cameo_events.csv` plus the crosswalk's extra codes. Mapped rows have an",
        "empty `unmapped_reason`; unmapped rows have empty PLOVER fields and a reason. Empty",
        "mode/context means the crosswalk gives none. Several contexts are joined with `;`.",
        "Root-code lines (`03: AGREE`) give the event type only.",
        "",
        "Fixes and choices:",
        "",
    ]
    lines += [f"* {n}" for n in plover_notes]
    for code, (before, after, why) in PLOVER_FIXES.items():
        was, now = "/".join(f"`{v}`" for v in before), "/".join(f"`{v}`" for v in after)
        lines.append(f"* {code}: mode/context {was} → {now} — {why}")
    lines += [
        "",
        "Differences between `mudflat_CAMEO2PLOVER-2019.txt` and `CAMEO2PLOVER-2021.txt`",
        "(the 2021 table is used):",
        "",
    ]
    lines += [f"* {n}" for n in plover_diff]
    lines += [
        "",
        "## Licences",
        "",
        "These tables carry facts (codes, weights, mappings) and short code names only; see the",
        "licence column of the shared PROVENANCE.md files for each upstream repository",
        "(PLOVER: CC BY-SA 4.0; spark-gdelt: Apache-2.0; andybega/icews, py-gdelt, phoxy: MIT;",
        "moxious/gdelt: none stated).",
        "",
    ]
    return "\n".join(lines).encode("utf-8")


# --- driver --------------------------------------------------------------------------------


def build(shared: Path) -> list[Output]:
    """Build every output file from ``shared`` (the ``../shared/data`` folder)."""
    cameo, plover = shared / "cameo", shared / "plover"
    events, event_notes = build_events(cameo)
    cross = cross_check_events(cameo, events)
    countries, _ = build_labels(cameo / "aamend_reference" / "cameoCountry.txt")
    types, type_notes = build_labels(cameo / "gdelt_lookups" / "CAMEO.type.txt")
    groups, group_notes = build_labels(
        cameo / "gdelt_lookups" / "CAMEO.knowngroup.txt", KNOWNGROUP_DUPLICATES
    )
    fips, fips_notes = build_fips(cameo, dict(countries))
    crosswalk, plover_notes, plover_diff = build_crosswalk(plover, events)

    files: dict[str, bytes] = {
        "cameo_events.csv": _csv_bytes(
            ("code", "name", "goldstein", "quad_class", "root"),
            ((e.code, e.name, f"{e.goldstein:.1f}", e.quad_class, e.root) for e in events),
        ),
        "cameo_countries.csv": _csv_bytes(("code", "label"), countries),
        "cameo_types.csv": _csv_bytes(("code", "label"), types),
        "cameo_knowngroups.csv": _csv_bytes(("code", "label"), groups),
        "fips_countries.csv": _csv_bytes(("fips", "iso3", "cameo", "name"), fips),
        "cameo_plover.csv": _csv_bytes(
            ("cameo_code", "plover_type", "plover_mode", "plover_context", "unmapped_reason"),
            crosswalk,
        ),
        "versions.csv": _csv_bytes(
            ("codebook", "version"), (("cameo", CAMEO_VERSION), ("plover", PLOVER_VERSION))
        ),
    }
    inputs = {
        "cameo_events.csv": [
            "cameo/gdelt_lookups/CAMEO.eventcodes.txt",
            "cameo/gdelt_lookups/CAMEO.goldsteinscale.txt",
        ],
        "cameo_countries.csv": ["cameo/aamend_reference/cameoCountry.txt"],
        "cameo_types.csv": ["cameo/gdelt_lookups/CAMEO.type.txt"],
        "cameo_knowngroups.csv": ["cameo/gdelt_lookups/CAMEO.knowngroup.txt"],
        "fips_countries.csv": [
            "cameo/aamend_reference/countryInfo.txt",
            "cameo/aamend_reference/cameoCountry.txt",
        ],
        "cameo_plover.csv": ["plover/CAMEO2PLOVER-2021.txt"],
    }
    cross_inputs = [
        "cameo/py-gdelt_LOOKUP-CAMEO.eventcodes.txt",
        "cameo/aamend_reference/cameoEvent.txt",
        "cameo/phoxy_CAMEO_event_codes.tsv",
        "cameo/py-gdelt_cameo_codes.json",
        "cameo/py-gdelt_cameo_goldstein.json",
        "cameo/py-gdelt_countries.json",
        "cameo/andybega_icews_cameo-codes.csv",
        "cameo/gdeltPyR_cameoCodes.json",
        "cameo/codebook/CAMEO.Manual.1.1b3.tex",
        "plover/mudflat_CAMEO2PLOVER-2019.txt",
    ]
    counts = {name: data.count(b"\n") - 1 for name, data in files.items()}
    files["PROVENANCE.md"] = provenance(
        shared,
        inputs,
        cross_inputs,
        counts,
        event_notes,
        cross,
        type_notes,
        group_notes,
        fips_notes,
        plover_notes,
        plover_diff,
    )
    return [Output(name, data) for name, data in sorted(files.items())]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="../shared/data")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare with --out instead of writing; exit 1 if stale",
    )
    args = parser.parse_args(argv)
    outputs = build(args.shared)
    stale = []
    for out in outputs:
        target = args.out / out.name
        current = target.read_bytes() if target.exists() else None
        if current == out.data:
            continue
        stale.append(out.name)
        if not args.check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(out.data)
    verb = "stale" if args.check else "written"
    print(f"{len(outputs)} files, {len(stale)} {verb}: {', '.join(stale) or '-'}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
