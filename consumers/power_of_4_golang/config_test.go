package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"
)

// load reads settings from exactly vars, never from the test process's environment, plus the
// test keys when vars leaves PAYLOAD_KEYS out.
func load(vars map[string]string) (Config, error) {
	all := map[string]string{"PAYLOAD_KEYS": testKeys}
	for k, v := range vars {
		all[k] = v
	}
	return LoadConfig(func(name string) string { return all[name] })
}

// bytesFrom returns the 32 bytes first, first+1, ..., the shape of the shared test keys.
func bytesFrom(first byte) []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = first + byte(i)
	}
	return b
}

// requireSettingError asserts the one-line message that names the variable, the value (quoted
// and cut to 40 characters; for a secret, that it is not shown) and the rule.
func requireSettingError(t *testing.T, err error, name, value, rule string, secret bool) {
	t.Helper()
	shown := fmt.Sprintf("%q", value)
	if runes := []rune(value); len(runes) > 40 {
		shown = fmt.Sprintf("%q...", string(runes[:40]))
	}
	want := fmt.Sprintf("invalid setting %s=%s: expected %s", name, shown, rule)
	if secret {
		want = fmt.Sprintf("invalid setting %s (value not shown): expected %s", name, rule)
	}
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
		Wait: time.Second, ShutdownGrace: 10 * time.Second, LogFormat: "text",
		Identity: fmt.Sprintf("power_of_4-go-1@%s:%d", hostname(t), os.Getpid()),
		Version:  worker.WorkerDeploymentVersion{DeploymentName: "calculation", BuildID: "dev"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestEmptyCountsAsUnset(t *testing.T) {
	vars := map[string]string{}
	for _, name := range []string{"ACTIVITY_2_WAIT_TIMEOUT", "WORKER_REPLICA", "WORKER_SHUTDOWN_GRACE_SECONDS", "LOG_FORMAT",
		"METRICS_PORT", "METRICS_HOST", "HEALTH_PORT", "HEALTH_HOST", "PAYLOAD_KEY_ID", "PAYLOAD_ENCRYPTION",
		"WORKER_DEPLOYMENT_NAME", "WORKER_BUILD_ID"} {
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
			requireSettingError(t, err, "ACTIVITY_2_WAIT_TIMEOUT", value, secondsRule, false)
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
		requireSettingError(t, err, "WORKER_SHUTDOWN_GRACE_SECONDS", value, secondsRule, false)
	}
}

func TestReplica(t *testing.T) {
	for _, value := range []string{"2", "blue-3", "a.b_c"} {
		s, err := load(map[string]string{"WORKER_REPLICA": value})
		want := fmt.Sprintf("power_of_4-go-%s@%s:%d", value, hostname(t), os.Getpid())
		if err != nil || s.Identity != want {
			t.Errorf("WORKER_REPLICA=%q gives identity %q, %v; want %q", value, s.Identity, err, want)
		}
	}
	for _, value := range []string{"a b", "1@x", "2:3", "-1", " 1", ".x"} {
		_, err := load(map[string]string{"WORKER_REPLICA": value})
		requireSettingError(t, err, "WORKER_REPLICA", value, "a replica name of letters, digits, '.', '_' or '-', such as 1 or 2", false)
	}
}

func TestPorts(t *testing.T) {
	for _, name := range []string{"METRICS", "HEALTH"} {
		for value, want := range map[string]string{"1": "127.0.0.1:1", "9467": "127.0.0.1:9467", "65535": "127.0.0.1:65535", "08081": "127.0.0.1:8081"} {
			s, err := load(map[string]string{name + "_PORT": value})
			got := map[string]string{"METRICS": s.MetricsAddr, "HEALTH": s.HealthAddr}[name]
			if err != nil || got != want {
				t.Errorf("%s_PORT=%q gives %q, %v; want %q", name, value, got, err, want)
			}
		}
		for _, value := range []string{"0", "65536", "+1", "-1", "http", " 80", "80 ", "8_0", "1e3"} {
			_, err := load(map[string]string{name + "_PORT": value})
			requireSettingError(t, err, name+"_PORT", value, "a TCP port from 1 to 65535", false)
		}
	}
	s, err := load(map[string]string{"METRICS_HOST": "0.0.0.0", "METRICS_PORT": "9464", "HEALTH_HOST": "::", "HEALTH_PORT": "8081"})
	if err != nil || s.MetricsAddr != "0.0.0.0:9464" || s.HealthAddr != "[::]:8081" {
		t.Errorf("addresses %q %q, %v", s.MetricsAddr, s.HealthAddr, err)
	}
	s, err = load(map[string]string{"METRICS_HOST": "0.0.0.0", "HEALTH_HOST": "::"})
	if err != nil || s.MetricsAddr != "" || s.HealthAddr != "" {
		t.Errorf("without ports, the endpoints should be off: %q %q, %v", s.MetricsAddr, s.HealthAddr, err)
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
		requireSettingError(t, err, "LOG_FORMAT", value, "json or text", false)
	}
}

func TestSettingMessage(t *testing.T) {
	cases := []struct {
		name, value, want string
	}{
		{"ACTIVITY_2_WAIT_TIMEOUT", "soon", `invalid setting ACTIVITY_2_WAIT_TIMEOUT="soon": expected a non-negative decimal number of seconds, such as 0, 1 or 2.5`},
		{"WORKER_REPLICA", `a "b"`, `invalid setting WORKER_REPLICA="a \"b\"": expected a replica name of letters, digits, '.', '_' or '-', such as 1 or 2`},
		{"HEALTH_PORT", "<80>", `invalid setting HEALTH_PORT="<80>": expected a TCP port from 1 to 65535`},
		{"LOG_FORMAT", strings.Repeat("x", 40), `invalid setting LOG_FORMAT="` + strings.Repeat("x", 40) + `": expected json or text`},
		{"LOG_FORMAT", strings.Repeat("x", 39) + "ÿz!", `invalid setting LOG_FORMAT="` + strings.Repeat("x", 39) + `ÿ"...: expected json or text`},
		{"PAYLOAD_KEYS", "test-1:c2VjcmV0", `invalid setting PAYLOAD_KEYS (value not shown): expected comma-separated id:key pairs, each key 32 bytes in standard base64`},
		{"PAYLOAD_KEY_ID", "test-9", `invalid setting PAYLOAD_KEY_ID="test-9": expected the id of one of the keys in PAYLOAD_KEYS`},
		{"PAYLOAD_ENCRYPTION", "maybe", `invalid setting PAYLOAD_ENCRYPTION="maybe": expected on or off`},
		{"WORKER_BUILD_ID", "v1 2", `invalid setting WORKER_BUILD_ID="v1 2": expected a build id of letters, digits, '.', '_' or '-'`},
	}
	for _, c := range cases {
		_, err := load(map[string]string{c.name: c.value})
		if err == nil || err.Error() != c.want {
			t.Errorf("%s=%q:\n got %v\nwant %s", c.name, c.value, err, c.want)
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
		requireSettingError(t, err, "PAYLOAD_KEYS", "", keysRule, true)
	}
	_, err = LoadConfig(func(string) string { return "" })
	requireSettingError(t, err, "PAYLOAD_KEYS", "", keysRule, true)
	for _, value := range []string{"test-3", "TEST-1", "test-1 ", "test-1,test-2"} {
		_, err := load(map[string]string{"PAYLOAD_KEY_ID": value})
		requireSettingError(t, err, "PAYLOAD_KEY_ID", value, "the id of one of the keys in PAYLOAD_KEYS", false)
	}
}

func TestPayloadEncryptionSwitch(t *testing.T) {
	off := map[string]string{"PAYLOAD_ENCRYPTION": "off"}
	s, err := LoadConfig(func(name string) string { return off[name] })
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
		requireSettingError(t, err, "PAYLOAD_ENCRYPTION", value, "on or off", false)
	}
}

func TestDeployment(t *testing.T) {
	s, err := load(map[string]string{"WORKER_DEPLOYMENT_NAME": "calc-blue", "WORKER_BUILD_ID": "2026.11.26_a-" + strings.Repeat("9", 51)})
	if err != nil || s.Version.DeploymentName != "calc-blue" || len(s.Version.BuildID) != 64 {
		t.Errorf("got version %+v, %v", s.Version, err)
	}
	for _, value := range []string{"a b", "v1/2", "v1:2", "v1@x", strings.Repeat("b", 65), " dev"} {
		_, err := load(map[string]string{"WORKER_BUILD_ID": value})
		requireSettingError(t, err, "WORKER_BUILD_ID", value, "a build id of letters, digits, '.', '_' or '-'", false)
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
	requireSettingError(t, err, "ACTIVITY_2_WAIT_TIMEOUT", "x", secondsRule, false)
}
