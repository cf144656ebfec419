package main

import (
	"context"
	"fmt"
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

func TestNoTracingWithoutAnEndpoint(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	tracing, flush, err := StartTracing(context.Background())
	if tracing != nil || err != nil {
		t.Errorf("got %v, %v; want nothing", tracing, err)
	}
	if err := flush(context.Background()); err != nil { // a no-op, safe to defer
		t.Error(err)
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

	tracing, flush, err := StartTracing(context.Background())
	if err != nil || len(tracing) != 1 {
		t.Fatalf("got %v, %v; want one interceptor", tracing, err)
	}
	env := newEnv(t, &Activities{})
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{tracing[0].(interceptor.WorkerInterceptor)}})
	if _, err := env.ExecuteActivity(step.Activity, "2"); err != nil {
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
	if !slices.Contains(names, "power-of-4-go RunActivity:power_of_4") {
		t.Errorf("exported spans %q, want RunActivity:power_of_4 from power-of-4-go", names)
	}
}

func TestMetricsEndpointServesSDKNames(t *testing.T) {
	// A port in use fails at start, not later in a log line.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	taken := uint16(busy.Addr().(*net.TCPAddr).Port)
	if _, err := ServeMetrics("127.0.0.1", taken); err == nil || !strings.Contains(err.Error(), busy.Addr().String()) {
		t.Errorf("a metrics endpoint on a port in use: %v, want an error naming the address", err)
	}

	port := freePort(t)
	handler, err := ServeMetrics("127.0.0.1", port)
	if err != nil {
		t.Fatal(err)
	}
	handler.WithTags(map[string]string{"task_queue": step.TaskQueue}).Counter("temporal_activity_task_received").Inc(1)
	handler.Timer("temporal_activity_execution_latency").Record(250 * time.Millisecond)

	deadline := time.Now().Add(10 * time.Second)
	for {
		body := scrape(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
		if strings.Contains(body, `temporal_activity_task_received{task_queue="power-of-4-service-queue"} 1`) &&
			strings.Contains(body, "temporal_activity_execution_latency_count 1") &&
			strings.Contains(body, "temporal_activity_execution_latency_sum 0.25") {
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
