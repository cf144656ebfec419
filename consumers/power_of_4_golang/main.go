// Command power_of_4 runs the Go worker of the calculation pipeline: activity power_of_4
// (n -> n^4) on task queue power-of-4-service-queue.
package main

import (
	"fmt"
	stdlog "log"
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
	stdlog.SetFlags(0)
	stdlog.SetPrefix(ActivityName + " worker: ")
	if err := run(); err != nil {
		stdlog.Fatal(err)
	}
}

// run loads the configuration, connects, polls until SIGINT or SIGTERM, then stops gracefully.
func run() error {
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	logger := tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	identity := Identity(cfg.Replica)

	opts, err := ClientOptions(identity, logger)
	if err != nil {
		return err
	}
	c, err := client.Dial(opts)
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s (namespace %s): %w", opts.HostPort, opts.Namespace, err)
	}
	defer c.Close()

	w := worker.New(c, TaskQueue, worker.Options{WorkerStopTimeout: cfg.ShutdownGrace})
	acts := &Activities{Wait: cfg.Wait, HeartbeatInterval: HeartbeatIntervalSeconds * time.Second}
	w.RegisterActivityWithOptions(acts.PowerOf4, activity.RegisterOptions{Name: ActivityName})

	// Subscribe to signals before announcing readiness so an early SIGTERM is not lost.
	interrupt := worker.InterruptCh()
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	fmt.Printf("worker ready identity=%s task_queue=%s\n", identity, TaskQueue)
	logger.Info("worker ready", "Identity", identity, "TaskQueue", TaskQueue, "Wait", cfg.Wait,
		"ShutdownGrace", cfg.ShutdownGrace, "HostPort", opts.HostPort, "Namespace", opts.Namespace)

	<-interrupt
	logger.Info("stopping worker", "ShutdownGrace", cfg.ShutdownGrace)
	w.Stop()
	logger.Info("worker stopped")
	return nil
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
