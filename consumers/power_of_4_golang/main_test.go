package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
)

func TestIdentity(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Fatal("no hostname:", err)
	}
	want := fmt.Sprintf("power_of_4-go-3@%s:%d", host, os.Getpid())
	if got := Identity("3"); got != want {
		t.Errorf("Identity(3) = %q, want %q", got, want)
	}
}

func TestClientOptionsFromEnvironment(t *testing.T) {
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "absent.toml"))
	t.Setenv("TEMPORAL_PROFILE", "")
	t.Setenv("TEMPORAL_API_KEY", "")

	t.Setenv("TEMPORAL_ADDRESS", "")
	t.Setenv("TEMPORAL_NAMESPACE", "")
	opts, err := ClientOptions("me", nil)
	if err != nil {
		t.Fatal(err)
	}
	if opts.HostPort != client.DefaultHostPort || opts.Namespace != client.DefaultNamespace || opts.Identity != "me" {
		t.Errorf("defaults: got %q %q %q", opts.HostPort, opts.Namespace, opts.Identity)
	}

	t.Setenv("TEMPORAL_ADDRESS", "temporal.example:7999")
	t.Setenv("TEMPORAL_NAMESPACE", "calc")
	opts, err = ClientOptions("me", nil)
	if err != nil {
		t.Fatal(err)
	}
	if opts.HostPort != "temporal.example:7999" || opts.Namespace != "calc" {
		t.Errorf("from environment: got %q %q", opts.HostPort, opts.Namespace)
	}
}

// TestBadConfigExitsBeforeConnecting runs the real binary with malformed settings. The
// address points at a closed port, so only an early exit can finish quickly with the
// contract's message and exit code.
func TestBadConfigExitsBeforeConnecting(t *testing.T) {
	bin := workerBinary(t)
	// A key one byte short, with a part that must never reach the output.
	shortKey := "test-1:" + base64.StdEncoding.EncodeToString([]byte("never-shown-secret-of-31-bytes!"))
	cases := []struct{ variable, value, secret string }{
		{WaitVariable, "1e3", ""},
		{ShutdownGraceVariable, "soon", ""},
		{ReplicaVariable, "a b", ""},
		{"METRICS_PORT", "http", ""},
		{HealthPortVariable, "65536", ""},
		{LogFormatVariable, "xml", ""},
		{KeysVariable, "", ""},
		{KeysVariable, shortKey, shortKey[len("test-1:"):]},
		{KeysVariable, testKeys + ",test-3", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
		{KeyIDVariable, "test-3", ""},
		{EncryptionVariable, "yes", ""},
		{BuildIDVariable, "v1/2", ""},
	}
	for _, c := range cases {
		t.Run(c.variable+"="+c.value, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin)
			cmd.Env = append(os.Environ(), "TEMPORAL_ADDRESS=127.0.0.1:1", KeysVariable+"="+testKeys, c.variable+"="+c.value)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()

			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) || exitErr.ExitCode() != SettingsExitCode {
				t.Fatalf("want exit code %d, got %v (stderr %q)", SettingsExitCode, err, stderr.String())
			}
			_, loadErr := load(map[string]string{c.variable: c.value})
			if want := "power_of_4 worker: " + loadErr.Error() + "\n"; stderr.String() != want {
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

// TestHealthPortInUseStopsTheWorker checks that the probe listens before the worker connects:
// the address points at a closed port, so only the listener can fail quickly.
func TestHealthPortInUseStopsTheWorker(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, port, _ := net.SplitHostPort(busy.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, workerBinary(t))
	cmd.Env = append(os.Environ(), "TEMPORAL_ADDRESS=127.0.0.1:1", KeysVariable+"="+testKeys, HealthHostVariable+"=127.0.0.1", HealthPortVariable+"="+port)
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
		t.Fatalf("want exit code 1, got %v (output %q)", err, out)
	}
	for _, want := range []string{"level=ERROR", "health probe on 127.0.0.1:" + port + ": "} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("output %q does not say %q", out, want)
		}
	}
}
