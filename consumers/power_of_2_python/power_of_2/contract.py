"""Names and numbers shared with the other languages.

Each value mirrors contracts/contract.json (or contracts/README.md where the JSON file does
not carry it); tests/test_contract.py fails when the two drift apart.
"""

from typing import Final

ACTIVITY_NAME: Final = "power_of_2"
TASK_QUEUE: Final = "power-of-2-service-queue"
LANGUAGE: Final = "python"
EXPONENT: Final = 2

PAYLOAD_PATTERN: Final = r"^-?[0-9]+$"
PAYLOAD_MAX_DIGITS: Final = 100_000
INVALID_NUMBER_ERROR_TYPE: Final = "InvalidNumber"

WAIT_VARIABLE: Final = "ACTIVITY_1_WAIT_TIMEOUT"
DEFAULT_WAIT_SECONDS: Final = 1.0
HEARTBEAT_INTERVAL_SECONDS: Final = 1.0

# The settings section: every language refuses the same values with the same message.
SETTINGS_EXIT_CODE: Final = 2
SETTINGS_MESSAGE: Final = "invalid setting {name}={value}: expected {rule}"
SECONDS_PATTERN: Final = r"^[0-9]+(\.[0-9]+)?$"
SECONDS_RULE: Final = "a non-negative decimal number of seconds, such as 0, 1 or 2.5"
REPLICA_VARIABLE: Final = "WORKER_REPLICA"
DEFAULT_REPLICA: Final = "1"
REPLICA_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
REPLICA_RULE: Final = "a replica name of letters, digits, '.', '_' or '-', such as 1 or 2"
PORT_RULE: Final = "a TCP port from 1 to 65535"
LOG_FORMAT_VARIABLE: Final = "LOG_FORMAT"
DEFAULT_LOG_FORMAT: Final = "text"
LOG_FORMATS: Final = ("text", "json")
LOG_FORMAT_RULE: Final = "json or text"
SHUTDOWN_GRACE_VARIABLE: Final = "WORKER_SHUTDOWN_GRACE_SECONDS"
DEFAULT_SHUTDOWN_GRACE_SECONDS: Final = 10.0

# The probe section.
HEALTH_PORT_VARIABLE: Final = "HEALTH_PORT"
HEALTH_HOST_VARIABLE: Final = "HEALTH_HOST"
DEFAULT_HEALTH_HOST: Final = "127.0.0.1"
LIVENESS_PATH: Final = "/healthz"
READINESS_PATH: Final = "/readyz"

# The encryption section: one payload format and one set of key settings in every language.
ENCRYPTED_ENCODING: Final = "binary/encrypted"
KEY_ID_METADATA: Final = "encryption-key-id"
NONCE_BYTES: Final = 12
KEY_BYTES: Final = 32
KEYS_VARIABLE: Final = "PAYLOAD_KEYS"
KEY_ID_VARIABLE: Final = "PAYLOAD_KEY_ID"
ENCRYPTION_VARIABLE: Final = "PAYLOAD_ENCRYPTION"
KEY_ID_PATTERN: Final = r"^[A-Za-z0-9._-]{1,64}$"
KEYS_RULE: Final = "comma-separated id:key pairs, each key 32 bytes in standard base64"
KEY_ID_RULE: Final = "the id of one of the keys in PAYLOAD_KEYS"
ENCRYPTION_RULE: Final = "on or off"

# The deployment section: every worker is a version of one Worker Deployment.
DEPLOYMENT_NAME_VARIABLE: Final = "WORKER_DEPLOYMENT_NAME"
DEFAULT_DEPLOYMENT_NAME: Final = "calculation"
BUILD_ID_VARIABLE: Final = "WORKER_BUILD_ID"
DEFAULT_BUILD_ID: Final = "dev"
BUILD_ID_PATTERN: Final = r"^[A-Za-z0-9._-]{1,64}$"
BUILD_ID_RULE: Final = "a build id of letters, digits, '.', '_' or '-'"

# Used only when the SDK's environment configuration names no server.
DEFAULT_TEMPORAL_ADDRESS: Final = "localhost:7233"
DEFAULT_TEMPORAL_NAMESPACE: Final = "default"
