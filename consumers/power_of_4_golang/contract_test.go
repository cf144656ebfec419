package main

import "testing"

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
}

func check[T comparable](t *testing.T, field string, contract, ours T) {
	t.Helper()
	if contract != ours {
		t.Errorf("%s: contract.json says %v, the Go constant is %v", field, contract, ours)
	}
}
