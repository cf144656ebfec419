package main

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/caarlos0/env/v11"
)

// Config is the worker's settings; an empty variable counts as unset, and an unset port turns its endpoint off.
type Config struct {
	Wait           time.Duration `env:"ACTIVITY_2_WAIT_TIMEOUT" envDefault:"1"`
	ShutdownGrace  time.Duration `env:"WORKER_SHUTDOWN_GRACE_SECONDS" envDefault:"10"`
	Replica        string        `env:"WORKER_REPLICA" envDefault:"1"`
	LogFormat      string        `env:"LOG_FORMAT" envDefault:"text"`
	MetricsHost    string        `env:"METRICS_HOST" envDefault:"127.0.0.1"`
	MetricsPort    uint16        `env:"METRICS_PORT"`
	HealthHost     string        `env:"HEALTH_HOST" envDefault:"127.0.0.1"`
	HealthPort     uint16        `env:"HEALTH_PORT"`
	Versioning     string        `env:"TEMPORAL_WORKER_VERSIONING" envDefault:"on"` // off: an unversioned worker
	Pollers        string        `env:"TEMPORAL_WORKER_POLLERS" envDefault:"fixed"` // autoscaling: the SDK sizes them
	DeploymentName string        `env:"TEMPORAL_DEPLOYMENT_NAME" envDefault:"calculation"`
	BuildID        string        `env:"TEMPORAL_WORKER_BUILD_ID" envDefault:"dev"`
	Encryption     bool          `env:"PAYLOAD_ENCRYPTION" envDefault:"on"`
	Codec          *Codec        // from PAYLOAD_KEYS and PAYLOAD_KEY_ID while Encryption is on
}

var rules = contract.Settings

// parsers read seconds as plain decimals, ports from 1, and switches as on or off; each error is the rule.
var parsers = map[reflect.Type]env.ParserFunc{
	reflect.TypeFor[time.Duration](): func(v string) (any, error) {
		d, err := time.ParseDuration(v + "s") // exact for decimals; an overflow is an error
		return d, check(err == nil && matches(rules.Seconds.Pattern, v), rules.Seconds.Rule)
	},
	reflect.TypeFor[uint16](): func(v string) (any, error) {
		port, err := strconv.ParseUint(v, 10, 16) // no sign: digits only
		return uint16(port), check(err == nil && port > 0, rules.Port.Rule)
	},
	reflect.TypeFor[bool](): func(v string) (any, error) { return v == "on", check(v == "on" || v == "off", enc.SwitchRule) },
}

// LoadConfig reads the settings from environ; its error names a malformed variable and its rule.
func LoadConfig(environ map[string]string) (c Config, err error) {
	var bad env.ParseError
	switch err = env.ParseWithOptions(&c, env.Options{Environment: environ, FuncMap: parsers}); {
	case errors.As(err, &bad):
		field, _ := reflect.TypeFor[Config]().FieldByName(bad.Name)
		err = invalidSetting(field.Tag.Get("env"), bad.Err.Error())
	case err != nil:
	case !matches(rules.Replica.Pattern, c.Replica):
		err = invalidSetting("WORKER_REPLICA", rules.Replica.Rule)
	case c.LogFormat != "text" && c.LogFormat != "json":
		err = invalidSetting("LOG_FORMAT", rules.LogFormat.Rule)
	case !slices.Contains(contract.Deployment.Versioning.Values, c.Versioning):
		err = invalidSetting("TEMPORAL_WORKER_VERSIONING", contract.Deployment.Versioning.Rule)
	case !slices.Contains(rules.Pollers.Values, c.Pollers):
		err = invalidSetting("TEMPORAL_WORKER_POLLERS", rules.Pollers.Rule)
	case !matches(contract.Deployment.BuildIDPattern, c.BuildID):
		err = invalidSetting("TEMPORAL_WORKER_BUILD_ID", contract.Deployment.BuildIDRule)
	case c.Encryption:
		c.Codec, err = NewCodec(environ["PAYLOAD_KEYS"], environ["PAYLOAD_KEY_ID"])
	}
	return c, err
}

// invalidSetting leaves the value out: it may be a key.
func invalidSetting(name, rule string) error {
	return fmt.Errorf("invalid setting %s: expected %s", name, rule)
}

func check(ok bool, rule string) error {
	if ok {
		return nil
	}
	return errors.New(rule)
}

func matches(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
