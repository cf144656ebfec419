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

// Settings rules and the probe (contract.json "settings" and "probe").
const (
	// SettingsExitCode is the exit code of a process stopped by a malformed setting.
	SettingsExitCode = 2
	// SettingsMessage is the shape of that process's one-line message.
	SettingsMessage = "invalid setting {name}={value}: expected {rule}"
	// SecondsPattern is the pattern a number of seconds must match.
	SecondsPattern = `^[0-9]+(\.[0-9]+)?$`
	// SecondsRule describes SecondsPattern in the message.
	SecondsRule = "a non-negative decimal number of seconds, such as 0, 1 or 2.5"
	// ReplicaVariable names the environment variable holding the replica name.
	ReplicaVariable = "WORKER_REPLICA"
	// DefaultReplica applies when the replica variable is unset or empty.
	DefaultReplica = "1"
	// ReplicaPattern is the pattern a replica name must match.
	ReplicaPattern = `^[A-Za-z0-9][A-Za-z0-9._-]*$`
	// ReplicaRule describes ReplicaPattern in the message.
	ReplicaRule = "a replica name of letters, digits, '.', '_' or '-', such as 1 or 2"
	// PortRule describes a valid port in the message.
	PortRule = "a TCP port from 1 to 65535"
	// LogFormatVariable names the environment variable choosing the log format.
	LogFormatVariable = "LOG_FORMAT"
	// DefaultLogFormat applies when the log format variable is unset or empty.
	DefaultLogFormat = "text"
	// LogFormatRule describes the valid log formats in the message.
	LogFormatRule = "json or text"
	// ShutdownGraceVariable names the environment variable holding the shutdown grace, in seconds.
	ShutdownGraceVariable = "WORKER_SHUTDOWN_GRACE_SECONDS"
	// DefaultShutdownGraceSeconds applies when the grace variable is unset or empty.
	DefaultShutdownGraceSeconds = 10
	// HealthPortVariable names the environment variable holding the probe's port.
	HealthPortVariable = "HEALTH_PORT"
	// HealthHostVariable names the environment variable holding the probe's bind address.
	HealthHostVariable = "HEALTH_HOST"
	// DefaultHealthHost applies when the host variable is unset or empty.
	DefaultHealthHost = "127.0.0.1"
	// LivenessPath answers 200 while the process runs.
	LivenessPath = "/healthz"
	// ReadinessPath answers 200 only while the worker polls.
	ReadinessPath = "/readyz"
)

// LogFormats are the values LOG_FORMAT accepts.
var LogFormats = []string{"text", "json"}

// Payload encryption (contract.json "encryption").
const (
	// EncryptedEncoding is the encoding metadata of an encrypted payload.
	EncryptedEncoding = "binary/encrypted"
	// KeyIDMetadata names the metadata entry holding the id of the key a payload is encrypted with.
	KeyIDMetadata = "encryption-key-id"
	// NonceBytes is the length of the random nonce in front of the ciphertext.
	NonceBytes = 12
	// KeyBytes is the length of an AES-256 key.
	KeyBytes = 32
	// KeysVariable names the environment variable holding the id:key pairs.
	KeysVariable = "PAYLOAD_KEYS"
	// KeyIDVariable names the environment variable choosing the key new payloads are encrypted with.
	KeyIDVariable = "PAYLOAD_KEY_ID"
	// EncryptionVariable names the environment variable that turns encryption on or off.
	EncryptionVariable = "PAYLOAD_ENCRYPTION"
	// KeyIDPattern is the pattern a key id must match.
	KeyIDPattern = `^[A-Za-z0-9._-]{1,64}$`
	// KeysRule describes a valid PAYLOAD_KEYS in the message.
	KeysRule = "comma-separated id:key pairs, each key 32 bytes in standard base64"
	// KeyIDRule describes a valid PAYLOAD_KEY_ID in the message.
	KeyIDRule = "the id of one of the keys in PAYLOAD_KEYS"
	// EncryptionRule describes a valid PAYLOAD_ENCRYPTION in the message.
	EncryptionRule = "on or off"
	// SecretSettingsMessage replaces SettingsMessage for a setting whose value is a secret.
	SecretSettingsMessage = "invalid setting {name} (value not shown): expected {rule}"
)

// Worker Versioning (contract.json "deployment").
const (
	// DeploymentNameVariable names the environment variable holding the Worker Deployment's name.
	DeploymentNameVariable = "WORKER_DEPLOYMENT_NAME"
	// DefaultDeploymentName applies when the deployment name variable is unset or empty.
	DefaultDeploymentName = "calculation"
	// BuildIDVariable names the environment variable holding this worker's build id.
	BuildIDVariable = "WORKER_BUILD_ID"
	// DefaultBuildID applies when the build id variable is unset or empty.
	DefaultBuildID = "dev"
	// BuildIDPattern is the pattern a build id must match.
	BuildIDPattern = `^[A-Za-z0-9._-]{1,64}$`
	// BuildIDRule describes BuildIDPattern in the message.
	BuildIDRule = "a build id of letters, digits, '.', '_' or '-'"
)
