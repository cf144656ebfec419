package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"strings"
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

// ServeMetrics serves the SDK's metrics for Prometheus on addr as the other workers do:
// the SDK's own temporal_ names, timers as histograms in seconds, label values unchanged.
func ServeMetrics(addr string) (client.MetricsHandler, error) {
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:       prom.NewRegistry(),
		DefaultTimerType: tallyprom.HistogramTimerType,
		OnRegisterError:  func(err error) { slog.Warn("metric not registered", "error", err) },
	})
	sanitize := sdktally.PrometheusSanitizeOptions
	sanitize.ValueCharacters = tally.ValidCharacters{Ranges: []tally.SanitizeRange{{' ', unicode.MaxRune}}}
	scope, _ := tally.NewRootScope(tally.ScopeOptions{CachedReporter: reporter, Separator: "_",
		SanitizeOptions: &sanitize, OmitCardinalityMetrics: true}, time.Second)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", reporter.HTTPHandler())
	return sdktally.NewMetricsHandler(scope), serve(addr, mux)
}

// StartTracing continues the workflow's trace in each activity and exports it over OTLP/HTTP
// when an OTLP endpoint is set; flush sends what is left. The exporter reads OTEL_* itself.
func StartTracing(ctx context.Context) (_ []interceptor.ClientInterceptor, flush func(), _ error) {
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return nil, func() {}, nil
	}
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, nil, err
	}
	// power-of-4-go, the other workers' shape of name, unless OTEL_SERVICE_NAME says otherwise.
	name := strings.ReplaceAll(step.Activity, "_", "-") + "-" + step.Language
	res, err := resource.New(ctx, resource.WithAttributes(attribute.String("service.name", name)), resource.WithFromEnv())
	if err != nil {
		return nil, nil, err
	}
	provider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	tracing, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{Tracer: provider.Tracer(step.Activity)})
	return []interceptor.ClientInterceptor{tracing}, func() {
		// The exporter retries for up to a minute; a stopping worker gives it a few seconds.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = provider.Shutdown(ctx)
	}, err
}
