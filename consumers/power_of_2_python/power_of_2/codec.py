"""Payload encryption: contract.json's encryption format, shared with the Go and TypeScript code.

An encrypted payload's data is nonce || AES-256-GCM ciphertext || tag of the whole original
Payload in protobuf form, so its metadata (the encoding, above all) is hidden too.
"""

import os
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from .contract import ENCRYPTED_ENCODING, KEY_ID_METADATA, NONCE_BYTES

_ENCODING = ENCRYPTED_ENCODING.encode()


class PayloadDecryptionError(ValueError):
    """An encrypted payload that this process cannot turn back into the original."""


class EncryptionCodec(PayloadCodec):
    """Encrypts with the key named key_id; decrypts with any of keys, chosen by the payload."""

    def __init__(self, keys: Mapping[str, bytes], key_id: str) -> None:
        self._ciphers = {kid: AESGCM(key) for kid, key in keys.items()}
        self._key_id = key_id
        self._encrypt = self._ciphers[key_id].encrypt

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        # A nonce must never repeat under one key: 12 random bytes per payload make that
        # vanishingly unlikely for far more payloads than a key will ever see.
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._encrypt(nonce, payload.SerializeToString(), None)
        return Payload(
            metadata={"encoding": _ENCODING, KEY_ID_METADATA: self._key_id.encode()},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        # Anything not encrypted (say, from a process with encryption off) is left alone.
        if payload.metadata.get("encoding") != _ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadDecryptionError(f"payload encrypted with unknown key id {key_id!r}")
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, sealed, None)
        except (InvalidTag, ValueError):  # ValueError: data too short to hold a nonce
            raise PayloadDecryptionError(
                f"payload encrypted with key id {key_id!r} cannot be decrypted:"
                " wrong key, or damaged data"
            ) from None
        return Payload.FromString(plain)


def encrypting_converter(keys: Mapping[str, bytes], key_id: str) -> DataConverter:
    """The converter for client and worker when encryption is on."""
    # Failure messages and stack traces move into an encoded payload, so the codec hides them too.
    return DataConverter(
        payload_codec=EncryptionCodec(keys, key_id),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
