package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/proto"
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

func TestNoTracingWithoutAnEndpoint(t *testing.T) {
	tracing, flush, err := StartTracing(context.Background(), Settings{})
	if tracing != nil || flush != nil || err != nil {
		t.Errorf("got %v, %v, %v; want nothing", tracing, flush != nil, err)
	}
}

// TestActivitySpansGoOverOTLP runs the activity under the tracing interceptor and checks the
// protobuf request an OTLP/HTTP collector receives.
func TestActivitySpansGoOverOTLP(t *testing.T) {
	requests := make(chan *coltracepb.ExportTraceServiceRequest, 10)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := &coltracepb.ExportTraceServiceRequest{}
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" || proto.Unmarshal(body, req) != nil {
			t.Errorf("unexpected export: %s %s %q", r.URL.Path, r.Header.Get("Content-Type"), body)
		}
		requests <- req
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	t.Setenv("OTEL_SERVICE_NAME", "")

	tracing, flush, err := StartTracing(context.Background(), Settings{OTLPEndpoint: collector.URL})
	if err != nil {
		t.Fatal(err)
	}
	env := newEnv(t, &Activities{})
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{tracing}})
	if _, err := env.ExecuteActivity(ActivityName, "2"); err != nil {
		t.Fatal(err)
	}
	if err := flush(context.Background()); err != nil {
		t.Fatal(err)
	}

	// The collector queues each request before answering it, so flush has left them all here.
	var names []string
	for len(requests) > 0 {
		for _, rs := range (<-requests).GetResourceSpans() {
			service := ""
			for _, kv := range rs.GetResource().GetAttributes() {
				if kv.GetKey() == "service.name" {
					service = kv.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.GetScopeSpans() {
				for _, span := range ss.GetSpans() {
					names = append(names, service+" "+span.GetName())
				}
			}
		}
	}
	if !slices.Contains(names, DefaultServiceName+" RunActivity:"+ActivityName) {
		t.Errorf("exported spans %q, want RunActivity:%s from %s", names, ActivityName, DefaultServiceName)
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
