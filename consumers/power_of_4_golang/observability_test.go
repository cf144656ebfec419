package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func TestJSONLogsCarryTheIdentity(t *testing.T) {
	var buf bytes.Buffer
	NewLogger("json", "power_of_4-go-1@host:1", &buf).Info("computed power", "WorkflowID", "calculate-2-x")
	var entry map[string]any
	if err := json.Unmarshal(buf.Bytes(), &entry); err != nil {
		t.Fatalf("not one JSON record: %q", buf.String())
	}
	if entry["identity"] != "power_of_4-go-1@host:1" || entry["WorkflowID"] != "calculate-2-x" {
		t.Errorf("record %v", entry)
	}
}

func TestSpanFileHasOneJSONLinePerSpan(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spans.jsonl")
	provider := sdktrace.NewTracerProvider(
		sdktrace.WithSyncer(&jsonLinesExporter{path: path}),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "svc"))),
	)
	ctx, outer := provider.Tracer("test").Start(context.Background(), "outer")
	_, inner := provider.Tracer("test").Start(ctx, "inner")
	inner.End()
	outer.End()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", data)
	}
	var first, second spanLine
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first.Name != "inner" || second.Name != "outer" || first.Service != "svc" ||
		first.TraceID != second.TraceID || first.ParentSpanID != second.SpanID || second.ParentSpanID != "" {
		t.Errorf("spans %+v %+v", first, second)
	}
}

func TestMetricsEndpointServesSDKNames(t *testing.T) {
	handler, stop, err := StartMetrics("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_ = stop(context.Background())

	// A port in use fails at start, not later in a log line.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if _, _, err := StartMetrics(busy.Addr().String()); err == nil {
		t.Error("StartMetrics on a port in use should fail")
	}

	free, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := free.Addr().String()
	_ = free.Close()
	handler, stop, err = StartMetrics(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stop(context.Background()) }()
	handler.WithTags(map[string]string{"task_queue": TaskQueue}).Counter("temporal_activity_task_received").Inc(1)
	handler.Timer("temporal_activity_execution_latency").Record(250 * time.Millisecond)

	deadline := time.Now().Add(10 * time.Second)
	for {
		body := scrape(t, "http://"+addr+"/metrics")
		if strings.Contains(body, `temporal_activity_task_received{task_queue="power-of-4-service-queue"} 1`) &&
			strings.Contains(body, "temporal_activity_execution_latency_count 1") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics not served as expected:\n%s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url) //nolint:gosec // a local test server
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return string(body)
}
