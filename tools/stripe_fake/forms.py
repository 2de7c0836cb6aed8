"""Stripe's form encoding, both ways in: ``items[0][price]=...&metadata[brand]=...&expand[0]=...``.

The SDK sends bracketed keys with indexed lists (``expand[0]``); other clients send ``expand[]``.
Both decode to nested dicts and lists. An empty value is kept as ``""``: Stripe reads it as "unset"
(``metadata[key]=`` deletes the key, ``metadata=`` clears them all).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from stripe_fake.errors import StripeError

_KEY_PART = re.compile(r"\[([^\[\]]*)\]")


def _split_key(key: str) -> list[str]:
    head, bracket, rest = key.partition("[")
    if not bracket:
        return [key]
    tail = "[" + rest
    parts = _KEY_PART.findall(tail)
    if "".join(f"[{part}]" for part in parts) != tail:
        raise StripeError(f"Invalid parameter name: {key}", param=key)
    return [head, *parts]


def decode(query: str) -> dict[str, Any]:
    """Decode a form or query string into nested dicts; dicts keyed 0..n become lists."""
    root: dict[str, Any] = {}
    counters: dict[str, int] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        parts = _split_key(key)
        # ``expand[]`` style: number the empty brackets per prefix, in order of appearance.
        for index, part in enumerate(parts):
            if part == "" and index > 0:
                prefix = "\x00".join(parts[:index])
                parts[index] = str(counters.get(prefix, 0))
                counters[prefix] = counters.get(prefix, 0) + 1
        node = root
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[parts[-1]] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted
