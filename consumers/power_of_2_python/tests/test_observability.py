"""Log lines in both formats, and traces over OTLP."""

import json
import logging
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from power_of_2.worker import log_formatter, set_up_tracing

IDENTITY = "power_of_2-python-1@host:1"


def _record(msg: str = "done %s", *args: object) -> logging.LogRecord:
    return logging.LogRecord("temporalio.activity", logging.INFO, "", 0, msg, args, None)


def test_json_log_line_carries_identity_and_activity_fields() -> None:
    record = _record("done %s", "x")
    record.temporal_activity = {"workflow_id": "calculate-2-abc", "activity_id": "1"}
    line = log_formatter("json", IDENTITY).format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["msg"] == "done x"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "temporalio.activity"
    assert entry["identity"] == IDENTITY
    assert entry["temporal_activity"]["workflow_id"] == "calculate-2-abc"
    assert entry["time"].endswith("+00:00")


def test_json_log_line_keeps_an_exception_on_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("w", logging.ERROR, "", 0, "failed", (), sys.exc_info())
    line = log_formatter("json", IDENTITY).format(record)
    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["exc_info"]


def test_text_log_line_ends_with_identity() -> None:
    line = log_formatter("text", "odd%host").format(_record("50% done"))
    assert line.endswith(" INFO temporalio.activity: 50% done identity=odd%host")


def test_no_endpoint_means_no_tracing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    assert set_up_tracing() is None


class _Receiver(HTTPServer):
    """A stand-in collector that keeps what each OTLP request carried."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Collect)
        self.requests: list[tuple[str, str, bytes]] = []


class _Collect(BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    server = _Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_spans_go_over_otlp_protobuf(monkeypatch: pytest.MonkeyPatch, receiver: _Receiver) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{receiver.server_port}")
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    provider = set_up_tracing()
    assert provider is not None
    tracer = provider.get_tracer(__name__)
    with tracer.start_as_current_span("outer"), tracer.start_as_current_span("inner"):
        pass
    assert provider.force_flush(10_000)
    provider.shutdown()

    [(path, content_type, body)] = receiver.requests
    assert (path, content_type) == ("/v1/traces", "application/x-protobuf")
    [resource_spans] = ExportTraceServiceRequest.FromString(body).resource_spans
    resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert resource["service.name"] == "power-of-2-python"
    spans = {s.name: s for scope in resource_spans.scope_spans for s in scope.spans}
    assert set(spans) == {"outer", "inner"}
    assert spans["inner"].trace_id == spans["outer"].trace_id
    assert spans["inner"].parent_span_id == spans["outer"].span_id
