"""Helpers for the contact form tests: a fresh IP and email per call, so the hourly buckets of
one test never throttle another."""

from __future__ import annotations

import itertools
import os
from typing import Any

_numbers = itertools.count(1)


def fresh_ip() -> str:
    number = next(_numbers) + (os.getpid() % 200) * 1000
    return f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"


def fresh_email() -> str:
    return f"visitor{next(_numbers)}-{os.getpid()}@example.com"


def contact_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Ada Lovelace",
        "email": fresh_email(),
        "subject": "Partnership question",
        "message": "Do you accept affiliates from Belgium?",
        "locale": "fr",
        "ip": fresh_ip(),
    }
    values.update(overrides)
    return values
