"""The reference web service of examples/service/ (issue 17): answers, 4xx never 5xx, a real server."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("fastapi", reason="the service needs the 'service' extra (FastAPI)")
pytest.importorskip("uvicorn", reason="the service needs the 'service' extra (uvicorn)")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulation_rules import load_ruleset, load_submissions, score
from emulation_rules.audit.records import replay
from emulation_rules.errors import CODES
from emulation_rules.reports.explain import explain_dict

GUIDE = "tiengiang-stnmt-2022"
SUBMISSIONS = "examples/tiengiang-2022/submissions.yaml"


@pytest.fixture(scope="module")
def app(root):
    spec = importlib.util.spec_from_file_location("service_app", root / "examples/service/app.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the models' annotations through it
    spec.loader.exec_module(module)
    return module.app


@pytest.fixture(scope="module")
def client(app):
    from fastapi.testclient import TestClient

    return TestClient(app, raise_server_exceptions=True)


@pytest.fixture(scope="module")
def body(root):
    """The example's submissions as a JSON body (numbers as text, as the YAML reader keeps them)."""
    from emulation_rules._support.yaml import parse_yaml

    document, _ = parse_yaml((root / SUBMISSIONS).read_text(encoding="utf-8"), "s.yaml")
    assert document is not None
    return json.dumps(document.data, ensure_ascii=False, default=str).encode("utf-8")


def _codes(response):
    return [i["code"] for i in response.json()["issues"]]


def test_scores_a_cluster_with_its_record(client, body, root):
    response = client.post(f"/guides/{GUIDE}/score", content=body)
    assert response.status_code == 200, response.text
    data = response.json()
    guide = load_ruleset(root / f"rulesets/{GUIDE}.yaml")
    expected = score(guide, load_submissions(root / SUBMISSIONS))
    assert [u["unit_id"] for u in data["result"]["units"]] == [u.unit_id for u in expected.units]
    assert [u["total"] for u in data["result"]["units"]] == [
        u.to_dict()["total"] for u in expected.units
    ]
    assert replay(data["record"]).identical


def test_explains_a_unit(client, body, root):
    response = client.post(f"/guides/{GUIDE}/units/tx-cai-lay/explanation", content=body)
    assert response.status_code == 200, response.text
    guide = load_ruleset(root / f"rulesets/{GUIDE}.yaml")
    unit = score(guide, load_submissions(root / SUBMISSIONS)).unit("tx-cai-lay")
    expected = explain_dict(unit, guide)
    assert response.json()["total"] == expected["total"]
    assert response.json()["trace"]["children"][0]["id"] == expected["trace"]["children"][0]["id"]
    missing = client.post(f"/guides/{GUIDE}/units/khong-co/explanation", content=body)
    assert missing.status_code == 404
    assert _codes(missing) == ["unknown-unit"]


def test_bad_inputs_are_4xx_with_the_engines_codes(client, body):
    unknown = client.post("/guides/tiengiang/score", content=body)
    assert (unknown.status_code, _codes(unknown)) == (404, ["file-not-found"])
    broken = client.post(f"/guides/{GUIDE}/score", content=b'{"ruleset": 1,\n "units": [}')
    assert (broken.status_code, _codes(broken)) == (400, ["yaml-syntax"])
    assert broken.json()["issues"][0]["line"] == 2
    twice = client.post(f"/guides/{GUIDE}/score", content=b'{"units": [], "units": []}')
    assert (twice.status_code, _codes(twice)) == (400, ["duplicate-key"])
    data = json.loads(body)
    data["units"][2]["values"]["c1_ty_le_thu_gom"] = "95,5"
    rejected = client.post(f"/guides/{GUIDE}/score", content=json.dumps(data).encode())
    assert rejected.status_code == 422
    problems = [i for i in rejected.json()["issues"] if i.get("severity", "error") == "error"]
    assert [(i["code"], i["pointer"]) for i in problems] == [
        ("number-format", "/units/2/values/c1_ty_le_thu_gom")
    ]
    assert len(rejected.json()["result"]["units"]) == 4


def test_openapi_uses_the_librarys_models(client):
    schema = client.get("/openapi.json").json()
    names = set(schema["components"]["schemas"])
    assert {"ResultDoc", "IssueDoc", "Problem", "Scored"} <= names
    operation = schema["paths"]["/guides/{name}/score"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["title"] == "SubmissionFile"
    assert {"200", "400", "404", "413", "422"} <= set(operation["responses"])


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.binary(max_size=200),
        _json.map(lambda d: json.dumps(d).encode()),
        st.fixed_dictionaries(
            {"ruleset": st.just(GUIDE), "ruleset_version": st.just("2022.1"), "units": _json}
        ).map(lambda d: json.dumps(d).encode()),
    )
)
def test_no_body_gives_a_server_error(client, data):
    response = client.post(f"/guides/{GUIDE}/score", content=data)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert set(_codes(response)) <= set(CODES)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_a_real_server_under_concurrent_requests(root, body):
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            str(root / "examples/service"),
            "app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=root,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/guides", timeout=5) as answer:  # noqa: S310
                    assert answer.status == 200
                break
            except OSError:
                assert server.poll() is None, "the server stopped"
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        bad = b'{"ruleset": "x", "units": ['

        def post(index: int) -> int:
            data = bad if index % 4 == 3 else body
            request = urllib.request.Request(  # noqa: S310
                f"{base}/guides/{GUIDE}/score",
                data=data,
                headers={"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
                    json.loads(answer.read())
                    return int(answer.status)
            except urllib.error.HTTPError as error:
                json.loads(error.read())
                return int(error.code)

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(post, range(8 * 20)))
        elapsed = time.perf_counter() - started
        print(f"{len(statuses)} requests in {elapsed:.2f} s: {len(statuses) / elapsed:.1f}/s")  # noqa: T201
        assert [s for s in statuses if s >= 500] == []
        assert statuses.count(200) == 120
        assert statuses.count(400) == 40
    finally:
        server.terminate()
        server.wait(timeout=30)
