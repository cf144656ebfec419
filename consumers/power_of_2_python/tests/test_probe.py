"""The HTTP probe: answers per status and path, served over a real socket."""

import http.client
from collections.abc import Iterator

import pytest

from power_of_2.probe import Probe
from tests.probe_client import get

IDENTITY = "power_of_2-python-1@host:1"
QUEUE = "power-of-2-service-queue"
DETAILS = {"task_queue": QUEUE, "build_id": "b-7", "deployment": "calculation"}


@pytest.fixture
def probe() -> Iterator[tuple[Probe, str]]:
    probe = Probe(IDENTITY, **DETAILS)
    server = probe.serve("127.0.0.1", 0)
    try:
        yield probe, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_liveness_answers_in_every_status(probe: tuple[Probe, str]) -> None:
    state, base = probe
    for status in ("starting", "ready", "stopping"):
        state.status = status
        assert get(base + "/healthz") == (
            200,
            "application/json",
            {"status": "ok", "identity": IDENTITY},
        )


def test_readiness_follows_the_worker(probe: tuple[Probe, str]) -> None:
    state, base = probe
    body = {
        "identity": IDENTITY,
        "task_queue": QUEUE,
        "build_id": "b-7",
        "deployment": "calculation",
    }
    assert get(base + "/readyz") == (503, "application/json", {"status": "starting", **body})
    state.status = "ready"
    assert get(base + "/readyz") == (200, "application/json", {"status": "ready", **body})
    state.status = "stopping"
    assert get(base + "/readyz") == (503, "application/json", {"status": "stopping", **body})


def test_other_paths_are_not_found(probe: tuple[Probe, str]) -> None:
    _, base = probe
    assert get(base + "/ready")[0] == 404
    assert get(base + "/")[0] == 404
    assert get(base + "/readyz?verbose=1")[0] == 503


def test_body_is_compact_json_with_its_length(probe: tuple[Probe, str]) -> None:
    state, base = probe
    state.status = "ready"
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


def test_other_methods_are_refused(probe: tuple[Probe, str]) -> None:
    _, base = probe
    connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=5)
    try:
        connection.request("POST", "/readyz", body=b"")
        assert connection.getresponse().status == 501
    finally:
        connection.close()


def test_a_taken_address_raises_naming_it() -> None:
    first = Probe(IDENTITY, **DETAILS).serve("127.0.0.1", 0)
    port = first.server_address[1]
    try:
        with pytest.raises(OSError, match=f"cannot serve the probe on 127.0.0.1:{port}: .*in use"):
            Probe(IDENTITY, **DETAILS).serve("127.0.0.1", port)
    finally:
        first.shutdown()
        first.server_close()
