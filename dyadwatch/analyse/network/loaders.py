"""Read criminal-network files into :class:`~dyadwatch.analyse.network.graph.Network`.

Generic formats (for users' own data):

* edge lists (CSV, TSV, ``;`` or ``|`` separated; with or without a header; with or without
  weights; an optional ``layer``/``type``/``relationship`` column makes layers),
* UCINET-style adjacency matrices exported as CSV (first row and column are labels; a
  rectangular persons × events matrix is two-mode and is projected onto persons),
* node attribute tables (roles, ranks, families),
* GraphML (through igraph) and GEXF 1.x (a small reader over ``xml.etree``).

Dataset folders under ``../shared/data/networks`` (see its PROVENANCE.md) have named loaders:
:func:`load_montagna`, :func:`load_caviar`, :func:`load_bacrim2020`, :func:`load_pandillas`,
:func:`load_noordin`, :func:`load_koschade`. :func:`load` picks one from a path.

Text handling: a UTF-8 (or UTF-16) byte-order mark is dropped, CR and CRLF line endings are
read as LF (Montagna's sightings file uses old-Mac CR), and a file that is not UTF-8 is read
as Windows-1252/Latin-1. Any malformed file raises
:class:`~dyadwatch.errors.NetworkFormatError` naming the file and line.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import igraph
import pyarrow as pa

from dyadwatch.errors import NetworkFormatError, UsageError, did_you_mean

from .graph import EDGE_SCHEMA, Network

log = logging.getLogger(__name__)

Format = Literal[
    "auto",
    "edgelist",
    "matrix",
    "graphml",
    "gexf",
    "montagna",
    "caviar",
    "bacrim2020",
    "pandillas",
    "noordin",
    "koschade",
]
FORMATS: tuple[str, ...] = get_args(Format)

SOURCE_NAMES = {"source", "from", "i", "node", "src", "ego", "actor1", "sender", "head", "v1"}
TARGET_NAMES = {"target", "to", "j", "rnode", "dst", "alter", "actor2", "receiver", "tail", "v2"}
WEIGHT_NAMES = {"weight", "w", "value", "count", "strength", "calls"}
LAYER_NAMES = {"layer", "type", "relationship", "tie_type", "relation_type"}
ID_NAMES = ("node", "id", "name", "actor", "label", "grupo", "group")
MATRIX_CORNERS = {"", "players", "actors", "nodes", "id", "label"}

MONTAGNA_TITLES = ("boss", "underboss", "executive", "soldier")
"""Montagna ``title`` values, most senior first (hand-coded from Ficara et al. 2019 figures)."""


def read_text(path: str | Path) -> str:
    """Return a file's text with BOM dropped, line endings normalised to ``\\n``.

    UTF-8 first; a file that is not valid UTF-8 is read as Windows-1252 (a superset of the
    printable Latin-1 range), falling back to Latin-1 itself.

    Raises
    ------
    NetworkFormatError
        If the file does not exist, is a folder, or holds nothing but whitespace.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_bytes(b"\\xef\\xbb\\xbfa,b\\rc,d\\r")
    >>> read_text(p)
    'a,b\\nc,d\\n'
    """
    p = Path(path)
    if not p.exists():
        raise NetworkFormatError(f"{p}: no such file. Check the path (and the current folder).")
    if p.is_dir():
        raise NetworkFormatError(f"{p}: is a folder; pass a file, or use a dataset --format.")
    raw = p.read_bytes()
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
        encoding = "utf-8"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
            encoding = "cp1252"
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
            encoding = "latin-1"
        log.info("%s is not UTF-8; read as %s", p, encoding)
    if encoding == "utf-16" and text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise NetworkFormatError(f"{p}: the file is empty. Export the network again.")
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True, slots=True)
class _Rows:
    """Parsed CSV rows with the physical line each starts on."""

    path: Path
    rows: list[list[str]]
    lines: list[int]


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best]:
        return best
    return " " if len(first_line.split()) > 1 else ","


def read_rows(path: str | Path, *, delimiter: str | None = None) -> _Rows:
    """Read a delimited file into rows (blank lines skipped), remembering line numbers."""
    p = Path(path)
    text = read_text(p)
    first = next(line for line in text.split("\n") if line.strip())
    delim = delimiter or _sniff_delimiter(first)
    reader = csv.reader(
        io.StringIO(text), delimiter=delim, skipinitialspace=delim == " ", strict=True
    )
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append([cell.strip() for cell in row])
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise NetworkFormatError(f"{p}, line {reader.line_num}: {exc}.") from None
    return _Rows(p, rows, lines)


def _number(text: str, rows: _Rows, k: int, column: str) -> float:
    if text == "":
        return 0.0
    try:
        value = float(text.replace(",", ".") if text.count(",") == 1 else text)
    except ValueError:
        value = math.nan
    if math.isnan(value) or math.isinf(value):
        raise NetworkFormatError(
            f"{rows.path}, line {rows.lines[k]}, column {column!r}: {text!r} is not a number."
            " Fix the cell or point --format at the right reader."
        )
    return value


def _is_number(text: str) -> bool:
    try:
        return not math.isnan(float(text))
    except ValueError:
        return False


def _find(header: list[str], names: set[str], given: str | None, what: str, rows: _Rows) -> int:
    lowered = [h.lower() for h in header]
    if given is not None:
        if given.lower() in lowered:
            return lowered.index(given.lower())
        raise NetworkFormatError(
            f"{rows.path}: no {what} column {given!r}.{did_you_mean(given, header)} "
            f"Columns: {', '.join(header)}."
        )
    for i, h in enumerate(lowered):
        if h in names:
            return i
    return -1


def read_edgelist(
    path: str | Path,
    *,
    source: str | None = None,
    target: str | None = None,
    weight: str | None = None,
    layer_column: str | None = None,
    layer: str | None = None,
    header: bool | None = None,
    directed: bool = False,
    name: str | None = None,
) -> Network:
    """Read an edge list: one tie per line, ``source, target[, weight][, …]``.

    Parameters
    ----------
    path
        The file (``,``, ``;``, tab, ``|`` or space separated).
    source, target, weight
        Header names of those columns (default: recognised names such as ``source``/``from``/
        ``i``, ``target``/``to``/``j``, ``weight``; else the first three columns).
    layer_column
        A column whose values name each tie's layer (default: a column named ``layer``,
        ``type`` or ``relationship`` if there is one).
    layer
        Layer name when there is no layer column (default: the file stem).
    header
        Whether the first row is a header (default: guessed from recognised names).
    directed
        Record that the ties are directed (informational; analysis is undirected).
    name
        Network name (default: the file stem).

    Raises
    ------
    NetworkFormatError
        Missing/empty file, a row with fewer than two fields, an empty node id, or a weight
        that is not a number — naming the file and line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ties.csv"
    >>> _ = p.write_text("source,target,weight\\na,b,2\\nb,c,1\\n")
    >>> read_edgelist(p).edges.num_rows
    2
    """
    rows = read_rows(path)
    first = rows.rows[0]
    lowered = [c.lower() for c in first]
    if header is None:
        named = any(c in SOURCE_NAMES for c in lowered) and any(c in TARGET_NAMES for c in lowered)
        # "a,b,weight" over "x,y,2": a text third column above a numeric one is a header too
        second = rows.rows[1] if len(rows.rows) > 1 else []
        worded = len(first) > 2 and len(second) > 2 and not _is_number(first[2])
        header = named or source is not None or (worded and _is_number(second[2]))
        if not header:
            log.info("%s: no header recognised; row 1 is read as a tie", rows.path)
    if header:
        cols = first
        data = range(1, len(rows.rows))
        si = _find(cols, SOURCE_NAMES, source, "source", rows)
        ti = _find(
            cols,
            TARGET_NAMES - {cols[si].lower()} if si >= 0 else TARGET_NAMES,
            target,
            "target",
            rows,
        )
        if si < 0 or ti < 0 or si == ti:
            si, ti = 0, 1
        wi = _find(cols, WEIGHT_NAMES, weight, "weight", rows)
        li = _find(cols, LAYER_NAMES, layer_column, "layer", rows)
        if wi < 0 and weight is None and (si, ti) == (0, 1) and li != 2 and len(cols) > 2:
            # an unnamed numeric third column after source and target is the weight
            second = rows.rows[1] if len(rows.rows) > 1 else []
            wi = 2 if len(second) > 2 and _is_number(second[2]) else -1
    else:
        cols = [f"column{i + 1}" for i in range(len(first))]
        data = range(len(rows.rows))
        si, ti = 0, 1
        wi = 2 if len(first) > 2 and _is_number(first[2]) else -1
        li = -1
    if len(first) < 2:
        raise NetworkFormatError(
            f"{rows.path}, line {rows.lines[0]}: an edge list needs two columns (source, target);"
            f" found {len(first)}. Is this an adjacency matrix or a node table?"
        )
    stem = Path(path).stem
    src: list[str] = []
    dst: list[str] = []
    wts: list[float] = []
    lay: list[str] = []
    need = max(si, ti) + 1
    for k in data:
        row = rows.rows[k]
        if len(row) < need:
            raise NetworkFormatError(
                f"{rows.path}, line {rows.lines[k]}: {len(row)} field(s), expected at least "
                f"{need} ({cols[si]}, {cols[ti]})."
            )
        s, t = row[si], row[ti]
        if not s or not t:
            raise NetworkFormatError(
                f"{rows.path}, line {rows.lines[k]}: empty {cols[si] if not s else cols[ti]}."
            )
        w = _number(row[wi], rows, k, cols[wi]) if 0 <= wi < len(row) else 1.0
        src.append(s)
        dst.append(t)
        wts.append(w)
        lay.append(row[li].strip().lower() if 0 <= li < len(row) and row[li] else (layer or stem))
    edges = pa.table(
        {"source": src, "target": dst, "weight": wts, "layer": lay}, schema=EDGE_SCHEMA
    )
    nodes = pa.table({"node": list(dict.fromkeys([*src, *dst]))})
    return Network(name=name or stem, nodes=nodes, edges=edges, directed=directed, path=str(path))


def read_nodes(path: str | Path, *, id_column: str | None = None) -> pa.Table:
    """Read a node attribute table; the id column is renamed ``node``, cells stay strings.

    Raises
    ------
    NetworkFormatError
        A ragged row, an empty or duplicate id (naming the line).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "nodes.csv"
    >>> _ = p.write_text("Id,Role\\nMuklas,1\\n")
    >>> read_nodes(p).to_pylist()
    [{'node': 'Muklas', 'Role': '1'}]
    """
    rows = read_rows(path)
    header = rows.rows[0]
    lowered = [h.lower() for h in header]
    if id_column is not None:
        if id_column.lower() not in lowered:
            raise NetworkFormatError(
                f"{rows.path}: no id column {id_column!r}.{did_you_mean(id_column, header)}"
            )
        idx = lowered.index(id_column.lower())
    else:
        idx = next((lowered.index(c) for c in ID_NAMES if c in lowered), 0)
    columns: dict[str, list[str | None]] = {h: [] for h in header}
    if len(columns) != len(header):
        raise NetworkFormatError(f"{rows.path}, line {rows.lines[0]}: duplicate column names.")
    seen: set[str] = set()
    for k in range(1, len(rows.rows)):
        row = rows.rows[k]
        if len(row) != len(header):
            raise NetworkFormatError(
                f"{rows.path}, line {rows.lines[k]}: {len(row)} fields, header has {len(header)}."
            )
        node = row[idx]
        if not node:
            raise NetworkFormatError(f"{rows.path}, line {rows.lines[k]}: empty node id.")
        if node in seen:
            raise NetworkFormatError(f"{rows.path}, line {rows.lines[k]}: duplicate node {node!r}.")
        seen.add(node)
        for h, cell in zip(header, row, strict=True):
            columns[h].append(cell if cell != "" else None)
    table = pa.table({("node" if i == idx else h): v for i, (h, v) in enumerate(columns.items())})
    order = ["node", *[c for c in table.column_names if c != "node"]]
    return table.select(order)


def _attach(net: Network, nodes: pa.Table) -> Network:
    """Node table first (declared actors), then any actor that only appears in a tie."""
    declared = nodes.column("node").to_pylist()
    known = set(declared)
    extra = [
        n
        for n in dict.fromkeys(
            [*net.edges.column("source").to_pylist(), *net.edges.column("target").to_pylist()]
        )
        if n not in known
    ]
    if extra:
        log.info("%s: %d actor(s) in ties but not in the node table", net.name, len(extra))
        filler = {c: [None] * len(extra) for c in nodes.column_names if c != "node"}
        nodes = pa.concat_tables([nodes, pa.table({"node": extra, **filler}, schema=nodes.schema)])
    return Network(
        name=net.name,
        nodes=nodes,
        edges=net.edges,
        directed=net.directed,
        default_layers=net.default_layers,
        rank_attribute=net.rank_attribute,
        path=net.path,
    )


def read_matrix(
    path: str | Path,
    *,
    layer: str | None = None,
    name: str | None = None,
    two_mode: Literal["project", "error"] = "project",
) -> Network:
    """Read a UCINET-style adjacency matrix exported as CSV.

    The first row holds column labels (its first cell is a corner label such as ``""`` or
    ``players``); each further row is a row label followed by numbers. A non-zero cell is a
    tie with that weight. A square matrix whose row and column labels match is one-mode
    (directed when not symmetric). A rectangular matrix (persons × events, like
    ``NDRANGHETAMAFIA_2M.csv``) is two-mode and is projected onto the row actors: two
    persons are tied once per event both attended.

    Raises
    ------
    NetworkFormatError
        Ragged rows, non-numeric cells, duplicate labels, or (with ``two_mode="error"``) a
        rectangular matrix — naming file, line and column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.csv"
    >>> _ = p.write_text('"",a,b\\na,0,1\\nb,1,0\\n')
    >>> read_matrix(p).edges.to_pylist()
    [{'source': 'a', 'target': 'b', 'weight': 1.0, 'layer': 'm'}]
    """
    rows = read_rows(path)
    header = rows.rows[0]
    cols = header[1:]
    if not cols:
        raise NetworkFormatError(f"{rows.path}, line {rows.lines[0]}: no column labels.")
    if len(set(cols)) != len(cols):
        dup = next(c for c in cols if cols.count(c) > 1)
        raise NetworkFormatError(f"{rows.path}, line {rows.lines[0]}: duplicate label {dup!r}.")
    labels: list[str] = []
    values: list[list[float]] = []
    for k in range(1, len(rows.rows)):
        row = rows.rows[k]
        if len(row) != len(header):
            raise NetworkFormatError(
                f"{rows.path}, line {rows.lines[k]}: ragged matrix — {len(row)} cells, the header"
                f" has {len(header)}. Every row needs a label and one value per column."
            )
        labels.append(row[0])
        values.append([_number(c, rows, k, cols[j]) for j, c in enumerate(row[1:])])
    if not labels:
        raise NetworkFormatError(f"{rows.path}: a header but no rows.")
    if len(set(labels)) != len(labels):
        dup = next(c for c in labels if labels.count(c) > 1)
        raise NetworkFormatError(f"{rows.path}: duplicate row label {dup!r}.")
    stem = Path(path).stem
    lay = layer or stem
    src: list[str] = []
    dst: list[str] = []
    wts: list[float] = []
    one_mode = len(labels) == len(cols) and set(labels) == set(cols)
    if one_mode:
        col_index = {c: j for j, c in enumerate(cols)}
        order = [col_index[label] for label in labels]
        symmetric = all(
            values[i][order[j]] == values[j][order[i]]
            for i in range(len(labels))
            for j in range(i + 1, len(labels))
        )
        for i, s in enumerate(labels):
            for j, t in enumerate(cols):
                w = values[i][j]
                if w == 0 or s == t:
                    continue
                if symmetric and col_index[s] > j:
                    continue
                src.append(s)
                dst.append(t)
                wts.append(w)
        directed = not symmetric
        node_names = labels
    else:
        if two_mode == "error":
            raise NetworkFormatError(
                f"{rows.path}: {len(labels)}×{len(cols)} matrix is not square with matching "
                "labels (two-mode?). Pass two_mode='project' to project it onto the rows."
            )
        for i in range(len(labels)):
            for k2 in range(i + 1, len(labels)):
                shared = sum(
                    1 for a, b in zip(values[i], values[k2], strict=True) if a != 0 and b != 0
                )
                if shared:
                    src.append(labels[i])
                    dst.append(labels[k2])
                    wts.append(float(shared))
        directed = False
        node_names = labels
        log.info("%s: two-mode %d×%d matrix projected onto rows", rows.path, len(labels), len(cols))
    edges = pa.table(
        {"source": src, "target": dst, "weight": wts, "layer": [lay] * len(src)},
        schema=EDGE_SCHEMA,
    )
    return Network(
        name=name or stem,
        nodes=pa.table({"node": node_names}),
        edges=edges,
        directed=directed,
        path=str(path),
    )


def read_graphml(path: str | Path, *, name: str | None = None) -> Network:
    """Read GraphML through igraph; ``weight`` and a ``layer`` edge attribute are used if set.

    Examples
    --------
    >>> import tempfile, pathlib, igraph
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.graphml"
    >>> g = igraph.Graph([(0, 1)]); g.vs["name"] = ["a", "b"]; g.write_graphml(str(p))
    >>> read_graphml(p).edges.num_rows
    1
    """
    p = Path(path)
    read_text(p)  # existence, emptiness
    try:
        graph = igraph.Graph.Read_GraphML(str(p))
    except Exception as exc:  # igraph raises InternalError with libxml's message
        raise NetworkFormatError(f"{p}: not valid GraphML ({str(exc).strip()}).") from None
    return _from_igraph(graph, name=name or p.stem, path=str(p))


def _from_igraph(graph: igraph.Graph, *, name: str, path: str | None) -> Network:
    vattrs = graph.vs.attributes()
    key = next((a for a in ("name", "id", "label") if a in vattrs), None)
    names = [str(v) for v in graph.vs[key]] if key else [str(i) for i in range(graph.vcount())]
    eattrs = graph.es.attributes()
    pairs = graph.get_edgelist()
    weights = (
        [float(w) if w is not None else 1.0 for w in graph.es["weight"]]
        if "weight" in eattrs
        else [1.0] * len(pairs)
    )
    layers = [str(x) for x in graph.es["layer"]] if "layer" in eattrs else [name] * len(pairs)
    edges = pa.table(
        {
            "source": [names[a] for a, _ in pairs],
            "target": [names[b] for _, b in pairs],
            "weight": weights,
            "layer": layers,
        },
        schema=EDGE_SCHEMA,
    )
    columns: dict[str, list[Any]] = {"node": names}
    for a in vattrs:
        if a != key:
            columns[a] = [None if v is None else str(v) for v in graph.vs[a]]
    return Network(
        name=name, nodes=pa.table(columns), edges=edges, directed=graph.is_directed(), path=path
    )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def read_gexf(path: str | Path, *, name: str | None = None) -> Network:
    """Read a GEXF 1.x file (nodes, node attributes, edges with ``weight``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.gexf"
    >>> _ = p.write_text('<gexf><graph><nodes><node id="a"/><node id="b"/></nodes>'
    ...                  '<edges><edge source="a" target="b" weight="3"/></edges></graph></gexf>')
    >>> read_gexf(p).edges.column("weight").to_pylist()
    [3.0]
    """
    p = Path(path)
    text = read_text(p)
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # the text is decoded already
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line = exc.position[0] if hasattr(exc, "position") else "?"
        raise NetworkFormatError(f"{p}, line {line}: not valid GEXF/XML ({exc}).") from None
    if _local(root.tag) != "gexf":
        raise NetworkFormatError(f"{p}: the root element is <{_local(root.tag)}>, not <gexf>.")
    graph_el = next((e for e in root if _local(e.tag) == "graph"), None)
    if graph_el is None:
        raise NetworkFormatError(f"{p}: no <graph> element.")
    directed = graph_el.get("defaultedgetype", "undirected") == "directed"
    titles: dict[str, str] = {}
    for el in graph_el.iter():
        attr_id = el.get("id")
        if _local(el.tag) == "attribute" and attr_id is not None:
            titles[attr_id] = el.get("title") or attr_id
    names: list[str] = []
    attrs: list[dict[str, str]] = []
    src: list[str] = []
    dst: list[str] = []
    wts: list[float] = []
    for el in graph_el.iter():
        tag = _local(el.tag)
        if tag == "node":
            node_id = el.get("id")
            if node_id is None:
                raise NetworkFormatError(f"{p}: a <node> without an id attribute.")
            names.append(node_id)
            row = {"label": el.get("label") or ""}
            for av in el.iter():
                if _local(av.tag) == "attvalue":
                    key = av.get("for") or av.get("id") or ""
                    row[titles.get(key, key)] = av.get("value") or ""
            attrs.append(row)
        elif tag == "edge":
            s, t = el.get("source"), el.get("target")
            if not s or not t:
                raise NetworkFormatError(f"{p}: an <edge> without source or target.")
            w = el.get("weight", "1")
            try:
                weight = float(w)
            except ValueError:
                raise NetworkFormatError(
                    f"{p}: edge {s}->{t} weight {w!r} is not a number."
                ) from None
            src.append(s)
            dst.append(t)
            wts.append(weight)
    stem = name or p.stem
    keys = list(dict.fromkeys(k for row in attrs for k in row))
    columns: dict[str, list[Any]] = {"node": names}
    for k in keys:
        columns[k] = [row.get(k) or None for row in attrs]
    edges = pa.table(
        {"source": src, "target": dst, "weight": wts, "layer": [stem] * len(src)},
        schema=EDGE_SCHEMA,
    )
    net = Network(name=stem, nodes=pa.table(columns), edges=edges, directed=directed, path=str(p))
    return _attach(net, net.nodes)


def _require(folder: Path, *names: str) -> list[Path]:
    if not folder.is_dir():
        raise NetworkFormatError(f"{folder}: no such folder.")
    paths = [folder / n for n in names]
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        raise NetworkFormatError(f"{folder}: missing {', '.join(missing)}.")
    return paths


def _layers(nets: Sequence[Network]) -> pa.Table:
    return pa.concat_tables([n.edges for n in nets])


def load_montagna(folder: str | Path) -> Network:
    """Montagna (Sicilian Mafia, Cavallaro et al. 2020): four layers + roles.

    Layers ``meetings`` and ``phone`` (the two networks Cavallaro et al. analyse; default),
    ``kinship`` and ``sightings``. The rank is the ``title`` attribute: boss > underboss >
    executive > soldier; the 114 actors without a title have no rank.

    Examples
    --------
    >>> net = load_montagna("../shared/data/networks/montagna")  # doctest: +SKIP
    >>> net.default_layers  # doctest: +SKIP
    ('meetings', 'phone')
    """
    folder = Path(folder)
    meet, phone, kin, sight, attrs = _require(
        folder,
        "montagna_meetings.csv",
        "montagna_phone.csv",
        "montagna_kinship.csv",
        "montagna_sightings.csv",
        "montagna_attributes.csv",
    )
    nets = [
        read_edgelist(meet, layer="meetings"),
        read_edgelist(phone, layer="phone", directed=True),
        read_edgelist(kin, layer="kinship", directed=True),
        read_edgelist(sight, layer="sightings"),
    ]
    base = Network(
        name="montagna",
        nodes=pa.table({"node": []}, schema=pa.schema([("node", pa.string())])),
        edges=_layers(nets),
        directed=True,
        default_layers=("meetings", "phone"),
        path=str(folder),
    )
    return _attach(base, read_nodes(attrs)).with_rank("title", MONTAGNA_TITLES)


def load_caviar(folder: str | Path) -> Network:
    """CAVIAR (Montréal 1994–96, Morselli 2009): eleven phases as layers ``phase1`` … ``phase11``.

    Each phase is a directed, weighted wiretap matrix. Node attribute ``phases`` counts the
    phases an actor appears in (by a tie) and ``first_phase`` is the first. By default all
    phases are used (the aggregate network); ``select(["phase4"])`` picks one.
    """
    folder = Path(folder)
    paths = _require(folder, *[f"caviar_phase{i}.csv" for i in range(1, 12)])
    nets = [read_matrix(p, layer=f"phase{i}") for i, p in enumerate(paths, start=1)]
    first: dict[str, int] = {}
    count: dict[str, int] = {}
    for i, net in enumerate(nets, start=1):
        active = set(net.edges.column("source").to_pylist()) | set(
            net.edges.column("target").to_pylist()
        )
        for n in active:
            first.setdefault(n, i)
            count[n] = count.get(n, 0) + 1
    names = list(dict.fromkeys(n for net in nets for n in net.nodes.column("node").to_pylist()))
    nodes = pa.table(
        {
            "node": names,
            "first_phase": [first.get(n) for n in names],
            "phases": [count.get(n, 0) for n in names],
        }
    )
    return Network(name="caviar", nodes=nodes, edges=_layers(nets), directed=True, path=str(folder))


def load_bacrim2020(folder: str | Path) -> Network:
    """BACRIM 2020 (Mexican criminal groups, PPD/CIDE): layers ``alliance`` and ``rivalry``.

    Nodes are groups (``N10025`` = CJNG …) with ``Group``, ``State``, ``ShortName``. Most ties
    are listed in both directions; a mirrored duplicate is kept once (the larger weight).
    Default layer: ``alliance`` — the cooperation network an enforcement sweep would cut;
    rivalries are there for analysts who want them (``select(["alliance", "rivalry"])``).
    """
    folder = Path(folder)
    nodes_path, ally, rival = _require(
        folder, "BACRIM2020_Nodes.csv", "BACRIM2020_Alliances.csv", "BACRIM2020_Rivals.csv"
    )
    tables = []
    for p, layer in ((ally, "alliance"), (rival, "rivalry")):
        net = read_edgelist(p, source="Node", target="RNode", weight="weight", layer=layer)
        best: dict[tuple[str, str], float] = {}
        for s, t, w in zip(
            net.edges.column("source").to_pylist(),
            net.edges.column("target").to_pylist(),
            net.edges.column("weight").to_pylist(),
            strict=True,
        ):
            key = (s, t) if s < t else (t, s)
            best[key] = max(w, best.get(key, w))
        tables.append(
            pa.table(
                {
                    "source": [k[0] for k in best],
                    "target": [k[1] for k in best],
                    "weight": list(best.values()),
                    "layer": [layer] * len(best),
                },
                schema=EDGE_SCHEMA,
            )
        )
    base = Network(
        name="bacrim2020",
        nodes=pa.table({"node": []}, schema=pa.schema([("node", pa.string())])),
        edges=pa.concat_tables(tables),
        default_layers=("alliance",),
        path=str(folder),
    )
    return _attach(base, read_nodes(nodes_path, id_column="Node"))


PANDILLAS_LAYERS = ("hierarchy", "familial", "friendship", "financial", "affiliation")


def load_pandillas(folder: str | Path) -> Network:
    """Pandillas (cllghn/arso teaching data): five layers among 48 gang members.

    ``affiliation`` ties persons to gangs (two-mode), so the default layers are the four
    person-to-person ones: hierarchy, familial, friendship, financial.
    """
    folder = Path(folder)
    paths = _require(folder, "_nodes.csv", *[f"{x.capitalize()}.csv" for x in PANDILLAS_LAYERS])
    nets = [
        _edgelist_fixed_layer(p, lay) for p, lay in zip(paths[1:], PANDILLAS_LAYERS, strict=True)
    ]
    base = Network(
        name="pandillas",
        nodes=pa.table({"node": []}, schema=pa.schema([("node", pa.string())])),
        edges=_layers(nets),
        directed=True,
        default_layers=PANDILLAS_LAYERS[:4],
        path=str(folder),
    )
    return _attach(base, read_nodes(paths[0], id_column="id"))


def _edgelist_fixed_layer(path: Path, layer: str) -> Network:
    net = read_edgelist(path)
    edges = net.edges.set_column(3, "layer", pa.array([layer] * net.edges.num_rows, pa.string()))
    return Network(name=net.name, nodes=net.nodes, edges=edges, directed=True, path=net.path)


def load_noordin(folder: str | Path) -> Network:
    """Noordin Top operational network (Roberts & Everton 2011): 79 actors, one layer.

    Node ids are the numeric ``ID``; ``Label`` holds the name, ``Role`` an integer code whose
    labels are in the original codebook (not shipped), so no rank is derived by default.
    """
    folder = Path(folder)
    nodes_path, edges_path = _require(
        folder, "noordin_operational_nodes.csv", "noordin_operational_edges.csv"
    )
    net = _edgelist_fixed_layer(edges_path, "operational")
    net = Network(name="noordin", nodes=net.nodes, edges=net.edges, path=str(folder))
    return _attach(net, read_nodes(nodes_path, id_column="ID"))


def load_koschade(folder: str | Path) -> Network:
    """Jemaah Islamiyah Bali 2002 cell (Koschade 2006): 17 actors, weighted ties, ``Role`` codes."""
    folder = Path(folder)
    nodes_path, edges_path = _require(folder, "koschade_bali_nodes.csv", "koschade_bali_edges.csv")
    net = _edgelist_fixed_layer(edges_path, "interaction")
    net = Network(name="koschade", nodes=net.nodes, edges=net.edges, path=str(folder))
    return _attach(net, read_nodes(nodes_path, id_column="Id"))


DATASETS = {
    "montagna": ("montagna_meetings.csv", load_montagna),
    "caviar": ("caviar_phase1.csv", load_caviar),
    "bacrim2020": ("BACRIM2020_Nodes.csv", load_bacrim2020),
    "pandillas": ("Hierarchy.csv", load_pandillas),
    "noordin": ("noordin_operational_edges.csv", load_noordin),
    "koschade": ("koschade_bali_edges.csv", load_koschade),
}


def _sniff_csv(path: Path) -> str:
    rows = read_rows(path).rows
    head = rows[0]
    if len(head) >= 3 and head[0].lower() in MATRIX_CORNERS and len(rows) > 1:
        second = rows[1]
        if len(second) == len(head) and all(_is_number(c) or c == "" for c in second[1:]):
            return "matrix"
    if len(head) >= 4 and len(rows) > 1 and all(_is_number(c) for c in rows[1][1:]):
        return "matrix"
    return "edgelist"


def load(
    path: str | Path,
    *,
    format: str = "auto",
    nodes: str | Path | None = None,
) -> Network:
    """Read a network file or dataset folder, choosing the reader from ``format``.

    Parameters
    ----------
    path
        A file (``.csv``/``.tsv``/``.txt`` edge list or matrix, ``.graphml``, ``.gexf``) or a
        dataset folder (Montagna, CAVIAR phases, BACRIM 2020, pandillas, Noordin, Koschade).
    format
        One of :data:`FORMATS`; ``auto`` guesses from the extension, folder contents and the
        first rows.
    nodes
        A node attribute table to attach (roles, ranks) when ``path`` is a single file.

    Raises
    ------
    NetworkFormatError
        The file cannot be read as the format.
    UsageError
        An unknown format name, or a folder holding no known dataset.

    Examples
    --------
    >>> net = load("../shared/data/networks/montagna")  # doctest: +SKIP
    >>> net.layers  # doctest: +SKIP
    ('meetings', 'phone', 'kinship', 'sightings')
    """
    if format not in FORMATS:
        raise UsageError(f"Unknown network format {format!r}.{did_you_mean(format, FORMATS)}")
    p = Path(path)
    if format in DATASETS:
        return DATASETS[format][1](p)
    if format == "auto" and p.is_dir():
        for marker, loader in DATASETS.values():
            if (p / marker).exists():
                return loader(p)
        raise UsageError(
            f"{p} is a folder but holds no known dataset ({', '.join(DATASETS)}). "
            "Pass one network file instead."
        )
    if format == "auto":
        suffix = p.suffix.lower()
        if suffix == ".graphml":
            format = "graphml"
        elif suffix == ".gexf":
            format = "gexf"
        else:
            read_text(p)  # missing / empty / folder errors first
            format = _sniff_csv(p)
    net: Network
    if format == "graphml":
        net = read_graphml(p)
    elif format == "gexf":
        net = read_gexf(p)
    elif format == "matrix":
        net = read_matrix(p)
    else:
        net = read_edgelist(p)
    if nodes is not None:
        net = _attach(net, read_nodes(nodes))
    return net
