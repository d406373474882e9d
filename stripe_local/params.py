"""Stripe's form encoding, decoded, and checked the way Stripe checks it.

The SDK sends `application/x-www-form-urlencoded` bodies (and query strings for GET) with nested
keys: `metadata[order]=7`, `line_items[0][price_data][currency]=usd`, `expand[0]=x` or `expand[]=x`.
`decode` turns them back into dicts and lists; `Params` reads one level of them, refusing what
Stripe refuses (a missing required value, a non-integer, an unknown parameter) with Stripe's
error codes.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from stripe_local.errors import ApiError, invalid, missing, unknown

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")
_INTEGER = re.compile(r"^-?\d+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Tree = dict[str, Any]


def decode(encoded: str) -> Tree:
    """`a[b][0][c]=1&a[d][]=x` → `{"a": {"b": [{"c": "1"}], "d": ["x"]}}`."""
    root: Tree = {}
    try:
        pairs = parse_qsl(encoded, keep_blank_values=True, max_num_fields=10_000)
    except ValueError:
        raise invalid("Too many parameters.") from None
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            raise invalid(f"Invalid parameter name: {key}", param=key)
        path = [match.group(1), *_PART.findall(match.group(2))]
        node = root
        for depth, part in enumerate(path):
            name = part if part != "" else str(len(node))
            if depth == len(path) - 1:
                if isinstance(node.get(name), dict):
                    raise invalid(f"Invalid value for {key}: expected a hash", param=key)
                node[name] = value
            else:
                child = node.setdefault(name, {})
                if not isinstance(child, dict):
                    raise invalid(f"Invalid value for {key}: mixes a value and a hash", param=key)
                node = child
    decoded = _listify(root)
    if not isinstance(decoded, dict):
        raise invalid("Parameter names must not be bare numbers.")
    return decoded


def _listify(node: Tree) -> Any:
    """Hashes whose keys are all integers are arrays (Stripe's `a[0]`, `a[1]` encoding)."""
    converted = {key: _listify(value) if isinstance(value, dict) else value for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


class Params:
    """One hash of decoded parameters. Read each expected key once; `finish()` refuses the rest."""

    def __init__(self, data: Tree, prefix: str = "") -> None:
        self._data = data
        self._prefix = prefix
        self._read: set[str] = {"expand"} if not prefix else set()

    def name(self, key: str) -> str:
        return f"{self._prefix}[{key}]" if self._prefix else key

    def has(self, key: str) -> bool:
        return key in self._data

    def raw(self) -> Tree:
        return self._data

    def _take(self, key: str, required: bool) -> Any:
        self._read.add(key)
        value = self._data.get(key)
        if value is None or value == "":
            if required:
                raise missing(self.name(key))
            return None
        return value

    def string(
        self,
        key: str,
        *,
        required: bool = False,
        choices: tuple[str, ...] | None = None,
        max_length: int = 5000,
    ) -> str | None:
        value = self._take(key, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise invalid(f"Invalid string: {self.name(key)} must be a string", param=self.name(key))
        if len(value) > max_length:
            raise invalid(
                f"Invalid string: {value[:20]}...; must be at most {max_length} characters",
                param=self.name(key),
            )
        if choices is not None and value not in choices:
            raise invalid(
                f"Invalid {self.name(key)}: must be one of {', '.join(choices)}", param=self.name(key)
            )
        return value

    def integer(
        self,
        key: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self._take(key, required)
        if value is None:
            return None
        if not isinstance(value, str) or not _INTEGER.match(value):
            raise invalid(f"Invalid integer: {value}", param=self.name(key), code="parameter_invalid_integer")
        number = int(value)
        if minimum is not None and number < minimum:
            raise invalid(
                f"Invalid {self.name(key)}: must be greater than or equal to {minimum}",
                param=self.name(key),
            )
        if maximum is not None and number > maximum:
            raise invalid(
                f"Invalid {self.name(key)}: must be less than or equal to {maximum}", param=self.name(key)
            )
        return number

    def need_string(self, key: str, *, choices: tuple[str, ...] | None = None, max_length: int = 5000) -> str:
        value = self.string(key, required=True, choices=choices, max_length=max_length)
        if value is None:
            raise missing(self.name(key))
        return value

    def need_integer(self, key: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
        value = self.integer(key, required=True, minimum=minimum, maximum=maximum)
        if value is None:
            raise missing(self.name(key))
        return value

    def need_nested(self, key: str) -> Params:
        value = self.nested(key, required=True)
        if value is None:
            raise missing(self.name(key))
        return value

    def boolean(self, key: str) -> bool | None:
        value = self._take(key, False)
        if value is None:
            return None
        if value not in ("true", "false"):
            raise invalid(f"Invalid boolean: {value}", param=self.name(key))
        return bool(value == "true")

    def nested(self, key: str, *, required: bool = False) -> Params | None:
        value = self._take(key, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise invalid(f"Invalid object: {self.name(key)} must be a hash", param=self.name(key))
        return Params(value, self.name(key))

    def nested_list(self, key: str, *, required: bool = False) -> list[Params]:
        value = self._take(key, required)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise invalid(f"Invalid array: {self.name(key)} must be an array of hashes", param=self.name(key))
        return [Params(item, f"{self.name(key)}[{index}]") for index, item in enumerate(value)]

    def string_list(self, key: str) -> list[str] | None:
        value = self._take(key, False)
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise invalid(
                f"Invalid array: {self.name(key)} must be an array of strings", param=self.name(key)
            )
        return list(value)

    def metadata(self, key: str = "metadata") -> dict[str, str] | None:
        """Stripe's limits: 50 keys, keys up to 40 characters, values up to 500. An empty string
        for the whole hash gives `{}` (clear all); an empty value unsets that key (see
        `merge_metadata`)."""
        self._read.add(key)
        if key not in self._data:
            return None
        value = self._data[key]
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise invalid(f"Invalid object: {self.name(key)} must be a hash", param=self.name(key))
        if len(value) > 50:
            raise invalid("Metadata can have at most 50 keys.", param=self.name(key))
        result: dict[str, str] = {}
        for item_key, item_value in value.items():
            if not isinstance(item_value, str):
                raise invalid(
                    f"Invalid value for {self.name(key)}[{item_key}]: must be a string",
                    param=f"{self.name(key)}[{item_key}]",
                )
            if len(item_key) > 40:
                raise invalid(
                    f"Metadata keys must be at most 40 characters long: {item_key}",
                    param=f"{self.name(key)}[{item_key}]",
                )
            if len(item_value) > 500:
                raise invalid(
                    f"Metadata values must be at most 500 characters long: {item_key}",
                    param=f"{self.name(key)}[{item_key}]",
                )
            result[item_key] = item_value
        return result

    def expand(self) -> list[str]:
        value = self._data.get("expand")
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise invalid("Invalid array: expand must be an array of strings", param="expand")
        return list(value)

    def finish(self) -> None:
        for key in self._data:
            if key not in self._read:
                raise unknown(self.name(key))


def check_email(value: str, param: str) -> str:
    if not EMAIL.match(value):
        raise invalid(f"Invalid email address: {value}", param=param, code="email_invalid")
    return value


def exclusive(params: Params, *keys: str) -> None:
    given = [key for key in keys if params.has(key)]
    if len(given) > 1:
        raise ApiError(
            400,
            f"You may only specify one of these parameters: {', '.join(params.name(k) for k in keys)}.",
            param=params.name(given[1]),
            code="parameters_exclusive",
        )


def new_metadata(params: Params, key: str = "metadata") -> dict[str, str]:
    """Metadata of an object being created: empty values are simply absent."""
    return {name: value for name, value in (params.metadata(key) or {}).items() if value}


def merge_metadata(current: dict[str, str], update: dict[str, str]) -> dict[str, str]:
    """Stripe's update semantics: `{}` (from `metadata=""`) clears, an empty value unsets a key,
    other keys are set or replaced."""
    if not update:
        return {}
    merged = dict(current)
    for name, value in update.items():
        if value:
            merged[name] = value
        else:
            merged.pop(name, None)
    return merged
