"""Tabular network files: edge lists, node attribute tables and adjacency matrices (CSV).

* edge lists (CSV, TSV, ``;`` or ``|`` separated; with or without a header; with or without
  weights; an optional ``layer``/``type``/``relationship`` column makes layers),
* UCINET-style adjacency matrices exported as CSV (first row and column are labels; a
  rectangular persons × events matrix is two-mode and is projected onto persons),
* node attribute tables (roles, ranks, families).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyarrow as pa

from dyadwatch.errors import NetworkFormatError, did_you_mean

from .graph import EDGE_SCHEMA, Network
from .textio import Rows, find_column, is_number, parse_number, read_rows

log = logging.getLogger(__name__)

SOURCE_NAMES = {"source", "from", "i", "node", "src", "ego", "actor1", "sender", "head", "v1"}
TARGET_NAMES = {"target", "to", "j", "rnode", "dst", "alter", "actor2", "receiver", "tail", "v2"}
WEIGHT_NAMES = {"weight", "w", "value", "count", "strength", "calls"}
LAYER_NAMES = {"layer", "type", "relationship", "tie_type", "relation_type"}
ID_NAMES = ("node", "id", "name", "actor", "label", "grupo", "group")


@dataclass(frozen=True, slots=True)
class _Columns:
    """Where an edge list keeps each field (-1: absent) and which rows hold ties."""

    names: list[str]
    first_row: int
    source: int
    target: int
    weight: int
    layer: int


def _has_header(rows: Rows, source: str | None) -> bool:
    first = rows.rows[0]
    lowered = [c.lower() for c in first]
    named = any(c in SOURCE_NAMES for c in lowered) and any(c in TARGET_NAMES for c in lowered)
    # "a,b,weight" over "x,y,2": a text third column above a numeric one is a header too
    second = rows.rows[1] if len(rows.rows) > 1 else []
    worded = len(first) > 2 and len(second) > 2 and not is_number(first[2])
    found = named or source is not None or (worded and is_number(second[2]))
    if not found:
        log.info("%s: no header recognised; row 1 is read as a tie", rows.path)
    return found


def _edge_columns(
    rows: Rows,
    header: bool,
    source: str | None,
    target: str | None,
    weight: str | None,
    layer_column: str | None,
) -> _Columns:
    first = rows.rows[0]
    if not header:
        wi = 2 if len(first) > 2 and is_number(first[2]) else -1
        return _Columns([f"column{i + 1}" for i in range(len(first))], 0, 0, 1, wi, -1)
    cols = first
    si = find_column(cols, SOURCE_NAMES, source, "source", rows)
    targets = TARGET_NAMES - {cols[si].lower()} if si >= 0 else TARGET_NAMES
    ti = find_column(cols, targets, target, "target", rows)
    if si < 0 or ti < 0 or si == ti:
        si, ti = 0, 1
    wi = find_column(cols, WEIGHT_NAMES, weight, "weight", rows)
    li = find_column(cols, LAYER_NAMES, layer_column, "layer", rows)
    if wi < 0 and weight is None and (si, ti) == (0, 1) and li != 2 and len(cols) > 2:
        # an unnamed numeric third column after source and target is the weight
        second = rows.rows[1] if len(rows.rows) > 1 else []
        wi = 2 if len(second) > 2 and is_number(second[2]) else -1
    return _Columns(cols, 1, si, ti, wi, li)


def _ties(rows: Rows, c: _Columns, default_layer: str) -> pa.Table:
    src: list[str] = []
    dst: list[str] = []
    wts: list[float] = []
    lay: list[str] = []
    need = max(c.source, c.target) + 1
    names = c.names
    for k in range(c.first_row, len(rows.rows)):
        row = rows.rows[k]
        if len(row) < need:
            raise NetworkFormatError(
                f"{rows.path}, line {rows.lines[k]}: {len(row)} field(s), expected at least "
                f"{need} ({names[c.source]}, {names[c.target]})."
            )
        s, t = row[c.source], row[c.target]
        if not s or not t:
            empty = names[c.source] if not s else names[c.target]
            raise NetworkFormatError(f"{rows.path}, line {rows.lines[k]}: empty {empty}.")
        w = (
            parse_number(row[c.weight], rows, k, names[c.weight])
            if 0 <= c.weight < len(row)
            else 1.0
        )
        src.append(s)
        dst.append(t)
        wts.append(w)
        named_layer = 0 <= c.layer < len(row) and row[c.layer]
        lay.append(row[c.layer].strip().lower() if named_layer else default_layer)
    return pa.table({"source": src, "target": dst, "weight": wts, "layer": lay}, schema=EDGE_SCHEMA)


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
    if header is None:
        header = _has_header(rows, source)
    columns = _edge_columns(rows, header, source, target, weight, layer_column)
    if len(first) < 2:
        raise NetworkFormatError(
            f"{rows.path}, line {rows.lines[0]}: an edge list needs two columns (source, target);"
            f" found {len(first)}. Is this an adjacency matrix or a node table?"
        )
    stem = Path(path).stem
    edges = _ties(rows, columns, layer or stem)
    src, dst = edges.column("source").to_pylist(), edges.column("target").to_pylist()
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


def attach(net: Network, nodes: pa.Table) -> Network:
    """``net`` with ``nodes`` as its node table, extended by actors that appear only in a tie.

    Declared actors come first, in the table's order; the others get empty attributes.

    Examples
    --------
    >>> net = Network.from_edges([("a", "b")])
    >>> attach(net, pa.table({"node": ["b"], "role": ["boss"]})).nodes.to_pylist()
    [{'node': 'b', 'role': 'boss'}, {'node': 'a', 'role': None}]
    """
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
    return dataclasses.replace(net, nodes=nodes)


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
    labels, cols, values = _matrix_cells(rows)
    lay = layer or Path(path).stem
    one_mode = len(labels) == len(cols) and set(labels) == set(cols)
    if one_mode:
        ties, directed = _one_mode_ties(labels, cols, values)
    elif two_mode == "error":
        raise NetworkFormatError(
            f"{rows.path}: {len(labels)}×{len(cols)} matrix is not square with matching "
            "labels (two-mode?). Pass two_mode='project' to project it onto the rows."
        )
    else:
        ties, directed = _projected_ties(labels, values), False
        log.info("%s: two-mode %d×%d matrix projected onto rows", rows.path, len(labels), len(cols))
    edges = pa.table(
        {
            "source": [s for s, _, _ in ties],
            "target": [t for _, t, _ in ties],
            "weight": [w for _, _, w in ties],
            "layer": [lay] * len(ties),
        },
        schema=EDGE_SCHEMA,
    )
    return Network(
        name=name or Path(path).stem,
        nodes=pa.table({"node": labels}),
        edges=edges,
        directed=directed,
        path=str(path),
    )


def _matrix_cells(rows: Rows) -> tuple[list[str], list[str], list[list[float]]]:
    """Row labels, column labels and numeric cells of a matrix file (checked)."""
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
        values.append([parse_number(c, rows, k, cols[j]) for j, c in enumerate(row[1:])])
    if not labels:
        raise NetworkFormatError(f"{rows.path}: a header but no rows.")
    if len(set(labels)) != len(labels):
        dup = next(c for c in labels if labels.count(c) > 1)
        raise NetworkFormatError(f"{rows.path}: duplicate row label {dup!r}.")
    return labels, cols, values


def _one_mode_ties(
    labels: list[str], cols: list[str], values: list[list[float]]
) -> tuple[list[tuple[str, str, float]], bool]:
    """Non-zero cells as ties (a symmetric matrix gives each tie once); directed or not."""
    col_index = {c: j for j, c in enumerate(cols)}
    order = [col_index[label] for label in labels]
    symmetric = all(
        values[i][order[j]] == values[j][order[i]]
        for i in range(len(labels))
        for j in range(i + 1, len(labels))
    )
    ties: list[tuple[str, str, float]] = []
    for i, s in enumerate(labels):
        for j, t in enumerate(cols):
            w = values[i][j]
            if w == 0 or s == t or (symmetric and col_index[s] > j):
                continue
            ties.append((s, t, w))
    return ties, not symmetric


def _projected_ties(labels: list[str], values: list[list[float]]) -> list[tuple[str, str, float]]:
    """Persons × events projected onto persons: one tie per pair, weight = shared events."""
    ties: list[tuple[str, str, float]] = []
    for i in range(len(labels)):
        for k in range(i + 1, len(labels)):
            shared = sum(1 for a, b in zip(values[i], values[k], strict=True) if a != 0 and b != 0)
            if shared:
                ties.append((labels[i], labels[k], float(shared)))
    return ties
