// Package contracts gives Go code contract.json, compiled in so that a binary carries the contract it was built with.
package contracts

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:embed contract.json
var contractJSON []byte

// Contract is contract.json, decoded at start: the file is embedded, so one that does not decode panics in the first test.
var Contract = decode()

// Spec is the part of contract.json that Go code reads, in the file's shape.
type Spec struct {
	// No tags: encoding/json matches a key to a field name whatever the case (keyIdRule to KeyIDRule).
	Steps   []Step
	Payload struct {
		Pattern   string
		MaxDigits int
	}
	InvalidNumberErrorType   string
	HeartbeatIntervalSeconds float64
	Settings                 struct {
		ExitCode                          int
		Seconds, Replica, Port, LogFormat struct{ Pattern, Rule string }
		Pollers                           struct {
			Values []string
			Rule   string
		}
	}
	Encryption struct {
		Encoding, KeyIDMetadata, KeyIDPattern string
		KeysRule, KeyIDRule, SwitchRule       string
		KeyBytes                              int
	}
	Deployment struct {
		BuildIDPattern, BuildIDRule string
		Versioning                  struct {
			Values []string
			Rule   string
		}
	}
}

// Step is one activity of the workflow: its wire name, queue, exponent and worker language.
type Step struct {
	Activity, TaskQueue, Language string
	Exponent                      int64
}

// StepOf returns the step that runs activity; a worker asks for its own, so a missing one panics.
func StepOf(activity string) Step {
	for _, s := range Contract.Steps {
		if s.Activity == activity {
			return s
		}
	}
	panic(fmt.Sprintf("contract.json has no step %q", activity))
}

func decode() (s Spec) {
	if err := json.Unmarshal(contractJSON, &s); err != nil {
		panic(fmt.Sprintf("contract.json: %v", err))
	}
	return s
}
