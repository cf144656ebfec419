package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// get asks the probe for path and decodes its JSON answer.
func get(t *testing.T, base, path string) (int, map[string]string) {
	t.Helper()
	res, err := http.Get(base + path) //nolint:gosec // a local test server
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusNotFound {
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
	probe := NewProbe(identity, "calculation", "v7")
	server := httptest.NewServer(probe.Handler())
	defer server.Close()

	want := func(path string, code int, body map[string]string) {
		t.Helper()
		gotCode, gotBody := get(t, server.URL, path)
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
		return map[string]string{"status": state, "identity": identity, "task_queue": TaskQueue,
			"build_id": "v7", "deployment": "calculation"}
	}

	want(LivenessPath, http.StatusOK, alive)
	want(ReadinessPath, http.StatusServiceUnavailable, readiness("starting"))
	probe.Set(stateReady)
	want(ReadinessPath, http.StatusOK, readiness("ready"))
	want(LivenessPath, http.StatusOK, alive)
	probe.Set(stateStopping)
	want(ReadinessPath, http.StatusServiceUnavailable, readiness("stopping"))
	want(LivenessPath, http.StatusOK, alive)
	for _, path := range []string{"/", "/ready", "/readyz/x", "/metrics"} {
		if code, _ := get(t, server.URL, path); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
}

func TestServeRefusesAPortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	_, err = Serve("health probe", addr, NewProbe("me", "calculation", "dev").Handler())
	if err == nil || !strings.Contains(err.Error(), "health probe on "+addr) {
		t.Fatalf("want an error naming the address %s, got %v", addr, err)
	}
}

func TestServeAnswersUntilStopped(t *testing.T) {
	free, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := free.Addr().String()
	_ = free.Close()
	stop, err := Serve("health probe", addr, NewProbe("me", "calculation", "dev").Handler())
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, "http://"+addr, LivenessPath); code != http.StatusOK || body["identity"] != "me" {
		t.Errorf("GET %s: %d %v", LivenessPath, code, body)
	}
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get("http://" + addr + LivenessPath); err == nil {
		t.Error("still answering after stop")
	}
}
