#!/usr/bin/env python3
"""Read rds-dr's node-link and GraphML exports back with a REAL reader
(networkx), and check that both say the same as the Cytoscape.js export.

The inputs are the reviewed insta snapshots of the shared test fleet
(`crates/topology/tests/snapshots/export_snapshots__*.snap`), so this checks
exactly the bytes the Rust tests pin, without building anything:

    python3 -m venv /tmp/nx && /tmp/nx/bin/pip install -q 'networkx>=3.4'
    /tmp/nx/bin/python .ci/interop/networkx_check.py

networkx 3.4 reads node-link edges from "links" by default and 3.6 from
"edges"; the export writes both, and this script reads the default key of
whichever networkx it runs with, and both keys explicitly.

Prints one line per check and a closing 'N passed, N failed'; exit 1 if any
check failed.
"""

import json
import pathlib
import sys

import networkx as nx

SNAPSHOTS = pathlib.Path(__file__).resolve().parents[2] / "crates/topology/tests/snapshots"
ODD_ID = "odd\"<&>'\\id#`"


def snapshot(name):
    """The content of an insta snapshot: what follows its `---` header."""
    text = (SNAPSHOTS / f"export_snapshots__{name}.snap").read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise ValueError(f"{name}: not an insta snapshot")
    _, _, body = text[4:].partition("\n---\n")
    return body


def xml_visible(value):
    """What XML 1.0 can carry of a string: forbidden characters become U+FFFD."""
    return "".join(
        "\ufffd" if (ord(c) < 0x20 and c not in "\t\n\r") or c in "\ufffe\uffff" else c for c in value
    )


def expected_from_cytoscape():
    data = json.loads(snapshot("cytoscape"))["elements"]
    nodes = {n["data"]["id"]: {k: v for k, v in n["data"].items() if k != "id"} for n in data["nodes"]}
    edges = {}
    for e in data["edges"]:
        d = e["data"]
        assert d["id"] == f"{d['source']}->{d['target']}", d
        # Every edge attribute the export carries (status, cross_region, and
        # the replication health ones), as the Cytoscape.js data states them.
        edges[(d["source"], d["target"])] = {k: v for k, v in d.items() if k not in ("id", "source", "target")}
    return nodes, edges


def check_graph(label, graph, nodes, edges, xml=False):
    assert isinstance(graph, nx.DiGraph) and not graph.is_multigraph(), f"{label}: {type(graph)}"
    assert graph.is_directed(), label
    conv = xml_visible if xml else (lambda s: s)
    want_nodes = {
        conv(i): {k: conv(v) for k, v in attrs.items() if not (xml and v is None)} for i, attrs in nodes.items()
    }
    got_nodes = {i: dict(a) for i, a in graph.nodes(data=True)}
    assert got_nodes == want_nodes, f"{label}: nodes differ:\n{got_nodes}\n{want_nodes}"
    want_edges = {
        (conv(s), conv(t)): {k: v for k, v in a.items() if not (xml and v is None)} for (s, t), a in edges.items()
    }
    got_edges = {(s, t): dict(a) for s, t, a in graph.edges(data=True)}
    assert got_edges == want_edges, f"{label}: edges differ:\n{got_edges}\n{want_edges}"
    assert conv(ODD_ID) in graph, f"{label}: the odd id did not survive"


def main():
    nodes, edges = expected_from_cytoscape()
    assert len(nodes) == 9 and len(edges) == 7, (len(nodes), len(edges))
    node_link = json.loads(snapshot("node_link"))
    assert node_link["edges"] == node_link["links"], "edges and links differ"

    checks = [
        ("node-link, default key", lambda: nx.node_link_graph(node_link)),
        ("node-link, edges=\"edges\"", lambda: nx.node_link_graph(node_link, edges="edges")),
        ("node-link, edges=\"links\"", lambda: nx.node_link_graph(node_link, edges="links")),
    ]
    passed = failed = 0
    for label, read in checks:
        try:
            check_graph(label, read(), nodes, edges)
            print(f"ok   {label}")
            passed += 1
        except Exception as err:  # report every check, then fail
            print(f"FAIL {label}: {err}")
            failed += 1
    label = "graphml"
    try:
        graph = nx.parse_graphml(snapshot("graphml"))
        check_graph(label, graph, nodes, edges, xml=True)
        assert all(isinstance(a["cross_region"], bool) for _, _, a in graph.edges(data=True) if "cross_region" in a)
        print(f"ok   {label}")
        passed += 1
    except Exception as err:
        print(f"FAIL {label}: {err}")
        failed += 1
    print(f"networkx {nx.__version__}: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
