"""The JSON log format, the span file and the ready file."""

import json
import logging
from pathlib import Path

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from power_of_2.observability import (
    JsonFormatter,
    JsonLinesSpanExporter,
    ReadyFile,
    ready_record,
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


def test_ready_record_keeps_the_ready_words_in_both_formats() -> None:
    line = "worker ready identity=a@b:1 task_queue=q"
    assert ready_record("text", line, "a@b:1", "q") == line
    assert json.loads(ready_record("json", line, "a@b:1", "q"))["msg"] == line


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


def test_ready_file_is_removed_at_start_written_then_cleared(tmp_path: Path) -> None:
    path = tmp_path / "ready"
    path.write_text("left by a killed worker\n")
    ready = ReadyFile(path)
    assert not path.exists()
    ready.mark("power_of_2-python-1@host:1")
    assert path.read_text() == "power_of_2-python-1@host:1\n"
    ready.clear()
    assert not path.exists()
    ReadyFile(None).mark("nothing happens")
