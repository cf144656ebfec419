// Command power_of_4 is the Go worker of the calculation pipeline: it serves the activity
// power_of_4 (n -> n^4) on the task queue that contracts/contract.json names.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
)

func main() {
	cfg, err := LoadConfig(os.Getenv)
	if err != nil {
		// Before any logger: one plain line, as every worker of the project prints it.
		fmt.Fprintf(os.Stderr, "%s worker: %v\n", step.Activity, err)
		os.Exit(contract.Settings.ExitCode)
	}
	var logs slog.Handler = slog.NewTextHandler(os.Stderr, nil)
	if cfg.LogFormat == "json" {
		logs = slog.NewJSONHandler(os.Stderr, nil)
	}
	slog.SetDefault(slog.New(logs).With("identity", cfg.Identity))
	if err := run(cfg); err != nil {
		slog.Error("worker failed", "error", err)
		os.Exit(1)
	}
}

// run polls until SIGINT or SIGTERM, then drains: the task in flight gets ShutdownGrace.
func run(cfg Config) error {
	probe := NewProbe(cfg.Identity, cfg.Version)
	if cfg.HealthAddr != "" {
		if err := serve(cfg.HealthAddr, probe.Handler()); err != nil {
			return fmt.Errorf("health probe: %w", err)
		}
	}
	// TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE.
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return err
	}
	opts.Identity, opts.Logger = cfg.Identity, tlog.NewStructuredLogger(slog.Default())
	if cfg.Codec != nil {
		opts.DataConverter, opts.FailureConverter = cfg.Codec.Converters()
	}
	if cfg.MetricsAddr != "" {
		if opts.MetricsHandler, err = ServeMetrics(cfg.MetricsAddr); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	var flush func()
	if opts.Interceptors, flush, err = StartTracing(context.Background()); err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	defer flush() // deferred before Close, so it runs after it: the last spans leave last
	c, err := client.Dial(opts)
	if err != nil {
		return fmt.Errorf("connect to Temporal: %w", err)
	}
	defer c.Close()

	// The version gets tasks once it is the deployment's current one. With no workflows here,
	// it needs no default versioning behavior: the workflow is pinned.
	w := worker.New(c, step.TaskQueue, worker.Options{
		WorkerStopTimeout: cfg.ShutdownGrace,
		DeploymentOptions: worker.DeploymentOptions{UseVersioning: true, Version: cfg.Version},
	})
	heartbeat := time.Duration(contract.HeartbeatIntervalSeconds * float64(time.Second))
	w.RegisterActivityWithOptions((&Activities{Wait: cfg.Wait, HeartbeatInterval: heartbeat}).PowerOf4,
		activity.RegisterOptions{Name: step.Activity})

	// Start and Stop rather than Run, so the probe can tell; the signals are caught before it
	// says ready, so that an early SIGTERM drains too.
	interrupt := worker.InterruptCh()
	if err := w.Start(); err != nil {
		return err
	}
	probe.Set("ready")
	slog.Info("worker ready", "TaskQueue", step.TaskQueue, "Version", cfg.Version, "Wait", cfg.Wait)
	<-interrupt
	probe.Set("stopping") // no new tasks from here on
	w.Stop()
	return nil
}
