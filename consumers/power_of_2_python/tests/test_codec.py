"""The payload codec: every language's shared vectors, nonces, pass-through and refusals."""

from pathlib import Path
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.converter import DataConverter
from temporalio.converter import DefaultFailureConverterWithEncodedAttributes as EncodedFailures
from temporalio.exceptions import ApplicationError

from power_of_2.codec import ENCODING, KEY_ID, NONCE_BYTES, EncryptionCodec
from tests.codec_vectors import (
    CASES,
    PRODUCER,
    TEST_KEYS,
    VECTORS_DIR,
    from_json,
    keys_of,
    load,
    plain_payload,
    vector_files,
)

KEYS = keys_of(TEST_KEYS)
TAG_BYTES = 16


def _all_cases() -> list[Any]:
    return [
        pytest.param(path, case, id=f"{path.stem}: {case['name']}")
        for path in vector_files()
        for case in load(path)["cases"]
    ]


def _encrypted(value: Any = "-12", key_id: str = "test-1") -> Payload:
    return EncryptionCodec(KEYS, key_id).encrypt(plain_payload(value))


@pytest.mark.parametrize(("path", "case"), _all_cases())
async def test_every_languages_vector_decrypts(path: Path, case: dict[str, Any]) -> None:
    file = load(path)
    keys = keys_of(file["keys"])
    encrypted = from_json(case["encrypted"])
    plain = from_json(case["plain"])
    key_id = encrypted.metadata[KEY_ID].decode()
    assert dict(encrypted.metadata) == {
        "encoding": ENCODING,
        KEY_ID: key_id.encode(),
    }
    plain_size = len(plain.SerializeToString())
    assert len(encrypted.data) == NONCE_BYTES + plain_size + TAG_BYTES
    # The payload's own metadata picks the key, whichever key the codec writes with.
    assert await EncryptionCodec(keys, "test-1").decode([encrypted]) == [plain]


@pytest.mark.parametrize("path", vector_files(), ids=lambda p: p.stem)
def test_vector_file_follows_the_schema(path: Path) -> None:
    file = load(path)
    assert file["producer"] == path.stem
    assert file["keys"] == TEST_KEYS
    key_ids = {from_json(c["encrypted"]).metadata[KEY_ID] for c in file["cases"]}
    assert key_ids == {b"test-1", b"test-2"}


def test_python_vectors_are_this_workers_payloads() -> None:
    file = load(VECTORS_DIR / f"{PRODUCER}.json")
    assert [c["name"] for c in file["cases"]] == [name for name, _, _ in CASES]
    for case, (_, value, key_id) in zip(file["cases"], CASES, strict=True):
        assert from_json(case["plain"]) == plain_payload(value)
        assert from_json(case["encrypted"]).metadata[KEY_ID] == key_id.encode()
    null = from_json(file["cases"][2]["plain"])
    assert (null.metadata["encoding"], null.data) == (b"binary/null", b"")


async def test_encode_decrypts_back_with_a_fresh_nonce_each_time() -> None:
    codec = EncryptionCodec(KEYS, "test-1")
    plain = plain_payload("1" * 300)
    first, second = await codec.encode([plain, plain])
    assert first.data[:NONCE_BYTES] != second.data[:NONCE_BYTES]
    assert first.data[NONCE_BYTES:] != second.data[NONCE_BYTES:]
    assert b"111" not in first.data
    assert await codec.decode([first, second]) == [plain, plain]


async def test_encode_writes_with_the_chosen_key_and_any_key_reads() -> None:
    payload = _encrypted(key_id="test-2")
    assert payload.metadata[KEY_ID] == b"test-2"
    only_test_2 = EncryptionCodec({"test-2": KEYS["test-2"]}, "test-2")
    assert await only_test_2.decode([payload]) == [plain_payload("-12")]


async def test_plain_payload_passes_through_decode() -> None:
    plain = plain_payload("-12")
    assert await EncryptionCodec(KEYS, "test-1").decode([plain]) == [plain]


async def test_unknown_key_id_fails_naming_it() -> None:
    codec = EncryptionCodec({"test-1": KEYS["test-1"]}, "test-1")
    with pytest.raises(ValueError, match="unknown key id 'test-2'"):
        await codec.decode([_encrypted(key_id="test-2")])


@pytest.mark.parametrize(
    "position", [0, NONCE_BYTES, -TAG_BYTES - 1, -1], ids=["nonce", "ciphertext", "last", "tag"]
)
async def test_a_flipped_byte_fails(position: int) -> None:
    payload = _encrypted()
    data = bytearray(payload.data)
    data[position] ^= 0x01
    payload.data = bytes(data)
    with pytest.raises(ValueError, match="'test-1' cannot be decrypted"):
        await EncryptionCodec(KEYS, "test-1").decode([payload])


async def test_data_too_short_fails() -> None:
    payload = _encrypted()
    payload.data = payload.data[:5]
    with pytest.raises(ValueError, match="cannot be decrypted"):
        await EncryptionCodec(KEYS, "test-1").decode([payload])


async def test_a_different_key_under_the_same_id_fails() -> None:
    other = keys_of("test-1:" + TEST_KEYS.split(",test-2:")[1])
    with pytest.raises(ValueError, match="cannot be decrypted"):
        await EncryptionCodec(other, "test-1").decode([_encrypted()])


async def test_failure_message_travels_encrypted_and_comes_back() -> None:
    # As the worker builds it: the SDK's default converter with the codec and encoded failures.
    codec = EncryptionCodec(KEYS, "test-2")
    converter = DataConverter(payload_codec=codec, failure_converter_class=EncodedFailures)
    failure = Failure()
    message = "power_of_2: invalid number 5: expected a string of base-10 digits"
    try:
        raise ApplicationError(message, type="InvalidNumber", non_retryable=True)
    except ApplicationError as raised:  # raised, so that it has a stack trace to hide
        error = raised
    await converter.encode_failure(error, failure)
    # What the server stores: neither the message nor the stack trace in the clear.
    assert message not in str(failure)
    assert failure.message == "Encoded failure"
    assert failure.stack_trace == ""
    assert failure.encoded_attributes.metadata["encoding"] == ENCODING
    decoded = await converter.decode_failure(failure)
    assert isinstance(decoded, ApplicationError)
    assert (decoded.message, decoded.type, decoded.non_retryable) == (
        message,
        "InvalidNumber",
        True,
    )
