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
WAIT_PATTERN: Final = r"^[0-9]+(\.[0-9]+)?$"
DEFAULT_WAIT_SECONDS: Final = 1.0
HEARTBEAT_INTERVAL_SECONDS: Final = 1.0

REPLICA_VARIABLE: Final = "WORKER_REPLICA"
DEFAULT_REPLICA: Final = "1"
SHUTDOWN_GRACE_VARIABLE: Final = "WORKER_SHUTDOWN_GRACE_SECONDS"
DEFAULT_SHUTDOWN_GRACE_SECONDS: Final = 10.0

# Used only when the SDK's environment configuration names no server.
DEFAULT_TEMPORAL_ADDRESS: Final = "localhost:7233"
DEFAULT_TEMPORAL_NAMESPACE: Final = "default"
