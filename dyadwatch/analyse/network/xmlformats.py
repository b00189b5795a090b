"""XML network files: GraphML (through igraph) and GEXF 1.x (a small reader over ``xml.etree``)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import igraph
import pyarrow as pa

from dyadwatch.errors import NetworkFormatError

from .graph import EDGE_SCHEMA, Network
from .tables import attach
from .textio import read_text


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
    columns = _gexf_nodes(graph_el, p)
    stem = name or p.stem
    ties = _gexf_edges(graph_el, p)
    edges = pa.table(
        {
            "source": [s for s, _, _ in ties],
            "target": [t for _, t, _ in ties],
            "weight": [w for _, _, w in ties],
            "layer": [stem] * len(ties),
        },
        schema=EDGE_SCHEMA,
    )
    net = Network(name=stem, nodes=pa.table(columns), edges=edges, directed=directed, path=str(p))
    return attach(net, net.nodes)


def _gexf_nodes(graph_el: ET.Element, p: Path) -> dict[str, list[Any]]:
    """``node`` ids and attribute columns (titles from the <attribute> declarations)."""
    titles: dict[str, str] = {}
    for el in graph_el.iter():
        attr_id = el.get("id")
        if _local(el.tag) == "attribute" and attr_id is not None:
            titles[attr_id] = el.get("title") or attr_id
    names: list[str] = []
    attrs: list[dict[str, str]] = []
    for el in graph_el.iter():
        if _local(el.tag) != "node":
            continue
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
    keys = list(dict.fromkeys(k for row in attrs for k in row))
    columns: dict[str, list[Any]] = {"node": names}
    for k in keys:
        columns[k] = [row.get(k) or None for row in attrs]
    return columns


def _gexf_edges(graph_el: ET.Element, p: Path) -> list[tuple[str, str, float]]:
    ties: list[tuple[str, str, float]] = []
    for el in graph_el.iter():
        if _local(el.tag) != "edge":
            continue
        s, t = el.get("source"), el.get("target")
        if not s or not t:
            raise NetworkFormatError(f"{p}: an <edge> without source or target.")
        w = el.get("weight", "1")
        try:
            weight = float(w)
        except ValueError:
            raise NetworkFormatError(f"{p}: edge {s}->{t} weight {w!r} is not a number.") from None
        ties.append((s, t, weight))
    return ties
