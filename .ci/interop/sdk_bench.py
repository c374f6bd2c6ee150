#!/usr/bin/env python3
"""Calls per second of ListDrRelations (or, with --operation ListDrInfos, of
one ListDrInfos page: offset 0, limit 100) with the OFFICIAL Huawei Cloud
Python SDK (huaweicloudsdkrds) against the rds-dr fake server on loopback:
the reference the Rust client's benches are compared with.

Two ways to get a fake:

  --endpoint URL    a fake that is already running (the Rust bench
                    `cargo bench -p rds-dr-tests --bench fleet_scan` starts one
                    and runs this script against it when RDS_DR_SDK_PYTHON is set);
  --fake-bin PATH   start `PATH fake-server` here (the release `rds-dr`), with
                    signature checking on, serving one project whose body is
                    the 10 records of `crates/http/benches/client.rs`; stopped
                    at the end. --latency-ms adds latency to every answer.

What is called:

  --targets-file F  one REGION/PROJECT_ID per line (# comments): one call per
                    target, in order (--calls N repeats the list as needed);
  otherwise         --calls N calls (default 1000) to --project-id (the
                    --fake-bin project by default).

--threads T runs the calls on T threads, each with its own client (the SDK
client is not shared across threads); 1 (default) is one call after another.
One call per thread is made first to open the connections (not timed).

    python3 -m venv /tmp/hwsdk && /tmp/hwsdk/bin/pip install huaweicloudsdkrds==3.1.219
    cargo build --release -p rds-dr-cli
    /tmp/hwsdk/bin/python .ci/interop/sdk_bench.py --fake-bin target/release/rds-dr --calls 2000
    /tmp/hwsdk/bin/python .ci/interop/sdk_bench.py --fake-bin target/release/rds-dr --calls 4000 --threads 32

Prints one line: calls, threads, wall time, calls/s and ms per call. Exit 1
when any call fails (the first failure is printed on stderr), 2 on usage
errors. The endpoint must be a loopback http:// URL: this script never calls
anything else.
"""

import argparse
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

AK = "BENCHAKBENCHAKBENCHAK"
SK = "bench-secret-key-bench-secret-key-bench"
REGION = "cn-north-4"
PROJECT = "0483b6b16e954cb88930a360d2c4e663"
PEER_PROJECT = "1bd4a1e4b3a94a5ba0f1e6d7c8b9a0f1"
RECORDS = 10


def hex_id(n):
    """The ids of crates/http/benches/client.rs: n * K mod 2^128, 32 hex digits."""
    return "%032x" % ((n * 0x9E3779B97F4A7C15F39CC0605CEDC835) % (1 << 128))


def bench_body():
    """The 10-record body of crates/http/benches/client.rs."""

    def peer(instance_id, region):
        return {"instance_id": instance_id, "region": region, "project_id": PEER_PROJECT, "project_name": region}

    records = []
    for i in range(RECORDS // 2):
        records.append(
            {
                "instance_id": hex_id(2 * i + 1) + "in03",
                "slave_instances": [peer(hex_id(2 * i + 2) + "in03", "cn-east-3")],
            }
        )
        records.append(
            {
                "instance_id": hex_id(100 + i) + "in03",
                "master_instance": peer(hex_id(200 + i) + "in03", "ap-southeast-1"),
            }
        )
    return {"instance_dr_relations": records}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--endpoint", help="base URL of a running fake, e.g. http://127.0.0.1:8080")
    where.add_argument("--fake-bin", help="the rds-dr binary: start `rds-dr fake-server` here")
    parser.add_argument("--latency-ms", type=int, default=0, help="with --fake-bin: latency of every answer")
    parser.add_argument("--ak", default=AK)
    parser.add_argument("--sk", default=SK)
    parser.add_argument("--project-id", default=PROJECT, help="without --targets-file: the project called")
    parser.add_argument("--targets-file", help="REGION/PROJECT_ID per line: one call per target")
    parser.add_argument("--calls", type=int, help="calls in all (default: one per target, or 1000)")
    parser.add_argument("--threads", type=int, default=1, help="threads, each with its own client")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument("--operation", choices=["ListDrRelations", "ListDrInfos"], default="ListDrRelations",
                        help="ListDrInfos: each call is one page (offset 0, limit 100)")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    if args.calls is not None and args.calls < 1:
        parser.error("--calls must be at least 1")
    return args


def check_loopback(url):
    parsed = urllib.parse.urlsplit(url)
    host = parsed.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parsed.scheme != "http" or not loopback:
        raise SystemExit("sdk_bench.py: the endpoint must be http:// on a loopback address, got %r" % url)


def read_targets(path):
    targets = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            region, sep, project = line.partition("/")
            if not sep or not region or not project:
                raise SystemExit("sdk_bench.py: %s: expected REGION/PROJECT_ID, got %r" % (path, line))
            targets.append(project)
    if not targets:
        raise SystemExit("sdk_bench.py: %s names no target" % path)
    return targets


def start_fake(binary, latency_ms, ak, sk, directory):
    envelope = {"source": {"region": REGION, "project_id": PROJECT}, "response": bench_body()}
    with open(os.path.join(directory, "bench.json"), "w", encoding="utf-8") as f:
        json.dump(envelope, f)
    process = subprocess.Popen(
        [binary, "fake-server", "--fleet", directory, "--listen", "127.0.0.1:0", "--ak", ak, "--sk", sk,
         "--latency-ms", str(latency_ms), "-q"],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline().strip()
    prefix = "listening on "
    if not line.startswith(prefix):
        process.kill()
        process.wait()
        raise SystemExit("sdk_bench.py: the fake server did not start (first line %r)" % line)
    return process, line[len(prefix):]


def make_client(endpoint, ak, sk, project_id):
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkrds.v3 import RdsClient

    credentials = BasicCredentials(ak, sk, project_id)
    config = HttpConfig.get_default_config()
    config.timeout = (5, 30)
    client = (
        RdsClient.new_builder()
        .with_http_config(config)
        .with_credentials(credentials)
        .with_endpoints([endpoint])
        .build()
    )
    return client, credentials


class Failure(Exception):
    pass


OPERATION = ["ListDrRelations"]


def call(client, credentials, project_id):
    """One ListDrRelations call (or one ListDrInfos page) for project_id,
    through the SDK's public API (the project id is the credentials' public,
    settable `project_id`)."""
    from huaweicloudsdkcore.exceptions import exceptions
    from huaweicloudsdkrds.v3 import ListDrInfosRequest, ListDrRelationsRequest, QueryDRInfoRequest

    credentials.project_id = project_id
    try:
        if OPERATION[0] == "ListDrInfos":
            page = client.list_dr_infos(ListDrInfosRequest(body=QueryDRInfoRequest(offset=0, limit=100)))
            return len(page.instance_dr_infos or [])
        response = client.list_dr_relations(ListDrRelationsRequest())
    except exceptions.ServiceResponseException as e:
        raise Failure("HTTP %s %s %s (request id %s)" % (e.status_code, e.error_code, e.error_msg, e.request_id))
    except exceptions.SdkException as e:
        raise Failure("%s: %s" % (type(e).__name__, e.error_msg))
    # A project without DR relations answers an empty list, which the SDK
    # turns into None.
    return len(response.instance_dr_relations or [])


def run(endpoint, args, projects):
    calls = args.calls if args.calls is not None else (len(projects) if args.targets_file else 1000)
    plan = [projects[i % len(projects)] for i in range(calls)]
    threads = min(args.threads, calls)
    clients = [make_client(endpoint, args.ak, args.sk, projects[0]) for _ in range(threads)]
    # Open each client's connection before timing (not counted).
    for client, credentials in clients:
        try:
            call(client, credentials, projects[0])
        except Failure as e:
            print("sdk_bench.py: warm-up call (%s): %s" % (projects[0], e), file=sys.stderr)
            return None

    lock = threading.Lock()
    state = {"next": 0, "records": 0, "failures": []}
    start_gate = threading.Barrier(threads + 1)

    def worker(client, credentials):
        start_gate.wait()
        while True:
            with lock:
                index = state["next"]
                if index >= len(plan) or state["failures"]:
                    return
                state["next"] = index + 1
            try:
                n = call(client, credentials, plan[index])
            except Failure as e:
                with lock:
                    state["failures"].append("call %d (%s): %s" % (index, plan[index], e))
                return
            with lock:
                state["records"] += n

    workers = [threading.Thread(target=worker, args=c, daemon=True) for c in clients]
    for w in workers:
        w.start()
    start_gate.wait()
    started = time.perf_counter()
    for w in workers:
        w.join()
    wall = time.perf_counter() - started
    if state["failures"]:
        print("sdk_bench.py: %s" % state["failures"][0], file=sys.stderr)
        return None
    return {
        "sdk": "huaweicloudsdkrds",
        "operation": OPERATION[0],
        "calls": calls,
        "threads": threads,
        "records": state["records"],
        "wall_s": round(wall, 4),
        "calls_per_s": round(calls / wall, 1),
        "ms_per_call": round(wall * 1000.0 / calls, 3),
    }


def main(argv):
    args = parse_args(argv)
    OPERATION[0] = args.operation
    # Loopback must never go through a proxy from the environment.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(name, None)
    os.environ["NO_PROXY"] = "127.0.0.1,localhost,::1"

    from importlib.metadata import version

    projects = read_targets(args.targets_file) if args.targets_file else [args.project_id]
    process = None
    with tempfile.TemporaryDirectory() as directory:
        try:
            if args.fake_bin:
                process, endpoint = start_fake(args.fake_bin, args.latency_ms, args.ak, args.sk, directory)
            else:
                endpoint = args.endpoint
            check_loopback(endpoint)
            result = run(endpoint, args, projects)
        finally:
            if process is not None:
                process.terminate()
                process.wait()
    if result is None:
        return 1
    result["sdk_version"] = version("huaweicloudsdkrds")
    result["python"] = "%d.%d.%d" % sys.version_info[:3]
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(
            "official SDK %s (Python %s) %s: %d calls on %d thread(s) in %.3f s: %.1f calls/s, %.3f ms per call"
            % (result["sdk_version"], result["python"], result["operation"], result["calls"], result["threads"],
               result["wall_s"], result["calls_per_s"], result["ms_per_call"])
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
