"""Every variable the worker reads itself, checked by pydantic-settings on contract.json's rules."""

import base64
import re
from typing import Annotated, Literal

from calc_contracts import CONTRACT
from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

RULES, KEYS, DEPLOY = CONTRACT["settings"], CONTRACT["encryption"], CONTRACT["deployment"]
KEY = KEYS["keyIdPattern"].strip("^$") + ":[A-Za-z0-9+/]{43}="  # 32 bytes in standard base64
# Text, so that only plain decimals pass (no 1e3, inf or " 1"); 12 characters never overflow.
Seconds = Annotated[str, Field(pattern=RULES["seconds"]["pattern"], max_length=12)]
Port = Annotated[int | None, Field(ge=1, le=65535)]


class Settings(BaseSettings):
    """Each field comes from the environment variable of its name; unset or empty means the
    default, and a port left unset turns its server off."""

    model_config = SettingsConfigDict(env_ignore_empty=True, frozen=True, validate_default=True)

    activity_1_wait_timeout: Seconds = str(CONTRACT["defaultWaitSeconds"])
    worker_replica: str = Field(RULES["replica"]["default"], pattern=RULES["replica"]["pattern"])
    worker_shutdown_grace_seconds: Seconds = str(RULES["shutdownGrace"]["default"])
    log_format: Literal["text", "json"] = "text"
    metrics_port: Port = None
    metrics_host: str = "127.0.0.1"
    health_port: Port = None
    health_host: str = CONTRACT["probe"]["defaultHost"]
    temporal_worker_versioning: Literal["on", "off"] = DEPLOY["versioning"]["default"]
    temporal_worker_pollers: Literal["fixed", "autoscaling"] = RULES["pollers"]["default"]
    temporal_deployment_name: str = DEPLOY["defaultName"]
    temporal_worker_build_id: str = Field(
        DEPLOY["defaultBuildId"], pattern=DEPLOY["buildIdPattern"]
    )
    # In this order: each validator below reads the fields above it.
    payload_encryption: Literal["on", "off"] = "on"
    payload_keys: Annotated[dict[str, bytes] | None, NoDecode] = Field(None, repr=False)
    payload_key_id: str | None = None

    @field_validator("payload_keys", mode="before")
    @classmethod
    def _keys(cls, raw: str | None, info: ValidationInfo) -> dict[str, bytes] | None:
        if raw is None and info.data.get("payload_encryption") == "off":
            return None
        raw = raw or ""  # missing, with encryption on: refused like a malformed value
        keys = {kid: key for kid, _, key in (pair.partition(":") for pair in raw.split(","))}
        if not re.fullmatch(f"{KEY}(,{KEY})*", raw) or len(keys) <= raw.count(","):
            raise ValueError(f"{KEYS['keysRule']}, each id once")
        return {kid: base64.b64decode(key) for kid, key in keys.items()}

    @field_validator("payload_key_id", mode="before")
    @classmethod
    def _key_id(cls, raw: str | None, info: ValidationInfo) -> str | None:
        keys = info.data.get("payload_keys") or {}
        if raw is not None and raw not in keys:
            raise ValueError(KEYS["keyIdRule"])
        return raw or next(iter(keys), None)  # the first key encrypts unless one is named
