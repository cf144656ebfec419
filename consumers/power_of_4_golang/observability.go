package main

// Logs, metrics and tracing of the worker process. All of it is driven by the
// environment and off unless asked for; the Python and TypeScript workers read the same
// variables the same way.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
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

// DefaultServiceName is service.name of this worker's spans unless OTEL_SERVICE_NAME is set.
const DefaultServiceName = "power-of-4-go"

// StartTracing exports spans over OTLP/HTTP when an OTLP endpoint is set and returns the
// Temporal interceptor that continues the workflow's trace in each activity
// (RunActivity:power_of_4 spans) and a function that flushes the spans; nil, nil otherwise.
func StartTracing(ctx context.Context, s Settings) (interceptor.Interceptor, func(context.Context) error, error) {
	if s.OTLPEndpoint == "" && s.OTLPTracesEndpoint == "" {
		return nil, nil, nil
	}
	// Endpoint, headers and timeout come from the standard OTEL_EXPORTER_OTLP_* variables, the
	// batching delay from OTEL_BSP_*, and the service name from OTEL_SERVICE_NAME when set.
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res, err := resource.New(ctx, resource.WithAttributes(attribute.String("service.name", DefaultServiceName)), resource.WithFromEnv())
	if err != nil {
		return nil, nil, fmt.Errorf("trace resource: %w", err)
	}
	provider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	otel.SetTracerProvider(provider)
	// W3C trace context, as the TypeScript and Python interceptors write it.
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	tracing, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{Tracer: provider.Tracer("power_of_4")})
	if err != nil {
		return nil, nil, fmt.Errorf("tracing interceptor: %w", err)
	}
	return tracing, provider.Shutdown, nil
}
