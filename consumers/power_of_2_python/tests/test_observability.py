"""Observability settings, the JSON log format, the span file and the ready file."""

import json
import logging
from pathlib import Path

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from power_of_2.observability import (
    JsonFormatter,
    JsonLinesSpanExporter,
    ReadyFile,
    TelemetryError,
    load_telemetry_settings,
    ready_record,
)


def test_everything_is_off_by_default() -> None:
    settings = load_telemetry_settings({})
    assert settings.log_format == "text"
    assert settings.metrics_address is None
    assert settings.ready_file is None
    assert settings.traces_file is None
    assert not settings.otlp
    assert settings.service_name == "power-of-2-python"


def test_metrics_bind_loopback_unless_told_otherwise() -> None:
    assert load_telemetry_settings({"METRICS_PORT": "9465"}).metrics_address == "127.0.0.1:9465"
    wide = load_telemetry_settings({"METRICS_PORT": "9465", "METRICS_HOST": "0.0.0.0"})
    assert wide.metrics_address == "0.0.0.0:9465"
    assert load_telemetry_settings({"METRICS_PORT": "1", "METRICS_HOST": "::"}).metrics_address == (
        "[::]:1"
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("METRICS_PORT", "http"),
        ("METRICS_PORT", "0"),
        ("METRICS_PORT", "70000"),
        ("LOG_FORMAT", "xml"),
    ],
)
def test_malformed_settings_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(TelemetryError, match=variable):
        load_telemetry_settings({variable: value})


def test_otlp_and_service_name_come_from_the_standard_variables() -> None:
    settings = load_telemetry_settings(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SERVICE_NAME": "p2"}
    )
    assert settings.otlp
    assert settings.service_name == "p2"


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
