// Command power_of_4 runs the Go worker of the calculation pipeline: activity power_of_4
// (n -> n^4) on task queue power-of-4-service-queue.
package main

import (
	"context"
	"errors"
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
	err := run()
	var bad *SettingError
	switch {
	case errors.As(err, &bad):
		// Before the logger exists, so a plain line, as every process of the project prints it.
		fmt.Fprintf(os.Stderr, "%s worker: %v\n", ActivityName, err)
		os.Exit(SettingsExitCode)
	case err != nil:
		slog.Error("worker failed", "error", err)
		os.Exit(1)
	}
}

// run loads the configuration, connects, polls until SIGINT or SIGTERM, then stops gracefully.
func run() error {
	cfg, err := LoadSettings(nil)
	if err != nil {
		return err
	}
	identity := Identity(string(cfg.Replica))
	slogger := NewLogger(cfg.LogFormat, identity, os.Stderr)
	slog.SetDefault(slogger)
	logger := tlog.NewStructuredLogger(slogger)
	probe := NewProbe(identity, cfg.DeploymentName, string(cfg.BuildID))
	if cfg.HealthPort != 0 {
		stop, err := Serve("health probe", cfg.HealthPort.on(cfg.HealthHost), probe.Handler())
		if err != nil {
			return err
		}
		defer stopWithin(stop)
	}

	opts, err := ClientOptions(identity, logger)
	if err != nil {
		return err
	}
	if opts.DataConverter, opts.FailureConverter, err = Converters(cfg); err != nil {
		return err
	}
	if cfg.MetricsPort != 0 {
		addr := cfg.MetricsPort.on(cfg.MetricsHost)
		handler, stop, err := StartMetrics(addr)
		if err != nil {
			return err
		}
		defer stopWithin(stop)
		opts.MetricsHandler = handler
		logger.Info("Prometheus metrics", "URL", "http://"+addr+"/metrics")
	}
	tracing, flush, err := StartTracing(context.Background(), cfg)
	if err != nil {
		return err
	}
	if tracing != nil {
		// Deferred before Close below, so it runs after it: the last spans are flushed last.
		defer stopWithin(flush)
		opts.Interceptors = append(opts.Interceptors, tracing)
	}
	c, err := client.Dial(opts)
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s (namespace %s): %w", opts.HostPort, opts.Namespace, err)
	}
	defer c.Close()

	// A versioned worker gets tasks once its version is the deployment's current (or ramping)
	// one. With no workflows here, no default versioning behavior is needed.
	w := worker.New(c, TaskQueue, worker.Options{
		WorkerStopTimeout: cfg.ShutdownGrace,
		DeploymentOptions: worker.DeploymentOptions{
			UseVersioning: true,
			Version:       worker.WorkerDeploymentVersion{DeploymentName: cfg.DeploymentName, BuildID: string(cfg.BuildID)},
		},
	})
	acts := &Activities{Wait: cfg.Wait, HeartbeatInterval: HeartbeatIntervalSeconds * time.Second}
	w.RegisterActivityWithOptions(acts.PowerOf4, activity.RegisterOptions{Name: ActivityName})

	// Subscribe to signals before announcing readiness so an early SIGTERM is not lost.
	interrupt := worker.InterruptCh()
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	probe.Set(stateReady)
	logger.Info("worker ready", "TaskQueue", TaskQueue, "Deployment", cfg.DeploymentName, "BuildID", cfg.BuildID, "Wait", cfg.Wait,
		"ShutdownGrace", cfg.ShutdownGrace, "HostPort", opts.HostPort, "Namespace", opts.Namespace)

	<-interrupt
	// No new tasks from here on: the health check should say so while the worker drains.
	probe.Set(stateStopping)
	logger.Info("stopping worker", "ShutdownGrace", cfg.ShutdownGrace)
	w.Stop()
	logger.Info("worker stopped")
	return nil
}

// stopWithin runs a shutdown function with a few seconds' deadline.
func stopWithin(stop func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := stop(ctx); err != nil {
		slog.Warn("shutdown step failed", "error", err)
	}
}

// Identity returns the worker identity <activity>-<language>-<replica>@<hostname>:<pid>.
func Identity(replica string) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s-%s-%s@%s:%d", ActivityName, Language, replica, host, os.Getpid())
}

// ClientOptions loads the connection settings with the SDK's envconfig loader (TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE and the config file),
// defaulting to localhost:7233 and namespace default.
func ClientOptions(identity string, logger tlog.Logger) (client.Options, error) {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return client.Options{}, fmt.Errorf("load Temporal client configuration: %w", err)
	}
	if opts.HostPort == "" {
		opts.HostPort = client.DefaultHostPort
	}
	if opts.Namespace == "" {
		opts.Namespace = client.DefaultNamespace
	}
	opts.Identity = identity
	opts.Logger = logger
	return opts, nil
}
