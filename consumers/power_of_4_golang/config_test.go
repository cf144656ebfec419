package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// load reads settings from exactly vars, never from the test process's environment, plus the
// test keys when vars leaves PAYLOAD_KEYS out.
func load(vars map[string]string) (Settings, error) {
	all := map[string]string{KeysVariable: testKeys}
	for k, v := range vars {
		all[k] = v
	}
	return LoadSettings(all)
}

// testKeysParsed is testKeys as the settings hold them.
var testKeysParsed = payloadKeys{
	{ID: "test-1", Secret: keySecret(bytesFrom(0))},
	{ID: "test-2", Secret: keySecret(bytesFrom(32))},
}

// bytesFrom returns the 32 bytes first, first+1, ..., the shape of the shared test keys.
func bytesFrom(first byte) []byte {
	b := make([]byte, KeyBytes)
	for i := range b {
		b[i] = first + byte(i)
	}
	return b
}

func TestDefaults(t *testing.T) {
	got, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{
		Wait: DefaultWaitSeconds * time.Second, Replica: DefaultReplica,
		ShutdownGrace: DefaultShutdownGraceSeconds * time.Second, LogFormat: DefaultLogFormat,
		MetricsHost: "127.0.0.1", HealthHost: DefaultHealthHost,
		PayloadKeys: testKeysParsed, PayloadKeyID: "test-1", PayloadEncryption: true,
		DeploymentName: DefaultDeploymentName, BuildID: DefaultBuildID,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestEmptyCountsAsUnset(t *testing.T) {
	vars := map[string]string{}
	for _, name := range []string{WaitVariable, ReplicaVariable, ShutdownGraceVariable, LogFormatVariable,
		"METRICS_PORT", "METRICS_HOST", HealthPortVariable, HealthHostVariable, KeyIDVariable, EncryptionVariable,
		DeploymentNameVariable, BuildIDVariable} {
		vars[name] = ""
	}
	got, err := load(vars)
	want, _ := load(nil)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("empty values give %+v, %v; want the defaults %+v", got, err, want)
	}
}

func TestWaitTimeoutVectors(t *testing.T) {
	v := loadVectors(t)
	for _, vec := range v.WaitTimeouts.Valid {
		t.Run("valid "+vec.Value, func(t *testing.T) {
			s, err := load(map[string]string{WaitVariable: vec.Value})
			if err != nil {
				t.Fatal(err)
			}
			want := DefaultWaitSeconds * time.Second
			if vec.Seconds != nil {
				want = time.Duration(*vec.Seconds * float64(time.Second))
			}
			if s.Wait != want {
				t.Errorf("%s=%q gives wait %v, want %v", WaitVariable, vec.Value, s.Wait, want)
			}
		})
	}
	for _, value := range append(v.WaitTimeouts.Invalid, "99999999999999999999") {
		t.Run("invalid "+value, func(t *testing.T) {
			_, err := load(map[string]string{WaitVariable: value})
			requireSettingError(t, err, WaitVariable, value, SecondsRule, false)
		})
	}
}

func TestShutdownGrace(t *testing.T) {
	for value, want := range map[string]time.Duration{"0": 0, "30": 30 * time.Second, "2.5": 2500 * time.Millisecond} {
		s, err := load(map[string]string{ShutdownGraceVariable: value})
		if err != nil || s.ShutdownGrace != want {
			t.Errorf("%s=%q gives grace %v, %v; want %v", ShutdownGraceVariable, value, s.ShutdownGrace, err, want)
		}
	}
	for _, value := range []string{"-1", "ten", "1e3", "10s", "inf"} {
		_, err := load(map[string]string{ShutdownGraceVariable: value})
		requireSettingError(t, err, ShutdownGraceVariable, value, SecondsRule, false)
	}
}

func TestReplica(t *testing.T) {
	for _, value := range []string{"2", "blue-3", "a.b_c"} {
		s, err := load(map[string]string{ReplicaVariable: value})
		if err != nil || string(s.Replica) != value {
			t.Errorf("%s=%q gives replica %q, %v", ReplicaVariable, value, s.Replica, err)
		}
	}
	for _, value := range []string{"a b", "1@x", "2:3", "-1", " 1", ".x"} {
		_, err := load(map[string]string{ReplicaVariable: value})
		requireSettingError(t, err, ReplicaVariable, value, ReplicaRule, false)
	}
}

func TestPorts(t *testing.T) {
	for _, name := range []string{"METRICS_PORT", HealthPortVariable} {
		for value, want := range map[string]port{"1": 1, "9467": 9467, "65535": 65535, "08081": 8081} {
			s, err := load(map[string]string{name: value})
			got := map[string]port{"METRICS_PORT": s.MetricsPort, HealthPortVariable: s.HealthPort}[name]
			if err != nil || got != want {
				t.Errorf("%s=%q gives %d, %v; want %d", name, value, got, err, want)
			}
		}
		for _, value := range []string{"0", "65536", "+1", "-1", "http", " 80", "80 ", "8_0", "1e3"} {
			_, err := load(map[string]string{name: value})
			requireSettingError(t, err, name, value, PortRule, false)
		}
	}
	s, err := load(map[string]string{"METRICS_HOST": "0.0.0.0", HealthHostVariable: "::"})
	if err != nil || s.MetricsHost != "0.0.0.0" || s.HealthHost != "::" {
		t.Errorf("hosts %q %q, %v", s.MetricsHost, s.HealthHost, err)
	}
}

func TestLogFormat(t *testing.T) {
	for _, value := range LogFormats {
		s, err := load(map[string]string{LogFormatVariable: value})
		if err != nil || string(s.LogFormat) != value {
			t.Errorf("%s=%q gives %q, %v", LogFormatVariable, value, s.LogFormat, err)
		}
	}
	for _, value := range []string{"xml", "JSON", " text"} {
		_, err := load(map[string]string{LogFormatVariable: value})
		requireSettingError(t, err, LogFormatVariable, value, LogFormatRule, false)
	}
}

func TestSettingMessage(t *testing.T) {
	cases := []struct {
		name, value, want string
	}{
		{WaitVariable, "1e3", `invalid setting ACTIVITY_2_WAIT_TIMEOUT="1e3": expected a non-negative decimal number of seconds, such as 0, 1 or 2.5`},
		{ReplicaVariable, `a "b"`, `invalid setting WORKER_REPLICA="a \"b\"": expected a replica name of letters, digits, '.', '_' or '-', such as 1 or 2`},
		{HealthPortVariable, "<80>", `invalid setting HEALTH_PORT="<80>": expected a TCP port from 1 to 65535`},
		{LogFormatVariable, strings.Repeat("x", 40), `invalid setting LOG_FORMAT="` + strings.Repeat("x", 40) + `": expected json or text`},
		{LogFormatVariable, strings.Repeat("x", 39) + "ÿz!", `invalid setting LOG_FORMAT="` + strings.Repeat("x", 39) + `ÿ"...: expected json or text`},
		{KeysVariable, "test-1:c2VjcmV0", `invalid setting PAYLOAD_KEYS (value not shown): expected comma-separated id:key pairs, each key 32 bytes in standard base64`},
		{KeyIDVariable, "test-9", `invalid setting PAYLOAD_KEY_ID="test-9": expected the id of one of the keys in PAYLOAD_KEYS`},
		{EncryptionVariable, "maybe", `invalid setting PAYLOAD_ENCRYPTION="maybe": expected on or off`},
		{BuildIDVariable, "v1 2", `invalid setting WORKER_BUILD_ID="v1 2": expected a build id of letters, digits, '.', '_' or '-'`},
	}
	for _, c := range cases {
		_, err := load(map[string]string{c.name: c.value})
		if err == nil || err.Error() != c.want {
			t.Errorf("%s=%q:\n got %v\nwant %s", c.name, c.value, err, c.want)
		}
	}
}

func TestPayloadKeys(t *testing.T) {
	other := base64.StdEncoding.EncodeToString(bytesFrom(64))
	s, err := load(map[string]string{KeysVariable: "a.B_c-9:" + other + "," + testKeys})
	want := append(payloadKeys{{ID: "a.B_c-9", Secret: bytesFrom(64)}}, testKeysParsed...)
	if err != nil || !reflect.DeepEqual(s.PayloadKeys, want) || s.PayloadKeyID != "a.B_c-9" {
		t.Errorf("three keys give %v, key id %q, %v", s.PayloadKeys, s.PayloadKeyID, err)
	}
	s, err = load(map[string]string{KeyIDVariable: "test-2"})
	if err != nil || s.PayloadKeyID != "test-2" {
		t.Errorf("%s=test-2 gives %q, %v", KeyIDVariable, s.PayloadKeyID, err)
	}

	short := base64.StdEncoding.EncodeToString(bytesFrom(0)[:31])
	long := base64.StdEncoding.EncodeToString(append(bytesFrom(0), 1))
	key := base64.StdEncoding.EncodeToString(bytesFrom(0))
	for _, value := range []string{
		"", // required while encryption is on
		"k1", "k1:", ":" + key, "k1:" + short, "k1:" + long, "k 1:" + key, "k1:" + key + ",",
		"k1:" + key + ",k1:" + key, "k1:" + strings.TrimRight(key, "="), "k1:" + key[:20] + "\n" + key[20:],
		"k1:" + base64.URLEncoding.EncodeToString(bytesFrom(250)), strings.Repeat("k", 65) + ":" + key,
		"k1=" + key, " k1:" + key,
	} {
		_, err := load(map[string]string{KeysVariable: value})
		requireSettingError(t, err, KeysVariable, "", KeysRule, true)
	}
	_, err = LoadSettings(map[string]string{})
	requireSettingError(t, err, KeysVariable, "", KeysRule, true)
	for _, value := range []string{"test-3", "TEST-1", "test-1 ", "test-1,test-2"} {
		_, err := load(map[string]string{KeyIDVariable: value})
		requireSettingError(t, err, KeyIDVariable, value, KeyIDRule, false)
	}
}

func TestPayloadEncryptionSwitch(t *testing.T) {
	s, err := LoadSettings(map[string]string{EncryptionVariable: "off"})
	if err != nil || s.PayloadEncryption || s.PayloadKeys != nil {
		t.Errorf("%s=off without keys gives %+v, %v", EncryptionVariable, s, err)
	}
	s, err = LoadSettings(map[string]string{EncryptionVariable: "off", KeyIDVariable: "none"})
	if err != nil || s.PayloadEncryption {
		t.Errorf("%s=off ignores the key id, got %+v, %v", EncryptionVariable, s, err)
	}
	s, err = load(map[string]string{EncryptionVariable: "on"})
	if err != nil || !s.PayloadEncryption {
		t.Errorf("%s=on gives %+v, %v", EncryptionVariable, s, err)
	}
	for _, value := range []string{"yes", "true", "ON", "1", " off"} {
		_, err := load(map[string]string{EncryptionVariable: value})
		requireSettingError(t, err, EncryptionVariable, value, EncryptionRule, false)
	}
}

func TestDeployment(t *testing.T) {
	s, err := load(map[string]string{DeploymentNameVariable: "calc-blue", BuildIDVariable: "2026.11.26_a-" + strings.Repeat("9", 51)})
	if err != nil || s.DeploymentName != "calc-blue" || len(s.BuildID) != 64 {
		t.Errorf("got deployment %q, build id %q, %v", s.DeploymentName, s.BuildID, err)
	}
	for _, value := range []string{"a b", "v1/2", "v1:2", "v1@x", strings.Repeat("b", 65), " dev"} {
		_, err := load(map[string]string{BuildIDVariable: value})
		requireSettingError(t, err, BuildIDVariable, value, BuildIDRule, false)
	}
}

func TestKeysNeverPrinted(t *testing.T) {
	s, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"%v", "%+v", "%s"} {
		if shown := fmt.Sprintf(format, s); strings.Contains(shown, "[0 1 2 3") || !strings.Contains(shown, "(not shown)") {
			t.Errorf("%s of the settings shows key material: %s", format, shown)
		}
	}
}

func TestFirstBadSettingIsNamed(t *testing.T) {
	_, err := load(map[string]string{WaitVariable: "x", "METRICS_PORT": "y"})
	requireSettingError(t, err, WaitVariable, "x", SecondsRule, false)
}

// requireSettingError asserts that err is the contract's error for one variable and value.
func requireSettingError(t *testing.T, err error, name, value, rule string, secret bool) {
	t.Helper()
	var bad *SettingError
	if !errors.As(err, &bad) {
		t.Fatalf("%s=%q: want a *SettingError, got %v", name, value, err)
	}
	if *bad != (SettingError{Name: name, Value: value, Rule: rule, Secret: secret}) {
		t.Errorf("%s=%q: got %+v", name, value, *bad)
	}
}
