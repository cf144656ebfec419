package main

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/worker"
)

// Config is what the worker reads from its environment, by the contract's names and rules.
type Config struct {
	Wait, ShutdownGrace     time.Duration
	Identity, LogFormat     string // identity: <activity>-<language>-<replica>@<host>:<pid>
	MetricsAddr, HealthAddr string // empty: the endpoint is off
	Version                 worker.WorkerDeploymentVersion
	Codec                   *Codec // nil: PAYLOAD_ENCRYPTION=off
}

// LoadConfig reads the settings through getenv, an empty value counting as unset. Its error
// names the first malformed setting and its rule in the contract's words.
func LoadConfig(getenv func(string) string) (Config, error) {
	s, dep, enc := contract.Settings, contract.Deployment, contract.Encryption
	var bad error
	get := func(name, fallback, rule string, ok func(string) bool) string {
		v := cmp.Or(getenv(name), fallback)
		if bad == nil && !ok(v) {
			bad = invalidSetting(name, v, rule)
		}
		return v
	}
	seconds := func(name string, fallback float64) (d time.Duration) {
		get(name, fmt.Sprint(fallback), s.Seconds.Rule, func(v string) bool {
			var err error
			d, err = time.ParseDuration(v + "s") // exact for decimals; an overflow is an error
			return err == nil && matches(s.Seconds.Pattern)(v)
		})
		return d
	}
	addr := func(hostVar, portVar string) string {
		var port uint64
		get(portVar, "", s.Port.Rule, func(v string) bool {
			var err error
			port, err = strconv.ParseUint(v, 10, 16) // no sign: digits only
			return v == "" || err == nil && port > 0
		})
		if port == 0 {
			return ""
		}
		return net.JoinHostPort(cmp.Or(getenv(hostVar), contract.Probe.DefaultHost), strconv.FormatUint(port, 10))
	}
	wait := seconds(step.WaitVariable, contract.DefaultWaitSeconds)
	replica := get(s.Replica.Variable, s.Replica.Default, s.Replica.Rule, matches(s.Replica.Pattern))
	host, _ := os.Hostname()
	c := Config{
		Wait:          wait,
		ShutdownGrace: seconds(s.ShutdownGrace.Variable, s.ShutdownGrace.Default),
		Identity:      fmt.Sprintf("%s-%s-%s@%s:%d", step.Activity, step.Language, replica, host, os.Getpid()),
		LogFormat:     get(s.LogFormat.Variable, s.LogFormat.Default, s.LogFormat.Rule, oneOf(s.LogFormat.Values...)),
		MetricsAddr:   addr("METRICS_HOST", "METRICS_PORT"),
		HealthAddr:    addr(contract.Probe.HostVariable, contract.Probe.PortVariable),
		Version: worker.WorkerDeploymentVersion{
			DeploymentName: cmp.Or(getenv(dep.NameVariable), dep.DefaultName),
			BuildID:        get(dep.BuildIDVariable, dep.DefaultBuildID, dep.BuildIDRule, matches(dep.BuildIDPattern)),
		},
	}
	if get(enc.SwitchVariable, "on", enc.SwitchRule, oneOf("on", "off")) == "on" && bad == nil {
		c.Codec, bad = NewCodec(getenv(enc.KeysVariable), getenv(enc.KeyIDVariable))
	}
	return c, bad
}

// invalidSetting words a malformed setting as the contract does, the value shown as Go quotes
// it and cut to 40 characters; the value of a secret, passed as "", is not shown.
func invalidSetting(name, value, rule string) error {
	msg, shown := contract.Settings.Message, fmt.Sprintf("%.40q", value)
	if value == "" {
		msg = contract.Settings.SecretMessage
	} else if utf8.RuneCountInString(value) > 40 {
		shown += "..."
	}
	return errors.New(strings.NewReplacer("{name}", name, "{value}", shown, "{rule}", rule).Replace(msg))
}

func matches(pattern string) func(string) bool { return regexp.MustCompile(pattern).MatchString }

func oneOf(values ...string) func(string) bool {
	return func(v string) bool { return slices.Contains(values, v) }
}
