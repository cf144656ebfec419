"""The HTTP probe: answers per status and path, served over a real socket."""

import http.client
from collections.abc import Iterator

import pytest

from power_of_2.probe import serve
from tests.probe_client import get

IDENTITY = "power_of_2-python-1@host:1"
QUEUE = "power-of-2-service-queue"
DETAILS = {"task_queue": QUEUE, "build_id": "b-7", "deployment": "calculation"}


def _readiness() -> dict[str, str]:
    return {"status": "starting", "identity": IDENTITY, **DETAILS}


@pytest.fixture
def probe() -> Iterator[tuple[dict[str, str], str]]:
    readiness = _readiness()
    server = serve("127.0.0.1", 0, readiness)
    try:
        yield readiness, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_liveness_answers_in_every_status(probe: tuple[dict[str, str], str]) -> None:
    readiness, base = probe
    for status in ("starting", "ready", "stopping"):
        readiness["status"] = status
        assert get(base + "/healthz") == (
            200,
            "application/json",
            {"status": "ok", "identity": IDENTITY},
        )


def test_readiness_follows_the_worker(probe: tuple[dict[str, str], str]) -> None:
    readiness, base = probe
    body = {
        "identity": IDENTITY,
        "task_queue": QUEUE,
        "build_id": "b-7",
        "deployment": "calculation",
    }
    assert get(base + "/readyz") == (503, "application/json", {"status": "starting", **body})
    readiness["status"] = "ready"
    assert get(base + "/readyz") == (200, "application/json", {"status": "ready", **body})
    readiness["status"] = "stopping"
    assert get(base + "/readyz") == (503, "application/json", {"status": "stopping", **body})


def test_other_paths_are_not_found(probe: tuple[dict[str, str], str]) -> None:
    _, base = probe
    assert get(base + "/ready") == (404, "application/json", {"status": "not found"})
    assert get(base + "/")[0] == 404
    assert get(base + "/readyz?verbose=1")[0] == 503


def test_body_is_compact_json_with_its_length(probe: tuple[dict[str, str], str]) -> None:
    readiness, base = probe
    readiness["status"] = "ready"
    connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=5)
    try:
        connection.request("GET", "/readyz")
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    assert raw == (
        b'{"status":"ready","identity":"power_of_2-python-1@host:1",'
        b'"task_queue":"power-of-2-service-queue","build_id":"b-7","deployment":"calculation"}'
    )
    assert response.headers["Content-Length"] == str(len(raw))


def test_other_methods_are_refused(probe: tuple[dict[str, str], str]) -> None:
    _, base = probe
    connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=5)
    try:
        connection.request("POST", "/readyz", body=b"")
        assert connection.getresponse().status == 501
    finally:
        connection.close()


def test_a_taken_address_raises_naming_it() -> None:
    first = serve("127.0.0.1", 0, _readiness())
    port = first.server_address[1]
    try:
        with pytest.raises(OSError, match=f"cannot serve the probe on 127.0.0.1:{port}: .*in use"):
            serve("127.0.0.1", port, _readiness())
    finally:
        first.shutdown()
        first.server_close()
