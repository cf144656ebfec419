"""Payload encryption in contract.json's format, which every language shares: nonce, then the
AES-256-GCM ciphertext and tag of the whole serialized Payload, so its metadata is hidden too."""

import os
from collections.abc import Mapping, Sequence

from calc_contracts import CONTRACT
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING: bytes = CONTRACT["encryption"]["encoding"].encode()
KEY_ID: str = CONTRACT["encryption"]["keyIdMetadata"]
NONCE_BYTES: int = CONTRACT["encryption"]["nonceBytes"]


class EncryptionCodec(PayloadCodec):
    """Encrypts with the key named key_id; decrypts with whichever key a payload names."""

    def __init__(self, keys: Mapping[str, bytes], key_id: str) -> None:
        self.ciphers = {kid: AESGCM(key) for kid, key in keys.items()}
        self.key_id = key_id

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        # 12 random bytes per payload make a repeated nonce under one key vanishingly unlikely.
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.ciphers[self.key_id].encrypt(nonce, payload.SerializeToString(), None)
        metadata = {"encoding": ENCODING, KEY_ID: self.key_id.encode()}
        return Payload(metadata=metadata, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # from a process with encryption off
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        if key_id not in self.ciphers:
            raise ValueError(f"payload encrypted with unknown key id {key_id!r}")
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            return Payload.FromString(self.ciphers[key_id].decrypt(nonce, sealed, None))
        except (InvalidTag, ValueError):  # ValueError: too short to hold a nonce
            raise ValueError(f"payload with key id {key_id!r} cannot be decrypted") from None
