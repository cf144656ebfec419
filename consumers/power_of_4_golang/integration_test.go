package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Settings of the worker process the integration test starts.
const (
	itestWait      = 3 * time.Second
	itestReplica   = "7"
	itestWorkflows = "power-of-4-itest-workflows"
	itestWorkflow  = "CallPowerOf4"
	// The worker polls as this version; the test makes it the deployment's current version.
	itestDeployment = "power-of-4-itest"
	itestBuildID    = "itest-1.0"
)

// callPowerOf4 is a stand-in for the TypeScript workflow: it schedules power_of_4 by name on
// the worker's queue, with the heartbeat timeout the real workflow relies on.
func callPowerOf4(ctx workflow.Context, input any) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           step.TaskQueue,
		StartToCloseTimeout: time.Minute,
		HeartbeatTimeout:    2 * time.Second,
		WaitForCancellation: true,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3, InitialInterval: 100 * time.Millisecond},
	})
	var out string
	err := workflow.ExecuteActivity(ctx, step.Activity, input).Get(ctx, &out)
	return out, err
}

// temporalCLI finds the Temporal CLI used for the dev server; the test never downloads one.
func temporalCLI() string {
	if p := os.Getenv("TEMPORAL_CLI_PATH"); p != "" {
		return p
	}
	p, _ := filepath.Abs("../../.tools/bin/temporal")
	return p
}

// TestIntegrationWithDevServer runs the built worker against a local dev server and drives it
// with a Go workflow: a rejected payload, a cancellation while waiting, and a graceful shutdown
// that lets the activity in flight finish.
func TestIntegrationWithDevServer(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test skipped in -short mode")
	}
	cli := temporalCLI()
	if _, err := os.Stat(cli); err != nil {
		t.Fatalf("no Temporal CLI at %s (make install puts it there, or set TEMPORAL_CLI_PATH)", cli)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The test's client encrypts with the other key than the worker, as during a key rotation.
	codec, err := NewCodec(testKeys, "test-2")
	if err != nil {
		t.Fatal(err)
	}
	dataConverter, failureConverter := codec.Converters()
	serverOut := &lockedBuffer{}
	server, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath: cli,
		LogLevel:     "error",
		ClientOptions: &client.Options{Logger: testLogger(t),
			DataConverter: dataConverter, FailureConverter: failureConverter},
		Stdout: serverOut,
		Stderr: serverOut,
	})
	if err != nil {
		t.Fatalf("start dev server: %v", err)
	}
	defer func() {
		_ = server.Stop()
		if t.Failed() {
			t.Logf("dev server output:\n%s", serverOut.String())
		}
	}()
	c := server.Client()

	proc := startWorkerProcess(ctx, t, server.FrontendHostPort())
	setCurrentVersion(ctx, t, c, itestDeployment, itestBuildID)

	w := worker.New(c, itestWorkflows, worker.Options{})
	w.RegisterWorkflowWithOptions(callPowerOf4, workflow.RegisterOptions{Name: itestWorkflow})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	t.Run("the worker polls as the deployment version", func(t *testing.T) {
		// Ready means the worker started polling; the server lists a poller once its first poll
		// request has arrived, so look again for a while before giving up.
		var pollers []string
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			res, err := c.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
				Namespace:     "default",
				TaskQueue:     &taskqueuepb.TaskQueue{Name: step.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
				TaskQueueType: enumspb.TASK_QUEUE_TYPE_ACTIVITY,
			})
			if err != nil {
				t.Fatal(err)
			}
			pollers = nil
			for _, p := range res.GetPollers() {
				opts := p.GetDeploymentOptions()
				if p.GetIdentity() == proc.identity && opts.GetDeploymentName() == itestDeployment &&
					opts.GetBuildId() == itestBuildID &&
					opts.GetWorkerVersioningMode() == enumspb.WORKER_VERSIONING_MODE_VERSIONED {
					return
				}
				pollers = append(pollers, fmt.Sprintf("%s %v", p.GetIdentity(), opts))
			}
		}
		t.Errorf("no poller %s of version %s/%s on %s; pollers: %v", proc.identity, itestDeployment, itestBuildID, step.TaskQueue, pollers)
	})

	t.Run("the version is current and serves the activity queue", func(t *testing.T) {
		desc, err := c.WorkerDeploymentClient().GetHandle(itestDeployment).DescribeVersion(ctx,
			client.WorkerDeploymentDescribeVersionOptions{BuildID: itestBuildID})
		if err != nil {
			t.Fatal(err)
		}
		info := desc.Info
		if info.CurrentSinceTime.IsZero() {
			t.Error("the version is not current")
		}
		want := client.WorkerDeploymentTaskQueueInfo{Name: step.TaskQueue, Type: client.TaskQueueTypeActivity}
		if !slices.Contains(info.TaskQueuesInfos, want) {
			t.Errorf("task queues of the version %v, want %v among them", info.TaskQueuesInfos, want)
		}
	})

	t.Run("invalid payload fails at once without retry", func(t *testing.T) {
		run := startWorkflow(ctx, t, c, 2.5)
		err := run.Get(ctx, nil)
		appErr := requireInvalidNumber(t, err)
		want := `power_of_4: invalid number 2.5: expected a string of base-10 digits with an optional leading '-'`
		if appErr.Message() != want {
			t.Errorf("message %q, want %q", appErr.Message(), want)
		}
		started := activityEvents(ctx, t, c, run, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED)
		if len(started) != 1 || started[0].GetActivityTaskStartedEventAttributes().GetAttempt() != 1 {
			t.Errorf("want one attempt, got %d started events", len(started))
		}
	})

	t.Run("the server sees payloads and failure messages only encrypted", func(t *testing.T) {
		run := startWorkflow(ctx, t, c, "x")
		requireInvalidNumber(t, run.Get(ctx, nil))
		scheduled := activityEvents(ctx, t, c, run, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
		failed := activityEvents(ctx, t, c, run, enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED)
		if len(scheduled) != 1 || len(failed) != 1 {
			t.Fatalf("%d scheduled and %d failed events, want one each", len(scheduled), len(failed))
		}
		// The input was encrypted by the test's client, the failure by the worker.
		requireEncrypted(t, "input", scheduled[0].GetActivityTaskScheduledEventAttributes().GetInput().GetPayloads()[0], "test-2")
		failure := failed[0].GetActivityTaskFailedEventAttributes().GetFailure()
		requireEncrypted(t, "failure attributes", failure.GetEncodedAttributes(), "test-1")
		if strings.Contains(failure.String(), "invalid number") {
			t.Errorf("the failure shows its message in plain text: %v", failure)
		}
	})

	t.Run("cancellation stops the wait", func(t *testing.T) {
		run := startWorkflow(ctx, t, c, "3")
		waitActivityStarted(ctx, t, c, run)
		if err := c.CancelWorkflow(ctx, run.GetID(), run.GetRunID()); err != nil {
			t.Fatal(err)
		}
		err := run.Get(ctx, nil)
		if !temporal.IsCanceledError(err) {
			t.Fatalf("want a cancelled workflow, got %v", err)
		}
		if len(activityEvents(ctx, t, c, run, enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED)) != 1 {
			t.Error("the activity did not report itself cancelled")
		}
	})

	t.Run("SIGTERM lets the activity in flight finish", func(t *testing.T) {
		run := startWorkflow(ctx, t, c, "-7")
		waitActivityStarted(ctx, t, c, run)
		if err := proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		// The activity still waits, so the drain is under way while the probe is asked.
		if code, body := proc.waitReadiness(t, "stopping"); code != http.StatusServiceUnavailable || body["identity"] != proc.identity {
			t.Errorf("/readyz while draining answers %d %v, want 503 stopping", code, body)
		}
		var got string
		if err := run.Get(ctx, &got); err != nil {
			t.Fatalf("workflow failed: %v", err)
		}
		if got != "2401" {
			t.Errorf("result %q, want 2401", got)
		}
		started := activityEvents(ctx, t, c, run, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED)
		if len(started) != 1 || started[0].GetActivityTaskStartedEventAttributes().GetIdentity() != proc.identity {
			t.Errorf("activity not started once by %q: %v", proc.identity, started)
		}
		select {
		case err := <-proc.exited:
			if err != nil {
				t.Errorf("worker exit: %v\noutput:\n%s", err, proc.output.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("worker did not exit after SIGTERM")
		}
	})
}

// requireEncrypted asserts that p is encrypted with the key keyID.
func requireEncrypted(t *testing.T, what string, p *commonpb.Payload, keyID string) {
	t.Helper()
	if string(p.GetMetadata()[converter.MetadataEncoding]) != "binary/encrypted" || string(p.GetMetadata()["encryption-key-id"]) != keyID {
		t.Errorf("%s not encrypted with %s: metadata %q", what, keyID, p.GetMetadata())
	}
}

// setCurrentVersion makes buildID the current version of the deployment. The server accepts
// it only once it has seen a poller of that version, so it is retried for a while.
func setCurrentVersion(ctx context.Context, t *testing.T, c client.Client, deployment, buildID string) {
	t.Helper()
	handle := c.WorkerDeploymentClient().GetHandle(deployment)
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if _, err = handle.SetCurrentVersion(ctx, client.WorkerDeploymentSetCurrentVersionOptions{BuildID: buildID}); err == nil {
			return
		}
	}
	t.Fatalf("set %s/%s as the current version: %v", deployment, buildID, err)
}

// workerProcess is the worker binary running under test.
type workerProcess struct {
	cmd      *exec.Cmd
	identity string
	probe    string // base URL of its health probe
	output   *lockedBuffer
	exited   chan error
}

// startWorkerProcess builds and starts the worker and waits until its probe says it polls.
func startWorkerProcess(ctx context.Context, t *testing.T, hostPort string) *workerProcess {
	t.Helper()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	healthPort := free.Addr().(*net.TCPAddr).Port
	_ = free.Close()
	cmd := exec.CommandContext(ctx, workerBinary(t))
	cmd.Env = append(os.Environ(),
		"TEMPORAL_CONFIG_FILE="+filepath.Join(t.TempDir(), "absent.toml"),
		"TEMPORAL_PROFILE=",
		"TEMPORAL_API_KEY=",
		"TEMPORAL_ADDRESS="+hostPort,
		"TEMPORAL_NAMESPACE=default",
		"PAYLOAD_KEYS="+testKeys,
		"PAYLOAD_KEY_ID=",
		"PAYLOAD_ENCRYPTION=",
		fmt.Sprintf("ACTIVITY_2_WAIT_TIMEOUT=%g", itestWait.Seconds()),
		"WORKER_REPLICA="+itestReplica,
		"WORKER_SHUTDOWN_GRACE_SECONDS=20",
		"TEMPORAL_DEPLOYMENT_NAME="+itestDeployment,
		"TEMPORAL_WORKER_BUILD_ID="+itestBuildID,
		fmt.Sprintf("HEALTH_PORT=%d", healthPort),
		"HEALTH_HOST=",
	)
	p := &workerProcess{cmd: cmd, output: &lockedBuffer{}, exited: make(chan error, 1),
		probe: fmt.Sprintf("http://127.0.0.1:%d", healthPort)}
	cmd.Stdout, cmd.Stderr = p.output, p.output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("worker output:\n%s", p.output.String())
		}
	})

	host, _ := os.Hostname()
	p.identity = fmt.Sprintf("power_of_4-go-%s@%s:%d", itestReplica, host, cmd.Process.Pid)
	code, body := p.waitReadiness(t, "ready")
	if code != http.StatusOK || body["identity"] != p.identity || body["task_queue"] != step.TaskQueue ||
		body["deployment"] != itestDeployment || body["build_id"] != itestBuildID {
		t.Fatalf("/readyz answers %d %v, want 200 from %s on %s as %s/%s", code, body, p.identity, step.TaskQueue, itestDeployment, itestBuildID)
	}
	return p
}

// waitReadiness polls /readyz until it reports status, for at most 30 seconds.
func (p *workerProcess) waitReadiness(t *testing.T, status string) (int, map[string]string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		res, err := http.Get(p.probe + "/readyz")
		if err != nil {
			last = err.Error()
			continue
		}
		var body map[string]string
		err = json.NewDecoder(res.Body).Decode(&body)
		_ = res.Body.Close()
		if err == nil && body["status"] == status {
			return res.StatusCode, body
		}
		last = fmt.Sprintf("%d %v %v", res.StatusCode, body, err)
	}
	t.Fatalf("/readyz did not report %q within 30s; last answer: %s", status, last)
	return 0, nil
}

func startWorkflow(ctx context.Context, t *testing.T, c client.Client, input any) client.WorkflowRun {
	t.Helper()
	id := fmt.Sprintf("power-of-4-itest-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: itestWorkflows}, itestWorkflow, input)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// waitActivityStarted polls until the workflow's activity has been picked up by the worker.
func waitActivityStarted(ctx context.Context, t *testing.T, c client.Client, run client.WorkflowRun) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		desc, err := c.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range desc.GetPendingActivities() {
			if a.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("activity did not start within 20s")
}

// activityEvents returns the history events of one type.
func activityEvents(ctx context.Context, t *testing.T, c client.Client, run client.WorkflowRun, typ enumspb.EventType) []*historypb.HistoryEvent {
	t.Helper()
	var out []*historypb.HistoryEvent
	iter := c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.GetEventType() == typ {
			out = append(out, ev)
		}
	}
	return out
}
