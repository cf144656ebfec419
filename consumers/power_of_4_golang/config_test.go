package main

import (
	"strings"
	"testing"
	"time"
)

// env returns a LookupFunc over a fixed map.
func env(vars map[string]string) LookupFunc {
	return func(key string) (string, bool) {
		v, ok := vars[key]
		return v, ok
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := LoadConfigFrom(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Wait: DefaultWaitSeconds * time.Second, Replica: DefaultReplica, ShutdownGrace: DefaultShutdownGraceSeconds * time.Second}
	if cfg != want {
		t.Errorf("got %+v, want %+v", cfg, want)
	}
}

func TestWaitTimeoutVectors(t *testing.T) {
	v := loadVectors(t)
	for _, vec := range v.WaitTimeouts.Valid {
		t.Run("valid "+vec.Value, func(t *testing.T) {
			cfg, err := LoadConfigFrom(env(map[string]string{WaitVariable: vec.Value}))
			if err != nil {
				t.Fatal(err)
			}
			want := DefaultWaitSeconds * time.Second
			if vec.Seconds != nil {
				want = time.Duration(*vec.Seconds * float64(time.Second))
			}
			if cfg.Wait != want {
				t.Errorf("%s=%q gives wait %v, want %v", WaitVariable, vec.Value, cfg.Wait, want)
			}
		})
	}
	for _, value := range append(v.WaitTimeouts.Invalid, "99999999999999999999") {
		t.Run("invalid "+value, func(t *testing.T) {
			_, err := LoadConfigFrom(env(map[string]string{WaitVariable: value}))
			requireNamed(t, err, WaitVariable, value)
		})
	}
}

func TestReplica(t *testing.T) {
	for value, want := range map[string]string{"": DefaultReplica, "2": "2", "blue-3": "blue-3"} {
		cfg, err := LoadConfigFrom(env(map[string]string{ReplicaVariable: value}))
		if err != nil {
			t.Fatalf("%s=%q: %v", ReplicaVariable, value, err)
		}
		if cfg.Replica != want {
			t.Errorf("%s=%q gives replica %q, want %q", ReplicaVariable, value, cfg.Replica, want)
		}
	}
	for _, value := range []string{"a b", "1@x", "2:3", "-1", " 1"} {
		_, err := LoadConfigFrom(env(map[string]string{ReplicaVariable: value}))
		requireNamed(t, err, ReplicaVariable, value)
	}
}

func TestShutdownGrace(t *testing.T) {
	for value, want := range map[string]time.Duration{"": 10 * time.Second, "0": 0, "30": 30 * time.Second, "2.5": 2500 * time.Millisecond} {
		cfg, err := LoadConfigFrom(env(map[string]string{ShutdownGraceVariable: value}))
		if err != nil {
			t.Fatalf("%s=%q: %v", ShutdownGraceVariable, value, err)
		}
		if cfg.ShutdownGrace != want {
			t.Errorf("%s=%q gives grace %v, want %v", ShutdownGraceVariable, value, cfg.ShutdownGrace, want)
		}
	}
	for _, value := range []string{"-1", "ten", "1e3", "10s"} {
		_, err := LoadConfigFrom(env(map[string]string{ShutdownGraceVariable: value}))
		requireNamed(t, err, ShutdownGraceVariable, value)
	}
}

// requireNamed asserts that err is a one-line error naming the variable and the value.
func requireNamed(t *testing.T, err error, variable, value string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s=%q accepted, want an error", variable, value)
	}
	msg := err.Error()
	if !strings.Contains(msg, variable) || !strings.Contains(msg, value) || strings.Contains(msg, "\n") {
		t.Errorf("error %q should be one line naming %s and %q", msg, variable, value)
	}
}
