package main

import (
	"encoding/json"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/worker"
)

// Probe answers the contract's health checks: liveness while the process runs, readiness
// while the worker polls; "starting" and "stopping" answer 503.
type Probe struct {
	body   probeBody
	status atomic.Value
}

type probeBody struct {
	Status     string `json:"status"`
	Identity   string `json:"identity"`
	TaskQueue  string `json:"task_queue,omitempty"`
	BuildID    string `json:"build_id,omitempty"`
	Deployment string `json:"deployment,omitempty"`
}

// NewProbe returns a probe that reports "starting" until Set says otherwise.
func NewProbe(identity string, version worker.WorkerDeploymentVersion) *Probe {
	p := &Probe{body: probeBody{Identity: identity, TaskQueue: step.TaskQueue,
		BuildID: version.BuildID, Deployment: version.DeploymentName}}
	p.Set("starting")
	return p
}

// Set records the status that readiness reports from now on.
func (p *Probe) Set(status string) { p.status.Store(status) }

// Handler answers GET on the contract's liveness and readiness paths; anything else is 404.
func (p *Probe) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+contract.Probe.LivenessPath, func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusOK, probeBody{Status: "ok", Identity: p.body.Identity})
	})
	mux.HandleFunc("GET "+contract.Probe.ReadinessPath, func(w http.ResponseWriter, _ *http.Request) {
		body, code := p.body, http.StatusServiceUnavailable
		if body.Status = p.status.Load().(string); body.Status == "ready" {
			code = http.StatusOK
		}
		reply(w, code, body)
	})
	return mux
}

func reply(w http.ResponseWriter, code int, body probeBody) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body) // one write: nobody reads half a state
}

// serve listens at once, so that a port in use stops the worker at start, then answers until
// the process ends.
func serve(addr string, handler http.Handler) error {
	listener, err := net.Listen("tcp", addr)
	if err == nil {
		go (&http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}).Serve(listener) //nolint:errcheck
	}
	return err
}
