package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"go.temporal.io/sdk/worker"
)

// freePort returns a loopback port that nothing listens on.
func freePort(t *testing.T) uint16 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

// get asks the probe for path and decodes its JSON answer.
func get(t *testing.T, base, path string) (int, map[string]string) {
	t.Helper()
	res, err := http.Get(base + path) //nolint:gosec // a local test server
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed {
		return res.StatusCode, nil
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	var body map[string]string
	if err := json.Unmarshal(data, &body); err != nil {
		t.Fatalf("GET %s: not JSON: %q", path, data)
	}
	return res.StatusCode, body
}

func TestProbeStates(t *testing.T) {
	const identity = "power_of_4-go-1@host:1"
	probe := &Probe{Identity: identity, Version: worker.WorkerDeploymentVersion{DeploymentName: "calculation", BuildID: "v7"}}
	probe.Status.Store("starting")
	port := freePort(t)
	if err := serve("127.0.0.1", port, probe.Handler()); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)

	want := func(path string, code int, body map[string]string) {
		t.Helper()
		gotCode, gotBody := get(t, base, path)
		if gotCode != code || len(gotBody) != len(body) {
			t.Fatalf("GET %s: %d %v, want %d %v", path, gotCode, gotBody, code, body)
		}
		for k, v := range body {
			if gotBody[k] != v {
				t.Errorf("GET %s: %s = %q, want %q", path, k, gotBody[k], v)
			}
		}
	}
	alive := map[string]string{"status": "ok", "identity": identity}
	readiness := func(state string) map[string]string {
		return map[string]string{"status": state, "identity": identity, "task_queue": "power-of-4-service-queue",
			"build_id": "v7", "deployment": "calculation"}
	}

	want("/healthz", http.StatusOK, alive)
	want("/readyz", http.StatusServiceUnavailable, readiness("starting"))
	probe.Status.Store("ready")
	want("/readyz", http.StatusOK, readiness("ready"))
	want("/healthz", http.StatusOK, alive)
	probe.Status.Store("stopping")
	want("/readyz", http.StatusServiceUnavailable, readiness("stopping"))
	want("/healthz", http.StatusOK, alive)
	for _, path := range []string{"/", "/ready", "/readyz/x", "/metrics"} {
		if code, _ := get(t, base, path); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
	if res, err := http.Post(base+"/readyz", "text/plain", nil); err != nil || res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /readyz: %v %v, want 405", res.Status, err)
	}
}

func TestProbeOfAnUnversionedWorkerNamesNoVersion(t *testing.T) {
	probe := &Probe{Identity: "power_of_4-go-1@host:1"}
	probe.Status.Store("ready")
	port := freePort(t)
	if err := serve("127.0.0.1", port, probe.Handler()); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, fmt.Sprintf("http://127.0.0.1:%d", port), "/readyz")
	if _, named := body["build_id"]; code != http.StatusOK || named || body["deployment"] != "" {
		t.Errorf("GET /readyz: %d %v, want 200 without build_id or deployment", code, body)
	}
}

func TestServeRefusesAPortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().(*net.TCPAddr)
	if err := serve("127.0.0.1", uint16(addr.Port), http.NotFoundHandler()); err == nil || !strings.Contains(err.Error(), addr.String()) {
		t.Fatalf("want an error naming the address %s, got %v", addr, err)
	}
}

// TestServeJoinsAnIPv6Host listens on the IPv6 loopback, which needs the host in brackets.
func TestServeJoinsAnIPv6Host(t *testing.T) {
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		// No IPv6 loopback on this machine: the address must still be well formed, only unbindable.
		err := serve("::1", 8081, http.NotFoundHandler())
		if err == nil || strings.Contains(err.Error(), "too many colons") {
			t.Fatalf("serve(\"::1\"): %v, want an error about binding, not about the address", err)
		}
		return
	}
	port := uint16(l.Addr().(*net.TCPAddr).Port)
	_ = l.Close()
	if err := serve("::1", port, http.NotFoundHandler()); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, fmt.Sprintf("http://[::1]:%d", port), "/"); code != http.StatusNotFound {
		t.Errorf("GET / on [::1]:%d: %d, want 404", port, code)
	}
}
