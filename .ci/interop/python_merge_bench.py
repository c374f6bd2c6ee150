#!/usr/bin/env python3
"""The Python reference for `rds-dr check --input DIR` (issue 4's "for
scale" figure): capture envelope files read with the OFFICIAL Huawei Cloud
Python SDK's models (huaweicloudsdkrds, deserialised the way its client
deserialises an answer) and merged into a networkx DiGraph of primary -> DR
edges, with the checks a reader would write first: which edges both sides
claim, and the weakly connected groups.

    python3 -m venv /tmp/hwsdk && /tmp/hwsdk/bin/pip install huaweicloudsdkrds==3.1.219 networkx
    RDS_DR_BENCH_FLEET_DIR=/tmp/fleet cargo bench -p rds-dr-tests --bench check_scale
    /tmp/hwsdk/bin/python .ci/interop/python_merge_bench.py /tmp/fleet

Prints the instances, edges (and how many both sides claim), groups, wall
time and peak RSS. Reads files only; no network.
"""

import decimal
import importlib
import json
import pathlib
import resource
import sys
import time

import networkx
from huaweicloudsdkcore.client import Client


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    files = sorted(
        p for p in pathlib.Path(sys.argv[1]).iterdir() if p.suffix == ".json"
    )
    start = time.perf_counter()
    client = Client()
    client.model_package = importlib.import_module("huaweicloudsdkrds.v3.model")
    graph = networkx.DiGraph()
    # (primary, dr) -> the sides that claim the edge
    claims: dict[tuple[str, str], set[str]] = {}
    for path in files:
        envelope = json.loads(path.read_text(), parse_float=decimal.Decimal)
        source = envelope["source"]
        response = client._deserialize(envelope["response"], "ListDrRelationsResponse")
        for record in response.instance_dr_relations or []:
            own = record.instance_id
            if not own:
                continue
            graph.add_node(own, region=source["region"], project_id=source["project_id"])
            master = record.master_instance
            if master is not None and master.instance_id:
                if master.instance_id not in graph:
                    graph.add_node(master.instance_id, region=master.region)
                graph.add_edge(master.instance_id, own)
                claims.setdefault((master.instance_id, own), set()).add("dr")
            for slave in record.slave_instances or []:
                if not slave.instance_id:
                    continue
                if slave.instance_id not in graph:
                    graph.add_node(slave.instance_id, region=slave.region)
                graph.add_edge(own, slave.instance_id)
                claims.setdefault((own, slave.instance_id), set()).add("primary")
    confirmed = sum(1 for sides in claims.values() if len(sides) == 2)
    groups = networkx.number_weakly_connected_components(graph)
    wall = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{len(files)} files, {graph.number_of_nodes()} instances, "
        f"{graph.number_of_edges()} edges ({confirmed} confirmed), {groups} groups: "
        f"{wall:.2f} s, peak RSS {peak_mb:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
