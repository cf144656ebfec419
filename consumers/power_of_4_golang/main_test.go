package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestBadConfigExitsBeforeConnecting runs the real binary with malformed settings. The
// address points at a closed port, so only an early exit can finish quickly with the
// contract's message and exit code.
func TestBadConfigExitsBeforeConnecting(t *testing.T) {
	bin := workerBinary(t)
	// A key one byte short, with a part that must never reach the output.
	shortKey := "test-1:" + base64.StdEncoding.EncodeToString([]byte("never-shown-secret-of-31-bytes!"))
	cases := []struct{ variable, value, secret string }{
		{"ACTIVITY_2_WAIT_TIMEOUT", "1e3", ""},
		{"WORKER_SHUTDOWN_GRACE_SECONDS", "soon", ""},
		{"WORKER_REPLICA", "a b", ""},
		{"METRICS_PORT", "http", ""},
		{"HEALTH_PORT", "65536", ""},
		{"LOG_FORMAT", "xml", ""},
		{"PAYLOAD_KEYS", "", ""},
		{"PAYLOAD_KEYS", shortKey, shortKey[len("test-1:"):]},
		{"PAYLOAD_KEYS", testKeys + ",test-3", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
		{"PAYLOAD_KEY_ID", "test-3", ""},
		{"PAYLOAD_ENCRYPTION", "yes", ""},
		{"TEMPORAL_WORKER_BUILD_ID", "v1/2", ""},
	}
	for _, c := range cases {
		t.Run(c.variable+"="+c.value, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin)
			cmd.Env = append(os.Environ(), "TEMPORAL_ADDRESS=127.0.0.1:1", "PAYLOAD_KEYS="+testKeys, c.variable+"="+c.value)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()

			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) || exitErr.ExitCode() != 2 {
				t.Fatalf("want exit code 2, got %v (stderr %q)", err, stderr.String())
			}
			// One line naming the variable; the wording itself is TestSettingMessage's.
			_, loadErr := load(map[string]string{c.variable: c.value})
			if want := "power_of_4 worker: " + loadErr.Error() + "\n"; stderr.String() != want || !strings.Contains(want, c.variable) {
				t.Errorf("stderr %q, want %q", stderr.String(), want)
			}
			if c.secret != "" && strings.Contains(stderr.String(), c.secret) {
				t.Errorf("stderr shows the key: %q", stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("unexpected stdout %q", stdout.String())
			}
		})
	}
}

// TestHealthPortInUseStopsTheWorker checks that the probe listens before the worker connects
// (the address points at a closed port, so only the listener can fail quickly), and that the
// error is logged in either format, with the worker identity.
func TestHealthPortInUseStopsTheWorker(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, port, _ := net.SplitHostPort(busy.Addr().String())
	for _, format := range []string{"text", "json"} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, workerBinary(t))
		cmd.Env = append(os.Environ(), "TEMPORAL_ADDRESS=127.0.0.1:1", "PAYLOAD_KEYS="+testKeys, "WORKER_REPLICA=5",
			"HEALTH_HOST=127.0.0.1", "HEALTH_PORT="+port, "LOG_FORMAT="+format)
		out, err := cmd.CombinedOutput()
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
			t.Fatalf("%s: want exit code 1, got %v (output %q)", format, err, out)
		}
		identity := fmt.Sprintf("power_of_4-go-5@%s:%d", hostname(t), cmd.Process.Pid)
		var record struct{ Level, Msg, Error, Identity string }
		if format == "json" && json.Unmarshal(out, &record) != nil {
			t.Fatalf("not one JSON record: %q", out)
		}
		text := string(out)
		if format == "json" {
			text = fmt.Sprintf("level=%s identity=%s error=%q", record.Level, record.Identity, record.Error)
		}
		for _, want := range []string{"level=ERROR", "identity=" + identity, "health probe: listen tcp 127.0.0.1:" + port + ": "} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: output %q does not say %q", format, out, want)
			}
		}
	}
}

func hostname(t *testing.T) string {
	t.Helper()
	host, err := os.Hostname()
	if err != nil {
		t.Fatal("no hostname:", err)
	}
	return host
}
