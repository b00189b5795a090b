"""Network loaders on the real files in ../shared/data/networks and on malformed inputs.

Counts below are what the files hold (see networks/PROVENANCE.md for each folder); they
pin the loaders, not any published figure.
"""

from __future__ import annotations

from pathlib import Path

import igraph
import pytest

from dyadwatch.analyse.network import (
    load,
    load_bacrim2020,
    load_caviar,
    load_koschade,
    load_montagna,
    load_noordin,
    load_pandillas,
    read_edgelist,
    read_gexf,
    read_graphml,
    read_matrix,
    read_nodes,
)
from dyadwatch.errors import NetworkFormatError, UsageError

pytestmark = pytest.mark.sample


@pytest.fixture(scope="module")
def nets(shared_data: Path) -> Path:
    return shared_data / "networks"


def test_montagna_layers_roles_and_cr_sightings(nets: Path) -> None:
    net = load_montagna(nets / "montagna")
    assert net.layers == ("meetings", "phone", "kinship", "sightings")
    assert net.default_layers == ("meetings", "phone")
    assert net.nodes.num_rows == 155
    per_layer = {lay: net.select([lay]).edges.num_rows for lay in ("meetings", "phone", "kinship")}
    assert per_layer == {"meetings": 289, "phone": 150, "kinship": 24}
    # montagna_sightings.csv has old-Mac CR line endings: 41 ties, not one long line
    assert net.select(["sightings"]).edges.num_rows == 41
    meetings, phone = net.to_igraph(["meetings"]), net.to_igraph(["phone"])
    assert (meetings.vcount(), meetings.ecount()) == (101, 256)
    assert (phone.vcount(), phone.ecount()) == (100, 124)
    titles = dict(zip(net.nodes["node"].to_pylist(), net.nodes["title"].to_pylist(), strict=True))
    ranks = dict(zip(net.nodes["node"].to_pylist(), net.nodes["rank"].to_pylist(), strict=True))
    assert titles["N2"] == "boss" and ranks["N2"] == 4.0
    assert sum(1 for t in titles.values() if t == "soldier") == 24
    assert ranks["N0"] is None  # no title, no rank


def test_caviar_eleven_phases(nets: Path) -> None:
    net = load_caviar(nets / "caviar_phases")
    assert net.layers == tuple(f"phase{i}" for i in range(1, 12))
    files = [nets / "caviar_phases" / f"caviar_phase{i}.csv" for i in range(1, 12)]
    sizes = [read_matrix(p).nodes.num_rows for p in files]
    # PROVENANCE.md: P1 15, P2 24, P3 33, P4 33, P5 32, P6 27, P7 36, P8 42, P9 34, P10 42, P11 41
    assert sizes == [15, 24, 33, 33, 32, 27, 36, 42, 34, 42, 41]
    ties = [net.select([f"phase{i}"]).edges.num_rows for i in range(1, 12)]
    assert ties == [read_matrix(p).edges.num_rows for p in files]
    assert net.directed
    first = dict(
        zip(net.nodes["node"].to_pylist(), net.nodes["first_phase"].to_pylist(), strict=True)
    )
    assert first["1"] == 1


def test_caviar_aggregate_matrix_and_ucinet_files(nets: Path) -> None:
    folder = nets / "ucinet_covert_matrices"
    agg = read_matrix(folder / "morselli_caviar.csv")
    assert agg.nodes.num_rows == 110 and agg.edges.num_rows == 295 and agg.directed
    assert not read_matrix(folder / "morselli_siren.csv").directed
    london = read_matrix(folder / "LONDON_GANG.csv")
    assert not london.directed and london.nodes.num_rows == 54
    # two-mode persons × meetings, projected onto the 156 persons
    nd = read_matrix(folder / "NDRANGHETAMAFIA_2M.csv")
    assert nd.nodes.num_rows == 156 and not nd.directed
    with pytest.raises(NetworkFormatError, match="two-mode"):
        read_matrix(folder / "NDRANGHETAMAFIA_2M.csv", two_mode="error")
    for path in sorted(folder.glob("*.csv")):
        assert load(path).to_igraph().ecount() > 0, path.name


def test_bacrim2020_alliances_and_rivalries(nets: Path) -> None:
    net = load_bacrim2020(nets / "mexico_cartels_bacrim2020")
    # PROVENANCE.md: 91 undirected alliance pairs and 92 rivalry pairs among 150 groups
    assert net.select(["alliance"]).edges.num_rows == 91
    assert net.select(["rivalry"]).edges.num_rows == 92
    assert net.nodes.num_rows == 150
    groups = dict(zip(net.nodes["node"].to_pylist(), net.nodes["Group"].to_pylist(), strict=True))
    assert groups["N10025"] == "Cártel Jalisco Nueva Generación (CJNG)"
    slomka = load(nets / "mexico_cartels_bacrim2020" / "slomka_valid_edges.csv")
    assert set(slomka.layers) == {"alliance", "rivalry"}


def test_other_dataset_folders(nets: Path) -> None:
    pand = load_pandillas(nets / "pandillas_teaching")
    assert pand.default_layers == ("hierarchy", "familial", "friendship", "financial")
    assert pand.select(["hierarchy"]).edges.num_rows == 38
    noordin = load_noordin(nets / "noordin_top")
    assert noordin.nodes.num_rows == 79
    assert "Contact with People" in noordin.nodes.column_names  # trailing space trimmed
    kos = load_koschade(nets / "koschade_bali")
    assert kos.nodes.num_rows == 17 and kos.to_igraph().ecount() == 63
    assert load(nets / "koschade_bali").name == "koschade"
    with pytest.raises(UsageError, match="no known dataset"):
        load(nets / "ucinet_covert_matrices")


def test_dataset_folder_with_a_missing_file(tmp_path: Path, nets: Path) -> None:
    (tmp_path / "koschade_bali_edges.csv").write_bytes(
        (nets / "koschade_bali" / "koschade_bali_edges.csv").read_bytes()
    )
    with pytest.raises(NetworkFormatError, match=r"missing koschade_bali_nodes\.csv"):
        load(tmp_path, format="koschade")


# Malformed and awkward inputs, for every reader.


@pytest.fixture
def write(tmp_path: Path):
    def _write(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return _write


def test_edgelist_bom_cr_and_latin1(write) -> None:
    bom = read_edgelist(write("bom.csv", b"\xef\xbb\xbfsource,target,weight\r\na,b,2\r\n"))
    assert bom.edges.to_pylist() == [{"source": "a", "target": "b", "weight": 2.0, "layer": "bom"}]
    cr = read_edgelist(write("cr.csv", b"i,j,weight\rN5,N11,1\rN5,N12,1\r"))
    assert cr.edges.num_rows == 2
    latin = read_edgelist(write("lat.csv", "from,to\nCártel,Peña\n".encode("latin-1")))
    assert latin.edges["source"].to_pylist() == ["Cártel"]
    assert latin.edges["target"].to_pylist() == ["Peña"]


def test_edgelist_headerless_tab_and_layers(write) -> None:
    plain = read_edgelist(write("plain.txt", b"a\tb\t3\nb\tc\t1\n"))
    assert plain.edges["weight"].to_pylist() == [3.0, 1.0]
    odd = read_edgelist(write("odd.csv", b"actor_a,actor_b,calls_n\nx,y,2\n"))
    assert odd.edges.to_pylist() == [{"source": "x", "target": "y", "weight": 2.0, "layer": "odd"}]
    typed = read_edgelist(write("t.csv", b"from,to,type\na,b,alliance\nb,c,rivalry\n"))
    assert typed.layers == ("alliance", "rivalry")


def test_edgelist_errors(write, tmp_path: Path) -> None:
    with pytest.raises(NetworkFormatError, match=r"line 3, column 'weight': 'x' is not a number"):
        read_edgelist(write("w.csv", b"source,target,weight\na,b,1\na,c,x\n"))
    with pytest.raises(NetworkFormatError, match="line 2: 1 field"):
        read_edgelist(write("r.csv", b"source,target\na\n"))
    with pytest.raises(NetworkFormatError, match="needs two columns"):
        read_edgelist(write("one.csv", b"a\nb\n"))
    with pytest.raises(NetworkFormatError, match="line 2: empty"):
        read_edgelist(write("e.csv", b"source,target\n,b\n"))
    with pytest.raises(NetworkFormatError, match="empty"):
        read_edgelist(write("empty.csv", b"\xef\xbb\xbf\r\n"))
    with pytest.raises(NetworkFormatError, match="no such file"):
        read_edgelist(tmp_path / "missing.csv")
    with pytest.raises(NetworkFormatError, match="no source column 'src_id'"):
        read_edgelist(write("s.csv", b"a,b\nx,y\n"), source="src_id")


def test_matrix_bom_cr_and_latin1(write) -> None:
    cr = read_matrix(write("m.csv", b'\xef\xbb\xbf"",A,B\rA,0,1\rB,1,0\r'))
    assert cr.edges.num_rows == 1 and not cr.directed
    latin = read_matrix(write("l.csv", '"",José,Ana\nJosé,0,2\nAna,0,0\n'.encode("latin-1")))
    assert latin.directed
    assert latin.edges.to_pylist() == [
        {"source": "José", "target": "Ana", "weight": 2.0, "layer": "l"}
    ]


def test_matrix_errors(write, tmp_path: Path) -> None:
    with pytest.raises(NetworkFormatError, match=r"line 3: ragged matrix — 2 cells"):
        read_matrix(write("rag.csv", b'"",a,b\na,0,1\nb,1\n'))
    with pytest.raises(NetworkFormatError, match=r"line 2, column 'b': 'yes' is not a number"):
        read_matrix(write("nn.csv", b'"",a,b\na,0,yes\nb,1,0\n'))
    with pytest.raises(NetworkFormatError, match="duplicate label"):
        read_matrix(write("dup.csv", b'"",a,a\na,0,1\nb,1,0\n'))
    with pytest.raises(NetworkFormatError, match="header but no rows"):
        read_matrix(write("h.csv", b'"",a,b\n'))
    with pytest.raises(NetworkFormatError, match="empty"):
        read_matrix(write("empty.csv", b""))
    with pytest.raises(NetworkFormatError, match="no such file"):
        read_matrix(tmp_path / "nope.csv")


def test_node_table(write, tmp_path: Path) -> None:
    nodes = read_nodes(write("n.csv", b"\xef\xbb\xbfId,Role \r\nMuklas,1\r\nAmrozi,\r\n"))
    assert nodes.to_pylist() == [
        {"node": "Muklas", "Role": "1"},
        {"node": "Amrozi", "Role": None},
    ]
    latin = read_nodes(write("l.csv", "node,familia\nN1,Mistrettà\n".encode("latin-1")))
    assert latin["familia"].to_pylist() == ["Mistrettà"]
    with pytest.raises(NetworkFormatError, match="line 3: 1 fields, header has 2"):
        read_nodes(write("rag.csv", b"id,role\na,1\nb\n"))
    with pytest.raises(NetworkFormatError, match="line 3: duplicate node 'a'"):
        read_nodes(write("dup.csv", b"id,role\na,1\na,2\n"))
    with pytest.raises(NetworkFormatError, match="empty"):
        read_nodes(write("empty.csv", b"  \n"))
    with pytest.raises(NetworkFormatError, match="no such file"):
        read_nodes(tmp_path / "gone.csv")


def test_graphml_round_trip_and_errors(write, tmp_path: Path) -> None:
    g = igraph.Graph([(0, 1), (1, 2)])
    g.vs["name"] = ["Ánxel", "b", "c"]
    g.vs["role"] = ["boss", "soldier", "soldier"]
    g.es["weight"] = [2.0, 1.0]
    path = tmp_path / "g.graphml"
    g.write_graphml(str(path))
    net = read_graphml(path)
    assert net.edges["weight"].to_pylist() == [2.0, 1.0]
    assert net.nodes["role"].to_pylist() == ["boss", "soldier", "soldier"]
    assert load(path).nodes["node"].to_pylist() == ["Ánxel", "b", "c"]
    with pytest.raises(NetworkFormatError, match="not valid GraphML"):
        read_graphml(write("bad.graphml", b"<graphml><graph><node id='a'></graph>"))
    with pytest.raises(NetworkFormatError, match="empty"):
        read_graphml(write("empty.graphml", b""))
    with pytest.raises(NetworkFormatError, match="no such file"):
        read_graphml(tmp_path / "none.graphml")


GEXF = """<?xml version="1.0" encoding="ISO-8859-1"?>
<gexf xmlns="http://gexf.net/1.3" version="1.3">
  <graph defaultedgetype="undirected">
    <attributes class="node"><attribute id="0" title="role" type="string"/></attributes>
    <nodes>
      <node id="n1" label="Peña"><attvalues><attvalue for="0" value="boss"/></attvalues></node>
      <node id="n2" label="b"/>
    </nodes>
    <edges><edge id="0" source="n1" target="n2" weight="4"/></edges>
  </graph>
</gexf>
"""


def test_gexf_latin1_and_errors(write, tmp_path: Path) -> None:
    net = read_gexf(write("g.gexf", GEXF.encode("latin-1")))
    assert net.nodes.to_pylist()[0] == {"node": "n1", "label": "Peña", "role": "boss"}
    assert net.edges["weight"].to_pylist() == [4.0]
    assert not net.directed
    with pytest.raises(NetworkFormatError, match=r"line 1: not valid GEXF"):
        read_gexf(write("bad.gexf", b"<gexf><graph></gexf>"))
    with pytest.raises(NetworkFormatError, match="not <gexf>"):
        read_gexf(write("x.gexf", b"<graphml/>"))
    with pytest.raises(NetworkFormatError, match="weight 'heavy'"):
        read_gexf(
            write(
                "w.gexf",
                b'<gexf><graph><edges><edge source="a" target="b" weight="heavy"/></edges>'
                b"</graph></gexf>",
            )
        )
    with pytest.raises(NetworkFormatError, match="empty"):
        read_gexf(write("empty.gexf", b"\n"))
    with pytest.raises(NetworkFormatError, match="no such file"):
        read_gexf(tmp_path / "none.gexf")


def test_load_sniffs_matrix_vs_edgelist_and_attaches_nodes(write) -> None:
    m = load(write("m.csv", b'"",a,b,c\na,0,1,0\nb,1,0,1\nc,0,1,0\n'))
    assert m.edges.num_rows == 2
    e = load(
        write("e.csv", b"source,target\na,b\n"), nodes=write("n.csv", b"id,title\na,boss\nz,\n")
    )
    assert e.nodes["node"].to_pylist() == ["a", "z", "b"]
    with pytest.raises(UsageError, match=r"Unknown network format 'matrx'\. Did you mean matrix\?"):
        load(write("x.csv", b"a,b\n"), format="matrx")
    with pytest.raises(NetworkFormatError, match="is a folder"):
        load(write("d.csv", b"a,b\n").parent, format="edgelist")


DATASET_FILES = {
    "montagna": ("montagna", "montagna_phone.csv"),
    "caviar": ("caviar_phases", "caviar_phase7.csv"),
    "bacrim2020": ("mexico_cartels_bacrim2020", "BACRIM2020_Rivals.csv"),
    "pandillas": ("pandillas_teaching", "Financial.csv"),
    "noordin": ("noordin_top", "noordin_operational_nodes.csv"),
    "koschade": ("koschade_bali", "koschade_bali_edges.csv"),
}


@pytest.mark.parametrize("dataset", sorted(DATASET_FILES))
def test_dataset_loaders_name_the_broken_file(dataset: str, nets: Path, tmp_path: Path) -> None:
    folder, victim = DATASET_FILES[dataset]
    with pytest.raises(NetworkFormatError, match="missing"):
        load(tmp_path, format=dataset)
    for src in (nets / folder).iterdir():
        (tmp_path / src.name).write_bytes(src.read_bytes())
    assert load(tmp_path).nodes.num_rows > 0  # the copy loads as the dataset it is
    lines = (tmp_path / victim).read_bytes().splitlines(keepends=True)
    (tmp_path / victim).write_bytes(b"".join(lines[:3]) + b'x,"unclosed\n')
    with pytest.raises(NetworkFormatError, match=victim.replace(".", r"\.")):
        load(tmp_path, format=dataset)
