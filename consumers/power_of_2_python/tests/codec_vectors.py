"""The shared codec vectors: contracts/codec-vectors/<language>.json, one file per language.

`python -m tests.codec_vectors` rewrites python.json with this worker's codec (fresh nonces).
"""

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

from google.protobuf.json_format import MessageToDict, ParseDict
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter

from power_of_2.codec import EncryptionCodec
from tests.contract_files import CONTRACTS_DIR

VECTORS_DIR = CONTRACTS_DIR / "codec-vectors"
PRODUCER = "python"
# The keys every language's file uses, as plan and contract fix them.
TEST_KEYS = (
    "test-1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,"
    "test-2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
)
# (name, value, key id): what the SDK's converter makes of value is the plain payload.
CASES: list[tuple[str, Any, str]] = [
    ('string payload "-12"', "-12", "test-1"),
    ("300-digit number string", "1234567890" * 30, "test-1"),
    ("empty binary/null payload", None, "test-1"),
    ('string payload "-12" encrypted with test-2', "-12", "test-2"),
]


def keys_of(spec: str) -> dict[str, bytes]:
    """A PAYLOAD_KEYS value as {id: key}."""
    pairs = (pair.partition(":") for pair in spec.split(","))
    return {kid: base64.b64decode(key) for kid, _, key in pairs}


def to_json(payload: Payload) -> dict[str, Any]:
    """Temporal's JSON form of a Payload: metadata values and data in base64."""
    return MessageToDict(payload)


def from_json(value: dict[str, Any]) -> Payload:
    return ParseDict(value, Payload())


def plain_payload(value: Any) -> Payload:
    [payload] = DataConverter.default.payload_converter.to_payloads([value])
    return payload


def vector_files() -> list[Path]:
    return sorted(VECTORS_DIR.glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as file:
        loaded: dict[str, Any] = json.load(file)
        return loaded


async def make_vectors() -> dict[str, Any]:
    keys = keys_of(TEST_KEYS)
    cases = []
    for name, value, key_id in CASES:
        plain = plain_payload(value)
        [encrypted] = await EncryptionCodec(keys, key_id).encode([plain])
        cases.append({"name": name, "plain": to_json(plain), "encrypted": to_json(encrypted)})
    return {"producer": PRODUCER, "keys": TEST_KEYS, "cases": cases}


if __name__ == "__main__":
    vectors = asyncio.run(make_vectors())
    path = VECTORS_DIR / f"{PRODUCER}.json"
    path.write_text(json.dumps(vectors, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path.resolve()}")
