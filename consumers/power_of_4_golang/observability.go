package main

// Logs, metrics and tracing of the worker process. All of it is driven by the
// environment and off unless asked for; the Python and TypeScript workers read the same
// variables the same way.

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
	"unicode"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	sdktally "go.temporal.io/sdk/contrib/tally"
	"go.temporal.io/sdk/interceptor"
)

// NewLogger returns the process logger: slog's JSON or text handler, every record carrying
// the worker identity. The SDK adds the workflow and activity ids to an activity's records.
func NewLogger(format logFormat, identity string, w io.Writer) *slog.Logger {
	var handler slog.Handler = slog.NewTextHandler(w, nil)
	if format == "json" {
		handler = slog.NewJSONHandler(w, nil)
	}
	return slog.New(handler).With("identity", identity)
}

// StartMetrics serves the SDK's metrics for Prometheus on addr (path /metrics) and returns the
// handler for client.Options.MetricsHandler and a function that stops serving. The names are
// the SDK's own (temporal_ prefix, no _total or unit suffix) and timers are histograms in
// seconds, which is how the Python and TypeScript workers are set up to report them too.
func StartMetrics(addr string) (client.MetricsHandler, func(context.Context) error, error) {
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:       prom.NewRegistry(),
		DefaultTimerType: tallyprom.HistogramTimerType,
		OnRegisterError:  func(err error) { slog.Warn("metric registration failed", "error", err) },
	})
	// Names and label keys as Prometheus requires them; label values as they are, so that
	// task_queue reads power-of-4-service-queue, the same as in the other workers' metrics.
	sanitize := sdktally.PrometheusSanitizeOptions
	sanitize.ValueCharacters = tally.ValidCharacters{Ranges: []tally.SanitizeRange{{' ', unicode.MaxRune}}}
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:         reporter,
		Separator:              tallyprom.DefaultSeparator,
		SanitizeOptions:        &sanitize,
		OmitCardinalityMetrics: true,
	}, time.Second)
	mux := http.NewServeMux()
	mux.Handle("/metrics", reporter.HTTPHandler())
	stopServer, err := Serve("metrics endpoint", addr, mux)
	if err != nil {
		_ = closer.Close()
		return nil, nil, err
	}
	stop := func(ctx context.Context) error {
		return errors.Join(closer.Close(), stopServer(ctx))
	}
	return sdktally.NewMetricsHandler(scope), stop, nil
}

// Serve listens on addr at once, so that a port in use is a start-up error naming the address
// rather than a log line later, then serves handler until the returned function stops it.
func Serve(what, addr string, handler http.Handler) (func(context.Context) error, error) {
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s on %s: %w", what, addr, err)
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := server.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error(what+" stopped", "error", err)
		}
	}()
	return server.Shutdown, nil
}

// StartTracing installs a tracer provider when OTEL_TRACES_FILE or an OTLP endpoint is set and
// returns the Temporal interceptor that continues the workflow's trace in each activity
// (RunActivity:power_of_4 spans) and a function that flushes the spans; nil, nil otherwise.
func StartTracing(ctx context.Context, t Settings) (interceptor.ClientInterceptor, func(context.Context) error, error) {
	var options []sdktrace.TracerProviderOption
	if t.TracesFile != "" {
		// Synchronous, so that a span is in the file as soon as it ends.
		options = append(options, sdktrace.WithSyncer(&jsonLinesExporter{path: t.TracesFile}))
	}
	if t.OTLPEndpoint != "" || t.OTLPTracesEndpoint != "" {
		// Endpoint, headers and timeout come from the standard OTEL_EXPORTER_OTLP_* variables.
		exporter, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("OTLP trace exporter: %w", err)
		}
		options = append(options, sdktrace.WithBatcher(exporter))
	}
	if len(options) == 0 {
		return nil, nil, nil
	}
	options = append(options, sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", t.ServiceName))))
	provider := sdktrace.NewTracerProvider(options...)
	otel.SetTracerProvider(provider)
	// W3C trace context, as the TypeScript and Python interceptors write it.
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	tracing, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{Tracer: provider.Tracer("power_of_4")})
	if err != nil {
		return nil, nil, fmt.Errorf("tracing interceptor: %w", err)
	}
	return tracing, provider.Shutdown, nil
}

// jsonLinesExporter appends one JSON line per finished span to a file that other processes
// append to as well; each export is one write of whole lines, so lines never interleave.
type jsonLinesExporter struct {
	path string
	mu   sync.Mutex
}

type spanLine struct {
	TraceID             string         `json:"traceId"`
	SpanID              string         `json:"spanId"`
	ParentSpanID        string         `json:"parentSpanId"`
	Name                string         `json:"name"`
	Service             string         `json:"service"`
	StartTimeUnixMicros int64          `json:"startTimeUnixMicros"`
	DurationMicros      int64          `json:"durationMicros"`
	Attributes          map[string]any `json:"attributes"`
}

func (e *jsonLinesExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	var buf []byte
	for _, s := range spans {
		line := spanLine{
			TraceID:             s.SpanContext().TraceID().String(),
			SpanID:              s.SpanContext().SpanID().String(),
			Name:                s.Name(),
			StartTimeUnixMicros: s.StartTime().UnixMicro(),
			DurationMicros:      s.EndTime().Sub(s.StartTime()).Microseconds(),
			Attributes:          map[string]any{},
		}
		if s.Parent().HasSpanID() {
			id := s.Parent().SpanID()
			line.ParentSpanID = hex.EncodeToString(id[:])
		}
		if name, ok := s.Resource().Set().Value("service.name"); ok {
			line.Service = name.AsString()
		}
		for _, kv := range s.Attributes() {
			line.Attributes[string(kv.Key)] = kv.Value.AsInterface()
		}
		encoded, err := json.Marshal(line)
		if err != nil {
			return err
		}
		buf = append(append(buf, encoded...), '\n')
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	f, err := os.OpenFile(e.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(buf)
	return errors.Join(err, f.Close())
}

func (e *jsonLinesExporter) Shutdown(context.Context) error { return nil }
