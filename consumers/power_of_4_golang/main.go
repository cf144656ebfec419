// Command power_of_4 is the Go worker of the calculation pipeline: it serves the activity power_of_4 (n -> n^4).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"calc.local/contracts"
	"github.com/caarlos0/env/v11"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
)

var contract, step = contracts.Contract, contracts.StepOf("power_of_4")

func main() {
	cfg, err := LoadConfig(env.ToMap(os.Environ()))
	if err != nil {
		// Before any logger: one plain line, as every worker of the project prints it.
		fmt.Fprintf(os.Stderr, "%s worker: %v\n", step.Activity, err)
		os.Exit(contract.Settings.ExitCode)
	}
	host, _ := os.Hostname()
	probe := &Probe{Identity: fmt.Sprintf("%s-%s-%s@%s:%d", step.Activity, step.Language, cfg.Replica, host, os.Getpid())}
	if cfg.Versioning == "on" { // off leaves the version zero: an unversioned worker
		probe.Version = worker.WorkerDeploymentVersion{DeploymentName: cfg.DeploymentName, BuildID: cfg.BuildID}
	}
	logs := map[string]slog.Handler{"text": slog.NewTextHandler(os.Stderr, nil), "json": slog.NewJSONHandler(os.Stderr, nil)}
	slog.SetDefault(slog.New(logs[cfg.LogFormat]).With("identity", probe.Identity))
	if err := run(cfg, probe); err != nil {
		slog.Error("worker failed", "error", err)
		os.Exit(1)
	}
}

// run polls until SIGINT or SIGTERM, then lets the task in flight finish within ShutdownGrace.
func run(cfg Config, probe *Probe) error {
	probe.Status.Store("starting")
	if cfg.HealthPort != 0 {
		if err := serve(cfg.HealthHost, cfg.HealthPort, probe.Handler()); err != nil {
			return fmt.Errorf("health probe: %w", err)
		}
	}
	opts, err := envconfig.LoadDefaultClientOptions() // TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_* and the rest
	if err != nil {
		return err
	}
	opts.Identity, opts.Logger = probe.Identity, tlog.NewStructuredLogger(slog.Default())
	if cfg.Codec != nil {
		opts.DataConverter, opts.FailureConverter = cfg.Codec.Converters()
	}
	if cfg.MetricsPort != 0 {
		if opts.MetricsHandler, err = ServeMetrics(cfg.MetricsHost, cfg.MetricsPort); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	var flush func(context.Context) error
	if opts.Interceptors, flush, err = StartTracing(context.Background()); err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	defer flush(context.Background()) //nolint:errcheck // deferred before Close, so the last spans leave last
	c, err := client.Dial(opts)
	if err != nil {
		return err
	}
	defer c.Close()

	// Versioned, tasks come once the version is the deployment's current one; the workflow, not this worker, is pinned.
	wopts := worker.Options{WorkerStopTimeout: cfg.ShutdownGrace}
	if probe.Version.BuildID != "" {
		wopts.DeploymentOptions = worker.DeploymentOptions{UseVersioning: true, Version: probe.Version}
	}
	// Fixed keeps the SDK's default number of pollers. Only activity tasks: this worker runs no workflow.
	if cfg.Pollers == "autoscaling" {
		wopts.ActivityTaskPollerBehavior = worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{})
	}
	w := worker.New(c, step.TaskQueue, wopts)
	heartbeat := time.Duration(contract.HeartbeatIntervalSeconds * float64(time.Second))
	w.RegisterActivityWithOptions((&Activities{Wait: cfg.Wait, HeartbeatInterval: heartbeat}).PowerOf4,
		activity.RegisterOptions{Name: step.Activity})

	// Start and Stop rather than Run, so the probe can tell; signals caught before "ready" drain too.
	interrupt := worker.InterruptCh()
	if err := w.Start(); err != nil {
		return err
	}
	probe.Status.Store("ready")
	slog.Info("worker ready", "TaskQueue", step.TaskQueue, "Versioning", cfg.Versioning, "Pollers", cfg.Pollers, "Version", probe.Version, "Wait", cfg.Wait)
	<-interrupt
	probe.Status.Store("stopping") // no new tasks from here on
	w.Stop()
	return nil
}
