package main

import (
	"fmt"
	"slices"
	"testing"

	"github.com/caarlos0/env/v11"
)

type contractFile struct {
	Steps []struct {
		Activity     string `json:"activity"`
		TaskQueue    string `json:"taskQueue"`
		Exponent     int    `json:"exponent"`
		Language     string `json:"language"`
		WaitVariable string `json:"waitVariable"`
	} `json:"steps"`
	Payload struct {
		Pattern   string `json:"pattern"`
		MaxDigits int    `json:"maxDigits"`
	} `json:"payload"`
	InvalidNumberErrorType   string  `json:"invalidNumberErrorType"`
	DefaultWaitSeconds       float64 `json:"defaultWaitSeconds"`
	HeartbeatIntervalSeconds float64 `json:"heartbeatIntervalSeconds"`
	Settings                 struct {
		ExitCode int    `json:"exitCode"`
		Message  string `json:"message"`
		Seconds  struct {
			Pattern string `json:"pattern"`
			Rule    string `json:"rule"`
		} `json:"seconds"`
		Replica struct {
			Variable string `json:"variable"`
			Default  string `json:"default"`
			Pattern  string `json:"pattern"`
			Rule     string `json:"rule"`
		} `json:"replica"`
		Port struct {
			Rule string `json:"rule"`
		} `json:"port"`
		LogFormat struct {
			Variable string   `json:"variable"`
			Default  string   `json:"default"`
			Values   []string `json:"values"`
			Rule     string   `json:"rule"`
		} `json:"logFormat"`
		ShutdownGrace struct {
			Variable string  `json:"variable"`
			Default  float64 `json:"default"`
		} `json:"shutdownGrace"`
	} `json:"settings"`
	Probe struct {
		PortVariable  string `json:"portVariable"`
		HostVariable  string `json:"hostVariable"`
		DefaultHost   string `json:"defaultHost"`
		LivenessPath  string `json:"livenessPath"`
		ReadinessPath string `json:"readinessPath"`
	} `json:"probe"`
	Encryption struct {
		Encoding       string `json:"encoding"`
		KeyIDMetadata  string `json:"keyIdMetadata"`
		Algorithm      string `json:"algorithm"`
		NonceBytes     int    `json:"nonceBytes"`
		KeyBytes       int    `json:"keyBytes"`
		KeysVariable   string `json:"keysVariable"`
		KeyIDVariable  string `json:"keyIdVariable"`
		SwitchVariable string `json:"switchVariable"`
		KeyIDPattern   string `json:"keyIdPattern"`
		KeysRule       string `json:"keysRule"`
		KeyIDRule      string `json:"keyIdRule"`
		SwitchRule     string `json:"switchRule"`
	} `json:"encryption"`
	Deployment struct {
		NameVariable    string `json:"nameVariable"`
		DefaultName     string `json:"defaultName"`
		BuildIDVariable string `json:"buildIdVariable"`
		DefaultBuildID  string `json:"defaultBuildId"`
		BuildIDPattern  string `json:"buildIdPattern"`
		BuildIDRule     string `json:"buildIdRule"`
	} `json:"deployment"`
}

func TestConstantsMatchContract(t *testing.T) {
	var c contractFile
	loadJSON(t, "contract.json", &c)

	found := false
	for _, s := range c.Steps {
		if s.Activity != ActivityName {
			continue
		}
		found = true
		check(t, "taskQueue", s.TaskQueue, TaskQueue)
		check(t, "exponent", s.Exponent, Exponent)
		check(t, "language", s.Language, Language)
		check(t, "waitVariable", s.WaitVariable, WaitVariable)
	}
	if !found {
		t.Fatalf("contract.json has no step for activity %q", ActivityName)
	}
	check(t, "payload.pattern", c.Payload.Pattern, PayloadPattern)
	check(t, "payload.maxDigits", c.Payload.MaxDigits, MaxDigits)
	check(t, "invalidNumberErrorType", c.InvalidNumberErrorType, InvalidNumberErrorType)
	check(t, "defaultWaitSeconds", c.DefaultWaitSeconds, float64(DefaultWaitSeconds))
	check(t, "heartbeatIntervalSeconds", c.HeartbeatIntervalSeconds, float64(HeartbeatIntervalSeconds))

	st := c.Settings
	check(t, "settings.exitCode", st.ExitCode, SettingsExitCode)
	check(t, "settings.message", st.Message, SettingsMessage)
	check(t, "settings.seconds.pattern", st.Seconds.Pattern, SecondsPattern)
	check(t, "settings.seconds.rule", st.Seconds.Rule, SecondsRule)
	check(t, "settings.replica.variable", st.Replica.Variable, ReplicaVariable)
	check(t, "settings.replica.default", st.Replica.Default, DefaultReplica)
	check(t, "settings.replica.pattern", st.Replica.Pattern, ReplicaPattern)
	check(t, "settings.replica.rule", st.Replica.Rule, ReplicaRule)
	check(t, "settings.port.rule", st.Port.Rule, PortRule)
	check(t, "settings.logFormat.variable", st.LogFormat.Variable, LogFormatVariable)
	check(t, "settings.logFormat.default", st.LogFormat.Default, DefaultLogFormat)
	check(t, "settings.logFormat.rule", st.LogFormat.Rule, LogFormatRule)
	if !slices.Equal(st.LogFormat.Values, LogFormats) {
		t.Errorf("settings.logFormat.values: contract.json says %v, the Go variable is %v", st.LogFormat.Values, LogFormats)
	}
	check(t, "settings.shutdownGrace.variable", st.ShutdownGrace.Variable, ShutdownGraceVariable)
	check(t, "settings.shutdownGrace.default", st.ShutdownGrace.Default, float64(DefaultShutdownGraceSeconds))
	check(t, "probe.portVariable", c.Probe.PortVariable, HealthPortVariable)
	check(t, "probe.hostVariable", c.Probe.HostVariable, HealthHostVariable)
	check(t, "probe.defaultHost", c.Probe.DefaultHost, DefaultHealthHost)
	check(t, "probe.livenessPath", c.Probe.LivenessPath, LivenessPath)
	check(t, "probe.readinessPath", c.Probe.ReadinessPath, ReadinessPath)

	enc := c.Encryption
	check(t, "encryption.encoding", enc.Encoding, EncryptedEncoding)
	check(t, "encryption.keyIdMetadata", enc.KeyIDMetadata, KeyIDMetadata)
	// codec.go uses AES-256-GCM with the standard library's random 12-byte nonces.
	check(t, "encryption.algorithm", enc.Algorithm, "AES-256-GCM")
	check(t, "encryption.nonceBytes", enc.NonceBytes, NonceBytes)
	check(t, "encryption.keyBytes", enc.KeyBytes, KeyBytes)
	check(t, "encryption.keysVariable", enc.KeysVariable, KeysVariable)
	check(t, "encryption.keyIdVariable", enc.KeyIDVariable, KeyIDVariable)
	check(t, "encryption.switchVariable", enc.SwitchVariable, EncryptionVariable)
	check(t, "encryption.keyIdPattern", enc.KeyIDPattern, KeyIDPattern)
	check(t, "encryption.keysRule", enc.KeysRule, KeysRule)
	check(t, "encryption.keyIdRule", enc.KeyIDRule, KeyIDRule)
	check(t, "encryption.switchRule", enc.SwitchRule, EncryptionRule)

	dep := c.Deployment
	check(t, "deployment.nameVariable", dep.NameVariable, DeploymentNameVariable)
	check(t, "deployment.defaultName", dep.DefaultName, DefaultDeploymentName)
	check(t, "deployment.buildIdVariable", dep.BuildIDVariable, BuildIDVariable)
	check(t, "deployment.defaultBuildId", dep.DefaultBuildID, DefaultBuildID)
	check(t, "deployment.buildIdPattern", dep.BuildIDPattern, BuildIDPattern)
	check(t, "deployment.buildIdRule", dep.BuildIDRule, BuildIDRule)
}

// TestSettingsTagsMatchConstants ties the struct tags, which cannot name constants, to them.
func TestSettingsTagsMatchConstants(t *testing.T) {
	params, err := env.GetFieldParams(&Settings{})
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for _, p := range params {
		tags[p.Key] = p.DefaultValue
	}
	want := map[string]string{
		WaitVariable:           fmt.Sprint(DefaultWaitSeconds),
		ReplicaVariable:        DefaultReplica,
		ShutdownGraceVariable:  fmt.Sprint(DefaultShutdownGraceSeconds),
		LogFormatVariable:      DefaultLogFormat,
		HealthPortVariable:     "",
		HealthHostVariable:     DefaultHealthHost,
		KeysVariable:           "",
		KeyIDVariable:          "",
		EncryptionVariable:     "on",
		DeploymentNameVariable: DefaultDeploymentName,
		BuildIDVariable:        DefaultBuildID,
	}
	for key, def := range want {
		got, ok := tags[key]
		if !ok || got != def {
			t.Errorf("Settings has %s (present %v) with default %q, want default %q", key, ok, got, def)
		}
	}
}

func check[T comparable](t *testing.T, field string, contract, ours T) {
	t.Helper()
	if contract != ours {
		t.Errorf("%s: contract.json says %v, the Go constant is %v", field, contract, ours)
	}
}
