#!/usr/bin/env python3
"""Known-answer files for rds-dr-sign, produced by the OFFICIAL Huawei Cloud SDK signer.

Rerun (from the repository root; the venv lives outside the repo; huaweicloudsdkrds 3.1.219
pulls huaweicloudsdkcore==3.1.219, the signer used):

    python3 -m venv /tmp/hwsdk \
      && /tmp/hwsdk/bin/pip install huaweicloudsdkrds==3.1.219 \
      && /tmp/hwsdk/bin/python3 .ci/interop/make_sign_vectors.py

With --check it writes nothing and exits 1 when a committed file differs from what the SDK
produces now (use it in CI to catch a stale vector or an SDK behaviour change).

It (re)writes crates/sign/tests/vectors/<case>/ with:
  request.json           the request in rds-dr-sign's terms: method, host, DECODED path,
                         DECODED query pairs, headers given to the signer, body (text),
                         time (X-Sdk-Date), ak, sk, security_token (or null)
  canonical-request.txt  what the SDK hashed (no trailing newline)
  string-to-sign.txt     what the SDK signed (no trailing newline)
  authorization.txt      the SDK's Authorization header value (no trailing newline)
  wire.json              what the SDK puts on the wire: uri (path?query) and every header,
                         for verify() tests

The request goes through BasicCredentials.sign_request, the same path the SDK client uses
(it adds X-Security-Token before signing). The signing time is fixed by passing X-Sdk-Date,
which the SDK honours. Nothing is sent anywhere: this script makes no network call.

ALL CREDENTIALS HERE ARE FAKE, FOR TESTS ONLY.
"""

import json
import os
import shutil
import sys
from urllib.parse import quote

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

try:
    from importlib.metadata import version as _dist_version

    SDK_VERSION = _dist_version("huaweicloudsdkcore")
except Exception:  # pragma: no cover
    SDK_VERSION = "unknown"

# Test-only credentials (the reference known answer uses these).
AK = "AKTESTAKTESTAKTEST"
SK = "SKtestSKtestSKtestSKtestSKtestSKtestSKte"
TOKEN = "TEST-ONLY-security-token/+=gQbcF2ZXJpZnkgbWUgbm90IGEgcmVhbCB0b2tlbg=="
PID = "0123456789abcdef0123456789abcdef"
HOST = "rds.ap-southeast-1.myhuaweicloud.com"
DATE = "20240101T000000Z"
DR_PATH = f"/v3/{PID}/instances/disaster-recovery-relation"
JSON_HEADERS = [("Content-Type", "application/json"), ("X-Project-Id", PID)]

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "crates", "sign", "tests", "vectors")

CASES = [
    dict(name="plain-get", path=DR_PATH, headers=JSON_HEADERS),
    # The reference known answer (brief/reference: signature 318e58e5...).
    dict(name="x-language", path=DR_PATH, headers=JSON_HEADERS + [("X-Language", "en-us")],
         expect_signature="318e58e5c11c7c5412ff0a562800b970e6b25ffa3523ac0d4581acc328d921d7"),
    dict(name="security-token", path=DR_PATH, headers=JSON_HEADERS + [("X-Language", "zh-cn")], token=TOKEN),
    dict(name="query-sorting", path=f"/v3/{PID}/instances",
         query=[("name", "a b"), ("limit", "10"), ("name", "a+b"), ("name", "a~b*c"), ("Zeta", "upper"),
                ("empty", ""), ("uni", "数据库"), ("é", "accent-key"), ("z~", "tilde-key"),
                ("x", "slash/amp&eq=pct%"), ("offset", "0"), ("a", "2"), ("a", "10"), ("a", "1")],
         headers=JSON_HEADERS),
    dict(name="path-encoding", path=f"/v3/{PID}/instances/a b+c~d*e%f/数据库(x)!'@:",
         headers=JSON_HEADERS),
    dict(name="trailing-slash", path="/v3/projects/", headers=[("Content-Type", "application/json")]),
    dict(name="post-json-body", method="POST", path=f"/v3/{PID}/instances/disaster-recovery-infos",
         headers=JSON_HEADERS + [("X-Language", "en-us")],
         body=json.dumps({"offset": 0, "limit": 100, "master_region": "cn-north-4", "name": "数据库"},
                         ensure_ascii=False, separators=(",", ":"))),
    dict(name="host-port", host="127.0.0.1:8443", path=DR_PATH, query=[("limit", "100")], headers=JSON_HEADERS),
    dict(name="empty-project", host="iam.cn-north-4.myhuaweicloud.com", path="/v3/projects",
         query=[("name", "cn-north-4")], headers=[("Content-Type", "application/json")]),
    # Values are stripped before signing; names with '_' are sent but not signed.
    dict(name="header-trim-underscore", path=DR_PATH,
         headers=JSON_HEADERS + [("User-Agent", "  rds-dr/0.1.0 (linux; x86_64)\t "), ("X_Trace_Id", "abc")]),
    # Content-Type neither JSON nor BSON: the SDK adds X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD.
    dict(name="unsigned-payload", method="PUT", host="127.0.0.1:8443", path="/v3/upload",
         headers=[("Content-Type", "text/plain")], body="not json\n"),
    dict(name="token-post-port", method="POST", host="127.0.0.1:8443",
         path=f"/v3/{PID}/instances/disaster-recovery-infos", headers=JSON_HEADERS, token=TOKEN,
         body='{"limit":10}'),
    # The whole SDK client path (RdsClient.list_dr_relations up to the wire, nothing sent):
    # it adds User-Agent and X-Project-Id itself.
    dict(name="sdk-client-list-dr-relations", client=True, host="127.0.0.1:8443",
         path=f"/v3/{PID}/instances/disaster-recovery-relation"),
    dict(name="sdk-client-list-dr-relations-token", client=True, host="127.0.0.1:8443",
         path=f"/v3/{PID}/instances/disaster-recovery-relation", token=TOKEN),
    # RdsClient.list_dr_infos: a POST whose JSON body the SDK itself serialises
    # from QueryDRInfoRequest (the body rds-dr must sign byte for byte).
    dict(name="sdk-client-list-dr-infos", client="list_dr_infos", host="127.0.0.1:8443",
         path=f"/v3/{PID}/instances/disaster-recovery-infos",
         query_body=dict(offset=100, limit=100, order="ASC", sort_field="time", status="normal")),
    dict(name="sdk-client-list-dr-infos-token", client="list_dr_infos", host="127.0.0.1:8443",
         path=f"/v3/{PID}/instances/disaster-recovery-infos", token=TOKEN,
         query_body=dict(offset=0, limit=100, master_region="cn-north-4")),
]

# Fixed so the vector is reproducible (the SDK appends its own prefix).
CLIENT_USER_AGENT = "rds-dr-sign-vectors/1.0"
OWNED_BY_SIGN = {"host", "x-sdk-date", "x-security-token", "authorization"}


def resource_path(decoded_path):
    """What the SDK client builds: path parameters go through quote(v, safe='')."""
    return "/".join(quote(segment, safe="") for segment in decoded_path.split("/"))


class Recorder:
    """Wraps the SDK's own step so we see the exact canonical request and string to sign."""

    def __init__(self):
        self.canonical_request = None
        self.string_to_sign = None
        self._orig = Signer._process_string_to_sign

        recorder = self

        def process_string_to_sign(signer_self, canonical_request, t, *rest):
            result = recorder._orig(signer_self, canonical_request, t, *rest)
            recorder.canonical_request = canonical_request
            recorder.string_to_sign = result
            return result

        Signer._process_string_to_sign = process_string_to_sign

    def restore(self):
        Signer._process_string_to_sign = self._orig


def through_client(host, token, operation=True, query_body=None):
    """RdsClient.list_dr_relations (or list_dr_infos) as far as the signed request,
    without sending it."""
    from huaweicloudsdkrds.v3 import (ListDrInfosRequest, ListDrRelationsRequest, QueryDRInfoRequest,
                                      RdsClient)

    credentials = BasicCredentials(AK, SK, PID)
    if token:
        credentials = credentials.with_security_token(token)
    client = RdsClient.new_builder().with_credentials(credentials).with_endpoints([f"https://{host}"]).build()
    if operation == "list_dr_infos":
        request = ListDrInfosRequest(x_language="en-us", body=QueryDRInfoRequest(**query_body))
        info = RdsClient._list_dr_infos_http_info(request)
    else:
        info = RdsClient._list_dr_relations_http_info(ListDrRelationsRequest(x_language="en-us"))
    info["header_params"]["X-Sdk-Date"] = DATE
    info["header_params"]["User-Agent"] = CLIENT_USER_AGENT
    future = client.build_future_request(
        info["method"], info["resource_path"], info["path_params"], info["query_params"],
        info["header_params"], info["body"], info["post_params"], info["cname"],
        info["response_type"], info["collection_formats"], None)
    return future.result()


def from_wire(value):
    # The SDK stores header values as UTF-8 bytes decoded as ISO-8859-1 (what goes on the wire).
    return value.encode("iso-8859-1").decode("utf-8")


def make(case):
    method = case.get("method", "GET")
    host = case.get("host", HOST)
    query = case.get("query", [])
    headers = case.get("headers", [])
    body = case.get("body", "")
    token = case.get("token")

    recorder = Recorder()
    try:
        if case.get("client"):
            signed = through_client(host, token, case["client"], case.get("query_body"))
            method = signed.method
            body = signed.body if isinstance(signed.body, str) else (signed.body or b"").decode("utf-8") \
                if signed.body else ""
            # What the signer was given, in rds-dr-sign's terms.
            headers = [(k, from_wire(str(v))) for k, v in signed.header_params.items()
                       if k.lower() not in OWNED_BY_SIGN]
        else:
            header_params = dict(headers)
            header_params["X-Sdk-Date"] = DATE
            request = SdkRequest(method=method, schema="https", host=host,
                                 resource_path=resource_path(case["path"]),
                                 query_params=list(query), header_params=header_params, body=body)
            credentials = BasicCredentials(AK, SK)
            if token:
                credentials = credentials.with_security_token(token)
            signed = credentials.sign_request(request)
    finally:
        recorder.restore()
    if signed.resource_path != resource_path(case["path"]):
        sys.exit(f"{case['name']}: SDK path {signed.resource_path} != {resource_path(case['path'])}")

    authorization = signed.header_params["Authorization"]
    if "expect_signature" in case and not authorization.endswith("Signature=" + case["expect_signature"]):
        sys.exit(f"{case['name']}: SDK no longer reproduces the reference known answer: {authorization}")

    folder = os.path.join(OUT, case["name"])
    if not CHECK:
        os.makedirs(folder, exist_ok=True)
    request_json = {
        "_comment": "TEST-ONLY fake credentials. Generated by .ci/interop/make_sign_vectors.py "
                    f"with huaweicloudsdkcore {SDK_VERSION}; do not edit.",
        "method": method,
        "host": host,
        "path": case["path"],
        "query": [[k, v] for k, v in query],
        "headers": [[k, v] for k, v in headers],
        "body": body,
        "time": DATE,
        "ak": AK,
        "sk": SK,
        "security_token": token,
    }
    wire = {
        "uri": signed.uri,
        "headers": [[k, from_wire(str(v))] for k, v in signed.header_params.items()],
    }
    write(folder, "request.json", json.dumps(request_json, ensure_ascii=False, indent=2) + "\n")
    write(folder, "wire.json", json.dumps(wire, ensure_ascii=False, indent=2) + "\n")
    write(folder, "canonical-request.txt", recorder.canonical_request)
    write(folder, "string-to-sign.txt", recorder.string_to_sign)
    write(folder, "authorization.txt", authorization)
    print(f"{case['name']}: {authorization.rsplit('=', 1)[1]}")


CHECK = "--check" in sys.argv[1:]
STALE = []


def write(folder, name, text):
    path = os.path.join(folder, name)
    if CHECK:
        try:
            with open(path, encoding="utf-8", newline="") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current != text:
            STALE.append(os.path.relpath(path, OUT))
        return
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def main():
    if not CHECK:
        os.makedirs(OUT, exist_ok=True)
    names = {case["name"] for case in CASES}
    for existing in (os.listdir(OUT) if os.path.isdir(OUT) else []):
        if existing not in names and os.path.isdir(os.path.join(OUT, existing)):
            if CHECK:
                STALE.append(existing + "/ (not produced by this script)")
            else:
                shutil.rmtree(os.path.join(OUT, existing))
    for case in CASES:
        make(case)
    if STALE:
        sys.exit("stale sign vectors (rerun without --check):\n  " + "\n  ".join(STALE))


if __name__ == "__main__":
    main()
