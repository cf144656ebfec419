// Package contracts gives Go code contract.json, the agreement between the pipeline's
// languages, compiled into the program so that a binary carries the contract it was built with.
package contracts

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:embed contract.json
var contractJSON []byte

// Contract is contract.json, decoded when the program starts. The file is embedded, so only a
// change that breaks its JSON can make this panic, and then in the first test of any reader.
var Contract = decode()

// Spec is the part of contract.json that Go code reads, in the file's own shape.
type Spec struct {
	Steps   []Step `json:"steps"`
	Payload struct {
		Pattern   string `json:"pattern"`
		MaxDigits int    `json:"maxDigits"`
	} `json:"payload"`
	InvalidNumberErrorType   string  `json:"invalidNumberErrorType"`
	DefaultWaitSeconds       float64 `json:"defaultWaitSeconds"`
	HeartbeatIntervalSeconds float64 `json:"heartbeatIntervalSeconds"`
	Settings                 struct {
		ExitCode      int    `json:"exitCode"`
		Message       string `json:"message"`
		SecretMessage string `json:"secretMessage"`
		Seconds       Rule   `json:"seconds"`
		Replica       Rule   `json:"replica"`
		Port          Rule   `json:"port"`
		LogFormat     struct {
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

// Step is one activity of the workflow: its wire name, queue, exponent and worker language.
type Step struct {
	Activity     string `json:"activity"`
	TaskQueue    string `json:"taskQueue"`
	Exponent     int64  `json:"exponent"`
	Language     string `json:"language"`
	WaitVariable string `json:"waitVariable"`
}

// Rule is how a setting is named, defaulted and checked, and how its error message words it.
type Rule struct {
	Variable string `json:"variable"`
	Default  string `json:"default"`
	Pattern  string `json:"pattern"`
	Rule     string `json:"rule"`
}

// StepOf returns the step that runs activity. A worker asks for its own step by a wire name
// fixed at build time, so a missing one is a broken contract and panics.
func StepOf(activity string) Step {
	for _, s := range Contract.Steps {
		if s.Activity == activity {
			return s
		}
	}
	panic(fmt.Sprintf("contract.json has no step %q", activity))
}

func decode() Spec {
	var s Spec
	if err := json.Unmarshal(contractJSON, &s); err != nil {
		panic(fmt.Sprintf("contract.json: %v", err))
	}
	return s
}
