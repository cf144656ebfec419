package main

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"time"
)

var (
	waitRegexp    = regexp.MustCompile(WaitPattern)
	replicaRegexp = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// Config is the worker's settings read from the environment.
type Config struct {
	// Wait is how long each activity waits before computing; zero means no wait.
	Wait time.Duration
	// Replica distinguishes several copies of this worker in their identities.
	Replica string
	// ShutdownGrace is how long activities in flight may run on after a stop signal.
	ShutdownGrace time.Duration
}

// LookupFunc reads one environment variable, like os.LookupEnv.
type LookupFunc func(key string) (string, bool)

// LoadConfig reads the configuration from the process environment.
func LoadConfig() (Config, error) {
	return LoadConfigFrom(os.LookupEnv)
}

// LoadConfigFrom reads the configuration through lookup; a malformed value yields an error
// naming the variable and the value.
func LoadConfigFrom(lookup LookupFunc) (Config, error) {
	wait, err := secondsVar(lookup, WaitVariable, DefaultWaitSeconds)
	if err != nil {
		return Config{}, err
	}
	grace, err := secondsVar(lookup, ShutdownGraceVariable, DefaultShutdownGraceSeconds)
	if err != nil {
		return Config{}, err
	}
	replica := DefaultReplica
	if v, _ := lookup(ReplicaVariable); v != "" {
		if !replicaRegexp.MatchString(v) {
			return Config{}, fmt.Errorf("invalid %s=%q: expected letters, digits, '.', '_' or '-', such as 1 or 2", ReplicaVariable, v)
		}
		replica = v
	}
	return Config{Wait: wait, Replica: replica, ShutdownGrace: grace}, nil
}

// secondsVar parses a non-negative decimal number of seconds; unset or empty gives def.
func secondsVar(lookup LookupFunc, name string, def float64) (time.Duration, error) {
	v, _ := lookup(name)
	if v == "" {
		return secondsToDuration(def), nil
	}
	bad := fmt.Errorf("invalid %s=%q: expected a non-negative decimal number of seconds such as 0, 1 or 0.25", name, v)
	if !waitRegexp.MatchString(v) {
		return 0, bad
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || secs*float64(time.Second) >= math.MaxInt64 {
		return 0, bad
	}
	return secondsToDuration(secs), nil
}

// secondsToDuration converts seconds to a duration, rounded to the nearest nanosecond.
func secondsToDuration(secs float64) time.Duration {
	return time.Duration(math.Round(secs * float64(time.Second)))
}
