package main

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
)

// Readiness states reported by /readyz; only stateReady answers 200.
const (
	stateStarting = "starting"
	stateReady    = "ready"
	stateStopping = "stopping"
)

// Probe answers the health checks: /healthz while the process runs, /readyz while it polls.
type Probe struct {
	identity, deployment, buildID string
	state                         atomic.Value
}

// NewProbe returns a probe that reports "starting" until Set changes it. /readyz names the
// Worker Deployment version the worker polls as.
func NewProbe(identity, deployment, buildID string) *Probe {
	p := &Probe{identity: identity, deployment: deployment, buildID: buildID}
	p.Set(stateStarting)
	return p
}

// Set records the readiness state that /readyz reports from now on.
func (p *Probe) Set(state string) { p.state.Store(state) }

// Handler serves the two paths; anything else is 404.
func (p *Probe) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+LivenessPath, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, probeBody{Status: "ok", Identity: p.identity})
	})
	mux.HandleFunc("GET "+ReadinessPath, func(w http.ResponseWriter, _ *http.Request) {
		state := p.state.Load().(string)
		code := http.StatusServiceUnavailable
		if state == stateReady {
			code = http.StatusOK
		}
		writeJSON(w, code, probeBody{Status: state, Identity: p.identity, TaskQueue: TaskQueue,
			BuildID: p.buildID, Deployment: p.deployment})
	})
	return mux
}

type probeBody struct {
	Status     string `json:"status"`
	Identity   string `json:"identity"`
	TaskQueue  string `json:"task_queue,omitempty"`
	BuildID    string `json:"build_id,omitempty"`
	Deployment string `json:"deployment,omitempty"`
}

// writeJSON sends the whole body in one write, so a reader never sees half a state.
func writeJSON(w http.ResponseWriter, code int, body probeBody) {
	data, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(data)
}
