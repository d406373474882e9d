"""PHP-style form parameters, as Moodle and Canvas read them: `users[0][email]=a@b` becomes
`{"users": [{"email": "a@b"}]}`, `state[]=active&state[]=completed` a list."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def decode(*texts: str) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for text in texts:
        for key, value in parse_qsl(text, keep_blank_values=True):
            match = _KEY.match(key)
            if match is None:
                continue
            parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
            _put(root, parts, value)
    decoded = _listify(root)
    return decoded if isinstance(decoded, dict) else {"": decoded}


def _put(node: dict[str, Any], parts: list[str], value: str) -> None:
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if part == "":  # name[] appends
            part = str(len(node))
        if last:
            node[part] = value
            return
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {key: _listify(value) for key, value in node.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items
