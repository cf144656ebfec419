package main

import (
	"encoding/base64"
	"math"
	"net"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Settings is everything the worker reads from its environment. Empty counts as unset; the
// tags must agree with contract.go, which contract_test.go checks.
type Settings struct {
	// Wait is how long each activity waits before computing; zero means no wait.
	Wait time.Duration `env:"ACTIVITY_2_WAIT_TIMEOUT" envDefault:"1"`
	// Replica distinguishes several copies of this worker in their identities.
	Replica replica `env:"WORKER_REPLICA" envDefault:"1"`
	// ShutdownGrace is how long activities in flight may run on after a stop signal.
	ShutdownGrace time.Duration `env:"WORKER_SHUTDOWN_GRACE_SECONDS" envDefault:"10"`
	LogFormat     logFormat     `env:"LOG_FORMAT" envDefault:"text"`
	// MetricsPort and HealthPort are zero when their endpoint is off.
	MetricsPort port   `env:"METRICS_PORT"`
	MetricsHost string `env:"METRICS_HOST" envDefault:"127.0.0.1"`
	HealthPort  port   `env:"HEALTH_PORT"`
	HealthHost  string `env:"HEALTH_HOST" envDefault:"127.0.0.1"`
	// OTLP traces are on when either endpoint is set.
	OTLPEndpoint       string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	OTLPTracesEndpoint string `env:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"`
	// Payloads are encrypted with the key PayloadKeyID and decrypted with any of PayloadKeys;
	// with encryption off, neither is needed.
	PayloadKeys       payloadKeys `env:"PAYLOAD_KEYS"`
	PayloadKeyID      string      `env:"PAYLOAD_KEY_ID"`
	PayloadEncryption onOff       `env:"PAYLOAD_ENCRYPTION" envDefault:"on"`
	// The worker polls as the version BuildID of the Worker Deployment DeploymentName.
	DeploymentName string  `env:"WORKER_DEPLOYMENT_NAME" envDefault:"calculation"`
	BuildID        buildID `env:"WORKER_BUILD_ID" envDefault:"dev"`
}

type (
	replica   string
	logFormat string
	port      uint16
	onOff     bool
	buildID   string
)

// payloadKeys are the id:key pairs of PAYLOAD_KEYS, in their order.
type payloadKeys []payloadKey

type payloadKey struct {
	ID     string
	Secret keySecret
}

// keySecret is key material; it prints as a placeholder so that no log or error shows it.
type keySecret []byte

func (keySecret) String() string { return "(not shown)" }

// has reports whether one of the keys has the id.
func (keys payloadKeys) has(id string) bool {
	return slices.ContainsFunc(keys, func(k payloadKey) bool { return k.ID == id })
}

// on returns the host:port address of the port on host.
func (p port) on(host string) string { return net.JoinHostPort(host, strconv.Itoa(int(p))) }

// SettingError is a malformed setting; its message is the contract's one line. The message of
// a Secret setting leaves the value out, and Value stays empty.
type SettingError struct {
	Name, Value, Rule string
	Secret            bool
}

// maxSettingRunes is how much of a rejected setting the message repeats.
const maxSettingRunes = 40

func (e *SettingError) Error() string {
	if e.Secret {
		return strings.NewReplacer("{name}", e.Name, "{rule}", e.Rule).Replace(SecretSettingsMessage)
	}
	runes := []rune(e.Value)
	value := showString(string(runes[:min(len(runes), maxSettingRunes)]))
	if len(runes) > maxSettingRunes {
		value += shortenedEnd
	}
	return strings.NewReplacer("{name}", e.Name, "{value}", value, "{rule}", e.Rule).Replace(SettingsMessage)
}

var (
	secondsRegexp = regexp.MustCompile(SecondsPattern)
	replicaRegexp = regexp.MustCompile(ReplicaPattern)
	keyIDRegexp   = regexp.MustCompile(KeyIDPattern)
	buildIDRegexp = regexp.MustCompile(BuildIDPattern)
)

// parsers hold the contract's rules, one per field type; a parser leaves Name to LoadSettings.
var parsers = map[reflect.Type]env.ParserFunc{
	reflect.TypeFor[time.Duration](): func(v string) (any, error) {
		secs, err := strconv.ParseFloat(v, 64)
		// The pattern leaves overflow as the only way ParseFloat or the conversion can fail.
		if !secondsRegexp.MatchString(v) || err != nil || secs*float64(time.Second) >= math.MaxInt64 {
			return nil, &SettingError{Value: v, Rule: SecondsRule}
		}
		return time.Duration(math.Round(secs * float64(time.Second))), nil
	},
	reflect.TypeFor[port](): func(v string) (any, error) {
		// ParseUint takes no sign, so this accepts digits only.
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil || n == 0 {
			return nil, &SettingError{Value: v, Rule: PortRule}
		}
		return port(n), nil
	},
	reflect.TypeFor[replica](): func(v string) (any, error) {
		if !replicaRegexp.MatchString(v) {
			return nil, &SettingError{Value: v, Rule: ReplicaRule}
		}
		return replica(v), nil
	},
	reflect.TypeFor[logFormat](): func(v string) (any, error) {
		if !slices.Contains(LogFormats, v) {
			return nil, &SettingError{Value: v, Rule: LogFormatRule}
		}
		return logFormat(v), nil
	},
	reflect.TypeFor[onOff](): func(v string) (any, error) {
		if v != "on" && v != "off" {
			return nil, &SettingError{Value: v, Rule: EncryptionRule}
		}
		return onOff(v == "on"), nil
	},
	reflect.TypeFor[payloadKeys](): parsePayloadKeys,
	reflect.TypeFor[buildID](): func(v string) (any, error) {
		if !buildIDRegexp.MatchString(v) {
			return nil, &SettingError{Value: v, Rule: BuildIDRule}
		}
		return buildID(v), nil
	},
}

// parsePayloadKeys reads id:key pairs. Its error never carries the value: it holds keys.
func parsePayloadKeys(v string) (any, error) {
	var keys payloadKeys
	for pair := range strings.SplitSeq(v, ",") {
		id, encoded, _ := strings.Cut(pair, ":")
		// The decoder skips line breaks, which standard base64 does not contain.
		secret, err := base64.StdEncoding.Strict().DecodeString(encoded)
		if !keyIDRegexp.MatchString(id) || keys.has(id) || strings.ContainsAny(encoded, "\r\n") ||
			err != nil || len(secret) != KeyBytes {
			return nil, &SettingError{Rule: KeysRule, Secret: true}
		}
		keys = append(keys, payloadKey{ID: id, Secret: secret})
	}
	return keys, nil
}

// LoadSettings reads the settings from environ (the process environment when nil). The error
// of a malformed value is a *SettingError naming the first such variable.
func LoadSettings(environ map[string]string) (Settings, error) {
	var s Settings
	err := env.ParseWithOptions(&s, env.Options{Environment: environ, FuncMap: parsers})
	if agg, ok := err.(env.AggregateError); ok {
		for _, e := range agg.Errors {
			parseErr, isParse := e.(env.ParseError)
			bad, isSetting := parseErr.Err.(*SettingError)
			if isParse && isSetting {
				field, _ := reflect.TypeFor[Settings]().FieldByName(parseErr.Name)
				bad.Name = field.Tag.Get("env")
				return Settings{}, bad
			}
		}
	}
	if err != nil {
		return Settings{}, err
	}
	// Rules across settings, which the per-type parsers cannot see.
	if s.PayloadEncryption {
		switch {
		case len(s.PayloadKeys) == 0:
			return Settings{}, &SettingError{Name: KeysVariable, Rule: KeysRule, Secret: true}
		case s.PayloadKeyID == "":
			s.PayloadKeyID = s.PayloadKeys[0].ID
		case !s.PayloadKeys.has(s.PayloadKeyID):
			return Settings{}, &SettingError{Name: KeyIDVariable, Value: s.PayloadKeyID, Rule: KeyIDRule}
		}
	}
	return s, nil
}
