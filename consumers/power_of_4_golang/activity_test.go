package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
)

type vectorsFile struct {
	Valid []struct {
		Name     string `json:"name"`
		PowerOf2 string `json:"power_of_2"`
		PowerOf4 string `json:"power_of_4"`
	} `json:"valid"`
	Invalid []struct {
		Name     string          `json:"name"`
		Value    json.RawMessage `json:"value"`
		Mentions string          `json:"mentions"`
	} `json:"invalid"`
	WaitTimeouts struct {
		Valid []struct {
			Value   string   `json:"value"`
			Seconds *float64 `json:"seconds"`
		} `json:"valid"`
		Invalid []string `json:"invalid"`
	} `json:"waitTimeouts"`
}

func loadVectors(t *testing.T) vectorsFile {
	t.Helper()
	var v vectorsFile
	loadJSON(t, "vectors.json", &v)
	if len(v.Valid) == 0 || len(v.Invalid) == 0 {
		t.Fatal("vectors.json has no valid or no invalid cases")
	}
	return v
}

// newEnv returns an activity test environment with the activity registered under its wire name.
// Its log is shown only when the test fails.
func newEnv(t *testing.T, acts *Activities) *testsuite.TestActivityEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(testLogger(t))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivityWithOptions(acts.PowerOf4, activity.RegisterOptions{Name: step.Activity})
	return env
}

func TestValidVectors(t *testing.T) {
	v := loadVectors(t)
	env := newEnv(t, &Activities{})
	for _, vec := range v.Valid {
		t.Run(vec.Name, func(t *testing.T) {
			val, err := env.ExecuteActivity(step.Activity, vec.PowerOf2)
			if err != nil {
				t.Fatalf("power_of_4(%.40q): %v", vec.PowerOf2, err)
			}
			var got string
			if err := val.Get(&got); err != nil {
				t.Fatal(err)
			}
			if got != vec.PowerOf4 {
				t.Errorf("power_of_4(%.40q) = %.60q..., want %.60q...", vec.PowerOf2, got, vec.PowerOf4)
			}
		})
	}
}

func TestInvalidVectors(t *testing.T) {
	v := loadVectors(t)
	env := newEnv(t, &Activities{Wait: time.Hour}) // a rejection must not wait
	for _, vec := range v.Invalid {
		t.Run(vec.Name, func(t *testing.T) {
			var value any
			if err := json.Unmarshal(vec.Value, &value); err != nil {
				t.Fatal(err)
			}
			_, err := env.ExecuteActivity(step.Activity, value)
			appErr := requireInvalidNumber(t, err)
			if !strings.Contains(appErr.Message(), vec.Mentions) {
				t.Errorf("message %q does not mention %q", appErr.Message(), vec.Mentions)
			}
		})
	}
}

// requireInvalidNumber asserts that err carries a non-retryable InvalidNumber application error.
func requireInvalidNumber(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("want an ApplicationError, got %T: %v", err, err)
	}
	if appErr.Type() != "InvalidNumber" {
		t.Errorf("type = %q, want InvalidNumber", appErr.Type())
	}
	if !appErr.NonRetryable() {
		t.Error("error is retryable, want non-retryable")
	}
	const prefix = "power_of_4: invalid number "
	if !strings.HasPrefix(appErr.Message(), prefix) {
		t.Errorf("message %q does not start with %q", appErr.Message(), prefix)
	}
	return appErr
}

func TestInvalidNumberMessageShape(t *testing.T) {
	long := strings.Repeat("1", 100001)
	cases := []struct {
		name string
		raw  string
		want string
	}{
		{"fraction", `"2.5"`, `power_of_4: invalid number "2.5": expected a string of base-10 digits with an optional leading '-'`},
		{"number keeps its JSON text", `1e400`, `power_of_4: invalid number 1e400: expected a string of base-10 digits with an optional leading '-'`},
		{"object compacted", `{ "number" : "2" }`, `power_of_4: invalid number {"number":"2"}: expected a string of base-10 digits with an optional leading '-'`},
		{"absent value reads as null", ``, `power_of_4: invalid number null: expected a string of base-10 digits with an optional leading '-'`},
		{"no HTML escaping", `"<&>"`, `power_of_4: invalid number "<&>": expected a string of base-10 digits with an optional leading '-'`},
		{"too many digits", `"` + long + `"`, `power_of_4: invalid number "` + long[:79] + `...: expected at most 100000 digits`},
		{"too many digits after a minus", `"-` + long + `"`, `power_of_4: invalid number "-` + long[:78] + `...: expected at most 100000 digits`},
		{"long non-ASCII value cut by characters", `"` + strings.Repeat("٣", 100) + `"`, `power_of_4: invalid number "` + strings.Repeat("٣", 79) + `...: expected a string of base-10 digits with an optional leading '-'`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := (&Activities{}).PowerOf4(context.Background(), json.RawMessage(c.raw))
			appErr := requireInvalidNumber(t, err)
			if appErr.Message() != c.want {
				t.Errorf("message\n got %q\nwant %q", appErr.Message(), c.want)
			}
		})
	}
}

func TestLongestAndNonCanonicalInputs(t *testing.T) {
	env := newEnv(t, &Activities{})
	nines := strings.Repeat("9", 100000)
	for input, want := range map[string]string{nines: "", "-" + nines: "", "0000": "0", "-0": "0", "-02": "16"} {
		val, err := env.ExecuteActivity(step.Activity, input)
		var got string
		if err != nil || val.Get(&got) != nil || got == "" || want != "" && got != want {
			t.Errorf("power_of_4(%.20q) = %.20q, %v; want %q", input, got, err, want)
		}
	}
}

// heartbeatCounter is a worker interceptor that counts every RecordHeartbeat call.
type heartbeatCounter struct {
	interceptor.WorkerInterceptorBase
	calls atomic.Int32
}

func (h *heartbeatCounter) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	in := &heartbeatInbound{counter: h}
	in.Next = next
	return in
}

type heartbeatInbound struct {
	interceptor.ActivityInboundInterceptorBase
	counter *heartbeatCounter
}

func (i *heartbeatInbound) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	out := &heartbeatOutbound{counter: i.counter}
	out.Next = outbound
	return i.Next.Init(out)
}

type heartbeatOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
	counter *heartbeatCounter
}

func (o *heartbeatOutbound) RecordHeartbeat(ctx context.Context, details ...any) {
	o.counter.calls.Add(1)
	o.Next.RecordHeartbeat(ctx, details...)
}

func TestWaitHeartbeats(t *testing.T) {
	counter := &heartbeatCounter{}
	var sent atomic.Int32
	env := newEnv(t, &Activities{Wait: 300 * time.Millisecond, HeartbeatInterval: 50 * time.Millisecond})
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{counter}})
	env.SetOnActivityHeartbeatListener(func(*activity.Info, converter.EncodedValues) { sent.Add(1) })

	start := time.Now()
	val, err := env.ExecuteActivity(step.Activity, "3")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := val.Get(&got); err != nil || got != "81" {
		t.Fatalf("got %q, %v; want 81", got, err)
	}
	if elapsed := time.Since(start); elapsed < 300*time.Millisecond {
		t.Errorf("returned after %v, before the 300ms wait", elapsed)
	}
	if n := counter.calls.Load(); n < 4 {
		t.Errorf("recorded %d heartbeats in a 300ms wait at 50ms, want at least 4", n)
	}
	if sent.Load() < 1 {
		t.Error("no heartbeat reached the (test) server")
	}
}

func TestNoWaitDoesNotHeartbeat(t *testing.T) {
	counter := &heartbeatCounter{}
	env := newEnv(t, &Activities{Wait: 0, HeartbeatInterval: time.Millisecond})
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{counter}})
	if _, err := env.ExecuteActivity(step.Activity, "2"); err != nil {
		t.Fatal(err)
	}
	if n := counter.calls.Load(); n != 0 {
		t.Errorf("recorded %d heartbeats with no wait, want 0", n)
	}
}

func TestCancellationStopsWait(t *testing.T) {
	// The activity context derives from BackgroundActivityContext; cancelling it with a
	// CanceledError cause is how the SDK marks a cancellation requested by the server.
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	env := newEnv(t, &Activities{Wait: time.Minute, HeartbeatInterval: 20 * time.Millisecond})
	env.SetWorkerOptions(worker.Options{BackgroundActivityContext: ctx})
	time.AfterFunc(100*time.Millisecond, func() { cancel(temporal.NewCanceledError()) })

	start := time.Now()
	_, err := env.ExecuteActivity(step.Activity, "2")
	if err == nil {
		t.Fatal("activity completed, want it cancelled")
	}
	if !temporal.IsCanceledError(err) {
		t.Errorf("want the activity reported as cancelled, got %T: %v", err, err)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("took %v to stop after cancellation", elapsed)
	}
}
