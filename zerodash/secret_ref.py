"""Where a secret comes from, as the configuration names it (an app's `secrets`, an OIDC login's client secret)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from zerodash.schema import problem, show

# Secrets Manager secret names (1-512 of letters, digits and /_+=.@-) with an optional JSON key, and SSM
# parameter names (letters, digits and _.-, "/" for a hierarchy that then starts with "/", at most 1011).
SECRET_ARN_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$", re.ASCII
)
SECRETS_MANAGER_NAME_PATTERN = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
SECRET_JSON_KEY_PATTERN = re.compile(r"^[^:\s]{1,256}$")
SSM_PARAMETER_PATTERN = re.compile(r"^(?:/[A-Za-z0-9_.-]+)+$|^[A-Za-z0-9_.-]+$")
MAX_SSM_PARAMETER_NAME = 1011


class SecretRef(BaseModel):
    """Where an ECS secret comes from: "secretsmanager:<name or complete ARN>[:<json-key>]" or "ssm:<name>"."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["secretsmanager", "ssm"]
    name: str
    json_key: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if not isinstance(data, str):
            return data
        kind, _, rest = data.partition(":")
        if kind == "secretsmanager" and rest.startswith("arn:"):
            # A complete ARN (with the 6 characters Secrets Manager appends to the name), which ECS needs for a
            # name that itself ends in "-" and 6 characters; it holds 6 colons, then the optional JSON key.
            parts = rest.split(":")
            name, json_key = ":".join(parts[:7]), ":".join(parts[7:])
            if not SECRET_ARN_PATTERN.fullmatch(name) or len(parts) > 8:
                raise problem(
                    f"{show(data)}: a secret's ARN is arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 "
                    'characters>, optionally followed by ":<json-key>"'
                )
            if json_key and not SECRET_JSON_KEY_PATTERN.fullmatch(json_key):
                raise problem(f"{show(data)}: the JSON key must be 1-256 characters without ':' or spaces")
            return {"kind": kind, "name": name, "json_key": json_key or None}
        if kind == "secretsmanager":
            name, _, json_key = rest.partition(":")
            if not SECRETS_MANAGER_NAME_PATTERN.fullmatch(name):
                raise problem(
                    f"{show(data)}: the secret's name must be 1-512 of letters, digits and /_+=.@- "
                    '("secretsmanager:<name>" or "secretsmanager:<name>:<json-key>")'
                )
            if rest.endswith(":") or (json_key and not SECRET_JSON_KEY_PATTERN.fullmatch(json_key)):
                raise problem(f"{show(data)}: the JSON key must be 1-256 characters without ':' or spaces")
            return {"kind": kind, "name": name, "json_key": json_key or None}
        if kind == "ssm":
            if (
                not SSM_PARAMETER_PATTERN.fullmatch(rest)
                or len(rest) > MAX_SSM_PARAMETER_NAME
                or rest.lstrip("/").lower().startswith(("aws", "ssm"))
            ):
                raise problem(
                    f"{show(data)}: the parameter name must be letters, digits and _.- with / for a hierarchy (then "
                    f'starting with /, e.g. "ssm:/sales/db-password"), at most {MAX_SSM_PARAMETER_NAME} characters, '
                    "not starting with aws or ssm"
                )
            return {"kind": kind, "name": rest}
        raise problem(
            f'{show(data)} must be "secretsmanager:<name>", "secretsmanager:<name>:<json-key>" or '
            '"ssm:<parameter name>" (the value is read by ECS when the task starts, never stored in the template)'
        )

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}" + (f":{self.json_key}" if self.json_key else "")
