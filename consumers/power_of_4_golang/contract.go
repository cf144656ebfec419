package main

// Names and numbers shared with the other workers. They mirror contracts/contract.json;
// contract_test.go fails when the two drift apart.
const (
	// ActivityName is the wire name the workflow schedules.
	ActivityName = "power_of_4"
	// TaskQueue is the queue this worker polls.
	TaskQueue = "power-of-4-service-queue"
	// Language is the language tag that appears in the worker identity.
	Language = "go"
	// Exponent is the power the activity raises its input to.
	Exponent = 4
	// WaitVariable names the environment variable holding the wait before computing, in seconds.
	WaitVariable = "ACTIVITY_2_WAIT_TIMEOUT"
	// PayloadPattern is the pattern a payload string must match.
	PayloadPattern = `^-?[0-9]+$`
	// MaxDigits is the largest number of digits accepted in a payload.
	MaxDigits = 100000
	// InvalidNumberErrorType is the application failure type of a rejected payload.
	InvalidNumberErrorType = "InvalidNumber"
	// DefaultWaitSeconds applies when the wait variable is unset or empty.
	DefaultWaitSeconds = 1
	// HeartbeatIntervalSeconds is how often the activity heartbeats while it waits.
	HeartbeatIntervalSeconds = 1
)

// Worker settings described in contracts/README.md but not in contract.json.
const (
	// WaitPattern is the pattern a wait value must match: a non-negative decimal number.
	WaitPattern = `^[0-9]+(\.[0-9]+)?$`
	// ReplicaVariable names the environment variable holding the replica number.
	ReplicaVariable = "WORKER_REPLICA"
	// DefaultReplica applies when the replica variable is unset or empty.
	DefaultReplica = "1"
	// ShutdownGraceVariable names the environment variable holding the shutdown grace, in seconds.
	ShutdownGraceVariable = "WORKER_SHUTDOWN_GRACE_SECONDS"
	// DefaultShutdownGraceSeconds applies when the grace variable is unset or empty.
	DefaultShutdownGraceSeconds = 10
)
