package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"time"
	"unicode"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	sdktally "go.temporal.io/sdk/contrib/tally"
	"go.temporal.io/sdk/interceptor"
)

// ServeMetrics serves the SDK's metrics as the other workers do: temporal_ names, histograms in seconds.
func ServeMetrics(host string, port uint16) (client.MetricsHandler, error) {
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:       prom.NewRegistry(),
		DefaultTimerType: tallyprom.HistogramTimerType,
		OnRegisterError:  func(err error) { slog.Warn("metric not registered", "error", err) },
	})
	// Label values as they are, such as the task queue's name with its dashes.
	sanitize := sdktally.PrometheusSanitizeOptions
	sanitize.ValueCharacters = tally.ValidCharacters{Ranges: []tally.SanitizeRange{{' ', unicode.MaxRune}}}
	scope, _ := tally.NewRootScope(tally.ScopeOptions{CachedReporter: reporter, Separator: "_",
		SanitizeOptions: &sanitize, OmitCardinalityMetrics: true}, time.Second)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", reporter.HTTPHandler())
	return sdktally.NewMetricsHandler(scope), serve(host, port, mux)
}

// StartTracing continues the workflow's trace in each activity, exported over OTLP/HTTP when an endpoint is set.
func StartTracing(ctx context.Context) ([]interceptor.ClientInterceptor, func(context.Context) error, error) {
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return nil, func(context.Context) error { return nil }, nil
	}
	exporter, err := otlptracehttp.New(ctx) // reads the other OTEL_ variables itself
	if err != nil {
		return nil, nil, err
	}
	// The other workers' shape of name, unless OTEL_SERVICE_NAME says otherwise.
	res, err := resource.New(ctx, resource.WithAttributes(attribute.String("service.name", "power-of-4-go")), resource.WithFromEnv())
	if err != nil {
		return nil, nil, err
	}
	// A stopping worker gives a collector that is down a few seconds, not the exporter's minute of retries.
	batcher := sdktrace.WithBatcher(exporter, sdktrace.WithExportTimeout(5*time.Second))
	provider := sdktrace.NewTracerProvider(batcher, sdktrace.WithResource(res))
	tracing, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{Tracer: provider.Tracer(step.Activity)})
	return []interceptor.ClientInterceptor{tracing}, provider.Shutdown, err
}
