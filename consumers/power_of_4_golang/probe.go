package main

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"

	"go.temporal.io/sdk/worker"
)

// Probe answers /healthz while the process runs, and /readyz with 200 only while Status holds "ready".
type Probe struct {
	Status   atomic.Value // "starting", "ready" or "stopping"
	Identity string
	Version  worker.WorkerDeploymentVersion // zero for an unversioned worker, which /readyz then names no version of
}

// Handler answers GET on the two paths in JSON, and 404 or 405 to anything else.
func (p *Probe) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusOK, map[string]any{"status": "ok", "identity": p.Identity})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		status, code := p.Status.Load(), http.StatusServiceUnavailable
		if status == "ready" {
			code = http.StatusOK
		}
		body := map[string]any{"status": status, "identity": p.Identity, "task_queue": step.TaskQueue}
		if p.Version.BuildID != "" {
			body["build_id"], body["deployment"] = p.Version.BuildID, p.Version.DeploymentName
		}
		reply(w, code, body)
	})
	return mux
}

func reply(w http.ResponseWriter, code int, body map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body) // one write: nobody reads half a state
}

// serve listens at once, so that a port in use stops the worker at start, then answers until the process ends.
func serve(host string, port uint16, handler http.Handler) error {
	listener, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(int(port))))
	if err == nil {
		go http.Serve(listener, handler) //nolint:errcheck // it ends with the process
	}
	return err
}
