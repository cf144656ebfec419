"""The JSON log format and the span file."""

import json
import logging
from pathlib import Path

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from power_of_2.observability import (
    JsonFormatter,
    JsonLinesSpanExporter,
)


def test_json_log_line_carries_identity_and_activity_fields() -> None:
    record = logging.LogRecord("temporalio.activity", logging.INFO, "", 0, "done %s", ("x",), None)
    record.identity = "power_of_2-python-1@host:1"
    record.temporal_activity = {"workflow_id": "calculate-2-abc", "activity_id": "1"}
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["msg"] == "done x"
    assert entry["level"] == "info"
    assert entry["identity"] == "power_of_2-python-1@host:1"
    assert entry["workflow_id"] == "calculate-2-abc"


def test_span_file_gets_one_json_line_per_span(tmp_path: Path) -> None:
    path = tmp_path / "spans.jsonl"
    provider = TracerProvider(resource=Resource.create({"service.name": "svc"}))
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(path)))
    tracer = provider.get_tracer(__name__)
    with tracer.start_as_current_span("outer"), tracer.start_as_current_span("inner"):
        pass
    inner, outer = (json.loads(line) for line in path.read_text().splitlines())
    assert (inner["name"], outer["name"]) == ("inner", "outer")
    assert inner["service"] == "svc"
    assert inner["traceId"] == outer["traceId"]
    assert len(inner["traceId"]) == 32
    assert inner["parentSpanId"] == outer["spanId"]
    assert outer["parentSpanId"] == ""
