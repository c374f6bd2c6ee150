#!/usr/bin/env python3
"""Call ListDrRelations (or page through ListDrInfos) with the OFFICIAL Huawei
Cloud Python SDK against the rds-dr fake server (or any endpoint given), and
print what came back.

Proves that the fake verifies signatures exactly as the official SDK makes
them, and that the SDK accepts the fake's answers. Run by the Rust test
`crates/fake/tests/sdk_interop.rs` when RDS_DR_SDK_PYTHON points at a Python
with the SDK installed:

    python3 -m venv /tmp/hwsdk && /tmp/hwsdk/bin/pip install huaweicloudsdkrds==3.1.219
    RDS_DR_SDK_PYTHON=/tmp/hwsdk/bin/python cargo test -p rds-dr-fake --test sdk_interop

By hand, against a running `rds-dr fake-server --fleet DIR --ak AK --sk SK`:

    /tmp/hwsdk/bin/python .ci/interop/sdk_interop.py --endpoint http://127.0.0.1:PORT \
        --ak AK --sk SK --project-id PROJECT_ID

Options fall back to HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK,
HUAWEICLOUD_SDK_SECURITY_TOKEN and HUAWEICLOUD_SDK_PROJECT_ID. The endpoint
is always explicit: this script never derives one from a region, so it never
contacts a real Huawei Cloud endpoint unless told to.

With --operation ListDrInfos the script pages through the whole list with the
SDK's ListDrInfosRequest / QueryDRInfoRequest (limit --page-size, offset 0,
then += the page size, stopping at an empty page or offset >= total_count) and
prints {"instance_dr_infos": [every record, in page order], "pages": N,
"total_count": as last reported}. With --limit/--offset it makes one call with
exactly those values (to see the fake refuse a bad page with --expect-error).

Exit codes:
  0  the call succeeded; the body is printed to stdout as JSON (sorted keys).
     With --expect-error CODE: the call failed with that error code; the error
     is printed to stdout as JSON {status_code, error_code, error_msg, request_id}.
  1  the call failed (status, error code, message and request id on stderr),
     or with --expect-error: it failed with another code.
  2  usage error.
  3  with --expect-error: the call succeeded.
"""

import argparse
import json
import os
import sys


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True, help="base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--ak", default=os.environ.get("HUAWEICLOUD_SDK_AK"))
    parser.add_argument("--sk", default=os.environ.get("HUAWEICLOUD_SDK_SK"))
    parser.add_argument("--security-token", default=os.environ.get("HUAWEICLOUD_SDK_SECURITY_TOKEN"))
    parser.add_argument("--project-id", default=os.environ.get("HUAWEICLOUD_SDK_PROJECT_ID"))
    parser.add_argument(
        "--region",
        help="the region the project belongs to; only reported (the endpoint is always --endpoint)",
    )
    parser.add_argument("--language", choices=["en-us", "zh-cn"], help="X-Language header")
    parser.add_argument("--timeout", type=float, default=30.0, help="read timeout in seconds")
    parser.add_argument("--operation", choices=["ListDrRelations", "ListDrInfos"], default="ListDrRelations")
    parser.add_argument("--page-size", type=int, default=100, help="ListDrInfos: records per page")
    parser.add_argument("--limit", type=int, help="ListDrInfos: one call with this limit")
    parser.add_argument("--offset", type=int, help="ListDrInfos: one call with this offset")
    parser.add_argument("--status", help="ListDrInfos: the status filter")
    parser.add_argument(
        "--expect-error",
        metavar="CODE",
        help="succeed only if the call fails with this error code (e.g. APIGW.0301)",
    )
    args = parser.parse_args(argv)
    missing = [name for name in ("ak", "sk", "project_id") if not getattr(args, name)]
    if missing:
        parser.error("missing " + ", ".join("--" + m.replace("_", "-") for m in missing))
    return args


def main(argv):
    args = parse_args(argv)
    # Loopback must never go through a proxy from the environment.
    os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost", "::1"]))

    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.exceptions import exceptions
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkrds.v3 import ListDrInfosRequest, ListDrRelationsRequest, QueryDRInfoRequest, RdsClient

    credentials = BasicCredentials(args.ak, args.sk, args.project_id)
    if args.security_token:
        credentials = credentials.with_security_token(args.security_token)
    config = HttpConfig.get_default_config()
    config.timeout = (5, args.timeout)
    client = (
        RdsClient.new_builder()
        .with_http_config(config)
        .with_credentials(credentials)
        .with_endpoints([args.endpoint])
        .build()
    )
    request = ListDrRelationsRequest()
    if args.language:
        request.x_language = args.language

    def list_dr_infos():
        """Every page (or the one page asked for), merged as described above."""
        records, pages, total = [], 0, None
        single = args.limit is not None or args.offset is not None
        offset = args.offset if args.offset is not None else 0
        limit = args.limit if args.limit is not None else args.page_size
        while True:
            body = QueryDRInfoRequest(offset=offset, limit=limit, status=args.status)
            page = client.list_dr_infos(ListDrInfosRequest(x_language=args.language, body=body))
            pages += 1
            items = page.instance_dr_infos or []
            total = page.total_count
            records.extend(item.to_dict() for item in items)
            offset += limit
            if single or not items or (total is not None and offset >= total):
                return {"instance_dr_infos": records, "pages": pages, "total_count": total}

    try:
        if args.operation == "ListDrInfos":
            merged = list_dr_infos()
            if args.expect_error is not None:
                print("expected error %s, but the call succeeded" % args.expect_error, file=sys.stderr)
                return 3
            print(json.dumps(merged, sort_keys=True, ensure_ascii=False))
            print("the SDK paged %d record(s) in %d call(s)" % (len(merged["instance_dr_infos"]), merged["pages"]),
                  file=sys.stderr)
            return 0
        response = client.list_dr_relations(request)
    except exceptions.ServiceResponseException as e:
        error = {
            "status_code": e.status_code,
            "error_code": e.error_code,
            "error_msg": e.error_msg,
            "request_id": e.request_id,
        }
        if args.expect_error is not None:
            if e.error_code == args.expect_error:
                print(json.dumps(error, sort_keys=True, ensure_ascii=False))
                return 0
            print(
                "expected error %s, got %s" % (args.expect_error, json.dumps(error, ensure_ascii=False)),
                file=sys.stderr,
            )
            return 1
        print(
            "%s failed: HTTP %s, error code %s, message %r, request id %s"
            % (args.operation, e.status_code, e.error_code, e.error_msg, e.request_id),
            file=sys.stderr,
        )
        return 1
    except exceptions.SdkException as e:
        print("%s failed without a response: %s: %s" % (args.operation, type(e).__name__, e.error_msg), file=sys.stderr)
        return 1

    if args.expect_error is not None:
        print("expected error %s, but the call succeeded" % args.expect_error, file=sys.stderr)
        return 3
    body = response.to_json_object()
    if body is None:
        print("ListDrRelations succeeded with an empty body", file=sys.stderr)
        return 1
    print(json.dumps(body, sort_keys=True, ensure_ascii=False))
    # What the SDK's own model decoded, for a human reading the log.
    decoded = [getattr(r, "instance_id", None) for r in (response.instance_dr_relations or [])]
    print("the SDK decoded %d record(s): %s" % (len(decoded), decoded), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
