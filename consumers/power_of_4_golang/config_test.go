package main

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// load reads settings from exactly vars, never from the test process's environment, plus the
// test keys when vars leaves PAYLOAD_KEYS out.
func load(vars map[string]string) (Config, error) {
	all := map[string]string{"PAYLOAD_KEYS": testKeys}
	for k, v := range vars {
		all[k] = v
	}
	return LoadConfig(all)
}

// bytesFrom returns the 32 bytes first, first+1, ..., the shape of the shared test keys.
func bytesFrom(first byte) []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = first + byte(i)
	}
	return b
}

// requireSettingError asserts the one-line message that names the variable and its rule, and
// never the value, which may be a key.
func requireSettingError(t *testing.T, err error, name, value, rule string) {
	t.Helper()
	want := fmt.Sprintf("invalid setting %s: expected %s", name, rule)
	if err == nil || err.Error() != want {
		t.Errorf("%s=%q: got %v, want %s", name, value, err, want)
	}
}

func TestDefaults(t *testing.T) {
	got, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Codec == nil || got.Codec.keyID != "test-1" {
		t.Errorf("codec %+v, want one that encrypts with the first key, test-1", got.Codec)
	}
	got.Codec = nil
	want := Config{
		Wait: time.Second, ShutdownGrace: 10 * time.Second, Replica: "1", LogFormat: "text",
		MetricsHost: "127.0.0.1", HealthHost: "127.0.0.1", Versioning: "on", Pollers: "fixed", DeploymentName: "calculation", BuildID: "dev",
		Encryption: true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestEmptyCountsAsUnset(t *testing.T) {
	vars := map[string]string{}
	for _, name := range []string{"ACTIVITY_2_WAIT_TIMEOUT", "WORKER_REPLICA", "WORKER_SHUTDOWN_GRACE_SECONDS", "LOG_FORMAT",
		"METRICS_PORT", "METRICS_HOST", "HEALTH_PORT", "HEALTH_HOST", "PAYLOAD_KEY_ID", "PAYLOAD_ENCRYPTION",
		"TEMPORAL_DEPLOYMENT_NAME", "TEMPORAL_WORKER_BUILD_ID", "TEMPORAL_WORKER_VERSIONING"} {
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
			s, err := load(map[string]string{"ACTIVITY_2_WAIT_TIMEOUT": vec.Value})
			if err != nil {
				t.Fatal(err)
			}
			want := time.Second
			if vec.Seconds != nil {
				want = time.Duration(*vec.Seconds * float64(time.Second))
			}
			if s.Wait != want {
				t.Errorf("ACTIVITY_2_WAIT_TIMEOUT=%q gives wait %v, want %v", vec.Value, s.Wait, want)
			}
		})
	}
	for _, value := range append(v.WaitTimeouts.Invalid, "99999999999999999999") {
		t.Run("invalid "+value, func(t *testing.T) {
			_, err := load(map[string]string{"ACTIVITY_2_WAIT_TIMEOUT": value})
			requireSettingError(t, err, "ACTIVITY_2_WAIT_TIMEOUT", value, secondsRule)
		})
	}
}

const secondsRule = "a non-negative decimal number of seconds, such as 0, 1 or 2.5"

func TestShutdownGrace(t *testing.T) {
	for value, want := range map[string]time.Duration{"0": 0, "30": 30 * time.Second, "2.5": 2500 * time.Millisecond} {
		s, err := load(map[string]string{"WORKER_SHUTDOWN_GRACE_SECONDS": value})
		if err != nil || s.ShutdownGrace != want {
			t.Errorf("WORKER_SHUTDOWN_GRACE_SECONDS=%q gives grace %v, %v; want %v", value, s.ShutdownGrace, err, want)
		}
	}
	for _, value := range []string{"-1", "ten", "1e3", "10s", "inf"} {
		_, err := load(map[string]string{"WORKER_SHUTDOWN_GRACE_SECONDS": value})
		requireSettingError(t, err, "WORKER_SHUTDOWN_GRACE_SECONDS", value, secondsRule)
	}
}

// The identity it goes into, power_of_4-go-<replica>@<host>:<pid>, is checked on the running
// worker (TestHealthPortInUseStopsTheWorker, TestIntegrationWithDevServer).
func TestReplica(t *testing.T) {
	for _, value := range []string{"2", "blue-3", "a.b_c"} {
		s, err := load(map[string]string{"WORKER_REPLICA": value})
		if err != nil || s.Replica != value {
			t.Errorf("WORKER_REPLICA=%q gives replica %q, %v", value, s.Replica, err)
		}
	}
	for _, value := range []string{"a b", "1@x", "2:3", "-1", " 1", ".x"} {
		_, err := load(map[string]string{"WORKER_REPLICA": value})
		requireSettingError(t, err, "WORKER_REPLICA", value, "a replica name of letters, digits, '.', '_' or '-', such as 1 or 2")
	}
}

func TestPorts(t *testing.T) {
	for _, name := range []string{"METRICS", "HEALTH"} {
		for value, want := range map[string]uint16{"1": 1, "9467": 9467, "65535": 65535, "08081": 8081} {
			s, err := load(map[string]string{name + "_PORT": value})
			got := map[string]uint16{"METRICS": s.MetricsPort, "HEALTH": s.HealthPort}[name]
			if err != nil || got != want {
				t.Errorf("%s_PORT=%q gives %d, %v; want %d", name, value, got, err, want)
			}
		}
		for _, value := range []string{"0", "65536", "+1", "-1", "http", " 80", "80 ", "8_0", "1e3"} {
			_, err := load(map[string]string{name + "_PORT": value})
			requireSettingError(t, err, name+"_PORT", value, "a TCP port from 1 to 65535")
		}
	}
	s, err := load(map[string]string{"METRICS_HOST": "0.0.0.0", "METRICS_PORT": "9464", "HEALTH_HOST": "::", "HEALTH_PORT": "8081"})
	if err != nil || s.MetricsHost != "0.0.0.0" || s.MetricsPort != 9464 || s.HealthHost != "::" || s.HealthPort != 8081 {
		t.Errorf("metrics on %q %d, probe on %q %d, %v", s.MetricsHost, s.MetricsPort, s.HealthHost, s.HealthPort, err)
	}
	s, err = load(map[string]string{"METRICS_HOST": "0.0.0.0", "HEALTH_HOST": "::"})
	if err != nil || s.MetricsPort != 0 || s.HealthPort != 0 {
		t.Errorf("without ports, the endpoints should be off: %d %d, %v", s.MetricsPort, s.HealthPort, err)
	}
}

func TestLogFormat(t *testing.T) {
	for _, value := range []string{"text", "json"} {
		s, err := load(map[string]string{"LOG_FORMAT": value})
		if err != nil || s.LogFormat != value {
			t.Errorf("LOG_FORMAT=%q gives %q, %v", value, s.LogFormat, err)
		}
	}
	for _, value := range []string{"xml", "JSON", " text"} {
		_, err := load(map[string]string{"LOG_FORMAT": value})
		requireSettingError(t, err, "LOG_FORMAT", value, "json or text")
	}
}

func TestSettingMessage(t *testing.T) {
	cases := []struct {
		name, value, want string
	}{
		{"ACTIVITY_2_WAIT_TIMEOUT", "soon", `invalid setting ACTIVITY_2_WAIT_TIMEOUT: expected a non-negative decimal number of seconds, such as 0, 1 or 2.5`},
		{"WORKER_REPLICA", `a "b"`, `invalid setting WORKER_REPLICA: expected a replica name of letters, digits, '.', '_' or '-', such as 1 or 2`},
		{"HEALTH_PORT", "<80>", `invalid setting HEALTH_PORT: expected a TCP port from 1 to 65535`},
		{"LOG_FORMAT", strings.Repeat("x", 40), `invalid setting LOG_FORMAT: expected json or text`},
		{"PAYLOAD_KEYS", "test-1:c2VjcmV0", `invalid setting PAYLOAD_KEYS: expected comma-separated id:key pairs, each key 32 bytes in standard base64`},
		{"PAYLOAD_KEY_ID", "test-9", `invalid setting PAYLOAD_KEY_ID: expected the id of one of the keys in PAYLOAD_KEYS`},
		{"PAYLOAD_ENCRYPTION", "maybe", `invalid setting PAYLOAD_ENCRYPTION: expected on or off`},
		{"TEMPORAL_WORKER_BUILD_ID", "v1 2", `invalid setting TEMPORAL_WORKER_BUILD_ID: expected a build id of letters, digits, '.', '_' or '-'`},
		{"TEMPORAL_WORKER_VERSIONING", "maybe", `invalid setting TEMPORAL_WORKER_VERSIONING: expected on or off`},
	}
	for _, c := range cases {
		_, err := load(map[string]string{c.name: c.value})
		if err == nil || err.Error() != c.want || strings.Contains(err.Error(), c.value) {
			t.Errorf("%s=%q:\n got %v\nwant %s, without the value", c.name, c.value, err, c.want)
		}
	}
}

const keysRule = "comma-separated id:key pairs, each key 32 bytes in standard base64"

func TestPayloadKeys(t *testing.T) {
	other := base64.StdEncoding.EncodeToString(bytesFrom(64))
	s, err := load(map[string]string{"PAYLOAD_KEYS": "a.B_c-9:" + other + "," + testKeys})
	if err != nil || len(s.Codec.aeads) != 3 || s.Codec.keyID != "a.B_c-9" {
		t.Errorf("three keys give %+v, %v", s.Codec, err)
	}
	s, err = load(map[string]string{"PAYLOAD_KEY_ID": "test-2"})
	if err != nil || s.Codec.keyID != "test-2" {
		t.Errorf("PAYLOAD_KEY_ID=test-2 gives %+v, %v", s.Codec, err)
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
		_, err := load(map[string]string{"PAYLOAD_KEYS": value})
		requireSettingError(t, err, "PAYLOAD_KEYS", value, keysRule)
	}
	_, err = LoadConfig(map[string]string{})
	requireSettingError(t, err, "PAYLOAD_KEYS", "", keysRule)
	for _, value := range []string{"test-3", "TEST-1", "test-1 ", "test-1,test-2"} {
		_, err := load(map[string]string{"PAYLOAD_KEY_ID": value})
		requireSettingError(t, err, "PAYLOAD_KEY_ID", value, "the id of one of the keys in PAYLOAD_KEYS")
	}
}

func TestPayloadEncryptionSwitch(t *testing.T) {
	s, err := LoadConfig(map[string]string{"PAYLOAD_ENCRYPTION": "off"})
	if err != nil || s.Codec != nil {
		t.Errorf("PAYLOAD_ENCRYPTION=off without keys gives %+v, %v", s, err)
	}
	s, err = load(map[string]string{"PAYLOAD_ENCRYPTION": "off", "PAYLOAD_KEY_ID": "none"})
	if err != nil || s.Codec != nil {
		t.Errorf("PAYLOAD_ENCRYPTION=off ignores the keys, got %+v, %v", s, err)
	}
	s, err = load(map[string]string{"PAYLOAD_ENCRYPTION": "on"})
	if err != nil || s.Codec == nil {
		t.Errorf("PAYLOAD_ENCRYPTION=on gives %+v, %v", s, err)
	}
	for _, value := range []string{"yes", "true", "ON", "1", " off"} {
		_, err := load(map[string]string{"PAYLOAD_ENCRYPTION": value})
		requireSettingError(t, err, "PAYLOAD_ENCRYPTION", value, "on or off")
	}
}

func TestDeployment(t *testing.T) {
	s, err := load(map[string]string{"TEMPORAL_DEPLOYMENT_NAME": "calc-blue", "TEMPORAL_WORKER_BUILD_ID": "2026.11.26_a-" + strings.Repeat("9", 51)})
	if err != nil || s.DeploymentName != "calc-blue" || len(s.BuildID) != 64 {
		t.Errorf("got version %s/%s, %v", s.DeploymentName, s.BuildID, err)
	}
	for _, value := range []string{"a b", "v1/2", "v1:2", "v1@x", strings.Repeat("b", 65), " dev"} {
		_, err := load(map[string]string{"TEMPORAL_WORKER_BUILD_ID": value})
		requireSettingError(t, err, "TEMPORAL_WORKER_BUILD_ID", value, "a build id of letters, digits, '.', '_' or '-'")
	}
}

// TestWorkerSwitches: each switch of the worker takes its values, is its default when empty, and
// refuses anything else with the contract's rule.
func TestWorkerSwitches(t *testing.T) {
	for _, sw := range []struct {
		name, rule string
		field      func(Config) string
		want       map[string]string
		bad        []string
	}{
		{"TEMPORAL_WORKER_VERSIONING", "on or off", func(c Config) string { return c.Versioning },
			map[string]string{"": "on", "on": "on", "off": "off"}, []string{"yes", "ON", "false", " off"}},
		{"TEMPORAL_WORKER_POLLERS", "fixed or autoscaling", func(c Config) string { return c.Pollers },
			map[string]string{"": "fixed", "fixed": "fixed", "autoscaling": "autoscaling"}, []string{"auto", "Autoscaling", "5", " fixed"}},
	} {
		for value, want := range sw.want {
			s, err := load(map[string]string{sw.name: value})
			if err != nil || sw.field(s) != want {
				t.Errorf("%s=%q gives %q, %v; want %q", sw.name, value, sw.field(s), err, want)
			}
		}
		for _, value := range sw.bad {
			_, err := load(map[string]string{sw.name: value})
			requireSettingError(t, err, sw.name, value, sw.rule)
		}
	}
}

func TestKeysNeverPrinted(t *testing.T) {
	s, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	raw := fmt.Sprint(bytesFrom(0))
	for _, format := range []string{"%v", "%+v", "%s", "%#v"} {
		if shown := fmt.Sprintf(format, s); strings.Contains(shown, raw[1:20]) || strings.Contains(shown, "AAECAwQF") {
			t.Errorf("%s of the settings shows key material: %s", format, shown)
		}
	}
}

func TestFirstBadSettingIsNamed(t *testing.T) {
	_, err := load(map[string]string{"ACTIVITY_2_WAIT_TIMEOUT": "x", "METRICS_PORT": "y", "PAYLOAD_KEYS": "k"})
	requireSettingError(t, err, "ACTIVITY_2_WAIT_TIMEOUT", "x", secondsRule)
}

// TestSettingsFollowTheContract holds the names and defaults of config.go's struct tags to
// contract.json, where every language reads them.
func TestSettingsFollowTheContract(t *testing.T) {
	var c struct {
		Steps              []struct{ Activity, WaitVariable string }
		DefaultWaitSeconds float64
		Settings           struct {
			Replica, LogFormat, Pollers struct{ Variable, Default string }
			ShutdownGrace               struct {
				Variable string
				Default  float64
			}
		}
		Probe      struct{ PortVariable, HostVariable, DefaultHost string }
		Encryption struct{ KeysVariable, KeyIDVariable, SwitchVariable string }
		Deployment struct {
			NameVariable, DefaultName, BuildIDVariable, DefaultBuildID string
			Versioning                                                 struct{ Variable, Default string }
		}
	}
	loadJSON(t, "contract.json", &c)
	wait := ""
	for _, s := range c.Steps {
		if s.Activity == "power_of_4" {
			wait = s.WaitVariable
		}
	}
	s, p, d := c.Settings, c.Probe, c.Deployment
	want := map[string][2]string{ // field: variable, default
		"Wait":           {wait, fmt.Sprint(c.DefaultWaitSeconds)},
		"ShutdownGrace":  {s.ShutdownGrace.Variable, fmt.Sprint(s.ShutdownGrace.Default)},
		"Replica":        {s.Replica.Variable, s.Replica.Default},
		"LogFormat":      {s.LogFormat.Variable, s.LogFormat.Default},
		"Pollers":        {s.Pollers.Variable, s.Pollers.Default},
		"HealthHost":     {p.HostVariable, p.DefaultHost},
		"HealthPort":     {p.PortVariable, ""},
		"DeploymentName": {d.NameVariable, d.DefaultName},
		"BuildID":        {d.BuildIDVariable, d.DefaultBuildID},
		"Versioning":     {d.Versioning.Variable, d.Versioning.Default},
		"Encryption":     {c.Encryption.SwitchVariable, "on"},
	}
	for field, w := range want {
		f, _ := reflect.TypeFor[Config]().FieldByName(field)
		if got := [2]string{f.Tag.Get("env"), f.Tag.Get("envDefault")}; got != w {
			t.Errorf("Config.%s reads %q with default %q; contract.json says %q, %q", field, got[0], got[1], w[0], w[1])
		}
	}
	for _, name := range []string{c.Encryption.KeysVariable, c.Encryption.KeyIDVariable} {
		if _, err := load(map[string]string{name: "k 1"}); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s is not read, or its error does not name it: %v", name, err)
		}
	}
}
