"""Building blocks of ZeroDash's configuration schema (zerodash/config.py, zerodash/access.py): one error type
for our own messages, annotations that declare a key's allowed values where the key is, and the frozen camelCase
base model."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, GetCoreSchemaHandler, ValidationInfo
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError, core_schema

# Values are quoted in messages up to this many characters, so a huge value gives a short message.
SHOWN_CHARS = 80
# A whole number as written: ASCII digits with an optional minus ("١٢", "²", "--1" and 5,000 digits are not).
WHOLE_NUMBER_PATTERN = re.compile(r"-?[0-9]{1,18}")
LONG_NUMBER_PATTERN = re.compile(r"-?[0-9]+")


def problem(message: str, *loc: str | int) -> PydanticCustomError:
    """A validation error with our own message; `loc` extends the error's location (e.g. ("memory",))."""
    return PydanticCustomError("zerodash", "{message}", {"message": message, "loc": tuple(loc)})


def show(value: Any) -> str:
    """`value` quoted for a message, at most SHOWN_CHARS characters of it (a 5,000-digit number included)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"a number of about {int(value.bit_length() * 0.30103)} digits"
    if isinstance(value, str) and len(value) > SHOWN_CHARS:
        return f"{value[:SHOWN_CHARS]!r}... ({len(value)} characters)"
    if isinstance(value, (list, tuple, dict)) and len(value) > 8:
        return f"a {type(value).__name__} of {len(value)} items"
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        text = f"a {type(value).__name__}"
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}..."


def whole_number(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > 60:
            raise problem(f"{show(value)} is far too large")
        return value
    text = value.strip(" ") if isinstance(value, str) else ""
    if WHOLE_NUMBER_PATTERN.fullmatch(text):
        return int(text)
    if LONG_NUMBER_PATTERN.fullmatch(text):
        raise problem(f"{show(value)} is far too large")
    raise problem(f"{show(value)} is not a whole number (digits 0-9, e.g. 2)")


def describe_allowed(allowed: range | tuple[int, ...]) -> str:
    if isinstance(allowed, range):
        return f"{allowed.start} to {allowed.stop - 1}"
    return ", ".join(str(value) for value in allowed)


def check_allowed(value: int, allowed: range | tuple[int, ...]) -> int:
    if value not in allowed:
        raise problem(f"{value} is not allowed; allowed: {describe_allowed(allowed)}")
    return value


@dataclasses.dataclass(frozen=True)
class Whole:
    """A whole number (an int, or a string of digits from the command line) in `allowed`."""

    allowed: range | tuple[int, ...]

    @classmethod
    def between(cls, low: int, high: int) -> Whole:
        return cls(range(low, high + 1))

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(
            whole_number,
            core_schema.no_info_after_validator_function(
                lambda value: check_allowed(value, self.allowed), handler(source)
            ),
        )


@dataclasses.dataclass(frozen=True)
class Matches:
    """A string matching `pattern`; otherwise "<value> <message>"."""

    pattern: re.Pattern[str]
    message: str
    max_chars: int | None = None

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        def check(value: Any) -> str:
            if (
                not isinstance(value, str)
                or not self.pattern.fullmatch(value)
                or (self.max_chars is not None and len(value) > self.max_chars)
            ):
                raise problem(f"{show(value)} {self.message}")
            return value

        return core_schema.no_info_before_validator_function(check, handler(source))


def flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise problem(f"{show(value)} is not allowed; allowed: true, false")


def text_of(what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise problem(f"{show(value)} must be {what}")
        return value

    return check


def list_of(what: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            raise problem(f"must be a list of {what}")
        return value

    return check


def object_of(what: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise problem(f"must be an object of {what}")
        return value

    return check


Flag = Annotated[bool, BeforeValidator(flag)]


class Model(BaseModel):
    """Frozen, camelCase in cdk.json (aliases), snake_case in Python; unknown keys are errors."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, validate_by_name=True, validate_by_alias=True
    )

    @classmethod
    def context_keys(cls) -> tuple[str, ...]:
        """The keys as written in cdk.json, in declaration order."""
        return tuple(field.alias or name for name, field in cls.model_fields.items())

    @classmethod
    def _check_keys(cls, data: Mapping[str, Any], info: ValidationInfo, *, allowed: Iterable[str]) -> None:
        """Refuse unknown keys first, with the list of allowed ones. Python code may also use attribute names."""
        allowed = tuple(allowed)
        known = set(allowed) if from_context(info) else {*allowed, *cls.model_fields}
        unknown = sorted(key for key in data if key not in known)
        if unknown:
            raise problem(f"unknown key; allowed keys are {', '.join(allowed)}", unknown[0])


def from_context(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("from_context"))
