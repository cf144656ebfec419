"""The variables the worker reads itself, with contract.json's defaults and rules, checked by
pydantic-settings before anything connects."""

import base64
import re
from typing import Annotated, Literal

from calc_contracts import CONTRACT
from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

RULES, KEYS, VERSION = CONTRACT["settings"], CONTRACT["encryption"], CONTRACT["deployment"]
REPLICA, SECONDS = RULES["replica"], RULES["seconds"]
KEY = KEYS["keyIdPattern"].strip("^$") + ":[A-Za-z0-9+/]{43}="  # 32 bytes in standard base64
# Text, so that only plain decimals pass (no 1e3, inf or " 1"); 12 characters never overflow.
Seconds = Annotated[
    str, Field(pattern=SECONDS["pattern"], max_length=12, description=SECONDS["rule"])
]
Port = Annotated[int | None, Field(ge=1, le=65535, description=RULES["port"]["rule"])]


class Settings(BaseSettings):
    """Each field comes from the environment variable of its name; unset or empty means the
    default, and a port left unset turns its server off."""

    model_config = SettingsConfigDict(env_ignore_empty=True, frozen=True)

    activity_1_wait_timeout: Seconds = str(CONTRACT["defaultWaitSeconds"])
    worker_replica: str = Field(
        REPLICA["default"], pattern=REPLICA["pattern"], description=REPLICA["rule"]
    )
    worker_shutdown_grace_seconds: Seconds = str(RULES["shutdownGrace"]["default"])
    log_format: Literal["text", "json"] = Field("text", description=RULES["logFormat"]["rule"])
    metrics_port: Port = None
    metrics_host: str = "127.0.0.1"
    health_port: Port = None
    health_host: str = CONTRACT["probe"]["defaultHost"]
    worker_deployment_name: str = VERSION["defaultName"]
    worker_build_id: str = Field(
        VERSION["defaultBuildId"],
        pattern=VERSION["buildIdPattern"],
        description=VERSION["buildIdRule"],
    )
    # In this order: each validator below reads the fields above it.
    payload_encryption: Literal["on", "off"] = Field("on", description=KEYS["switchRule"])
    payload_keys: Annotated[dict[str, bytes] | None, NoDecode] = Field(
        None, validate_default=True, repr=False, description=KEYS["keysRule"]
    )
    payload_key_id: str | None = Field(None, validate_default=True, description=KEYS["keyIdRule"])

    @field_validator("payload_keys", mode="before")
    @classmethod
    def _keys(cls, raw: str | None, info: ValidationInfo) -> dict[str, bytes] | None:
        if raw is None and info.data.get("payload_encryption") == "off":
            return None
        raw = raw or ""  # missing, with encryption on: refused like a malformed value
        keys = {kid: key for kid, _, key in (pair.partition(":") for pair in raw.split(","))}
        if not re.fullmatch(f"{KEY}(,{KEY})*", raw) or len(keys) <= raw.count(","):
            raise ValueError("malformed, or an id given twice")
        return {kid: base64.b64decode(key) for kid, key in keys.items()}

    @field_validator("payload_key_id", mode="before")
    @classmethod
    def _key_id(cls, raw: str | None, info: ValidationInfo) -> str | None:
        keys = info.data.get("payload_keys") or {}
        if raw is not None and raw not in keys:
            raise ValueError("no such key")
        return raw or next(iter(keys), None)  # the first key encrypts unless one is named


def describe(err: ValidationError) -> str:
    """The first bad setting and its rule on one line; no value is shown, so no key can leak."""
    field = str(err.errors()[0]["loc"][0])
    return f"invalid setting {field.upper()}: expected {Settings.model_fields[field].description}"
