"""The domain event registry: what can happen, with what payload, and who listens.

Every event a domain app records is declared once in ``core.events.catalog`` (name, version,
payload fields, whether integrators may receive it) — the Saleor way of one module of event
types. Apps record events with ``core.events.emit`` in the transaction of the change and
listen with ``@subscriber(name)`` in their ``subscribers.py`` (imported by their AppConfig).

Two phases:

- ``Phase.IN_TRANSACTION``: the handler runs inside ``emit``, in the same transaction, before
  ``emit`` returns; an exception rolls the whole change back. For reactions that must stay
  atomic with the change (an order is paid in the transaction that confirms its payment: money
  is never half-moved). This replaces what used to be an upward call, without the import.
- ``Phase.AFTER_COMMIT`` (default): dispatched from the outbox once the change committed, at
  least once (a failed subscriber is retried by the sweep), so handlers are idempotent on
  ``event.id``. Live ticks, audit, notifications, webhooks, analytics.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

JsonType = str  # "string" | "integer" | "decimal" | "boolean" | "datetime" | "object" | "array"
JSON_TYPES = ("string", "integer", "decimal", "boolean", "datetime", "date", "object", "array")


@dataclass(frozen=True)
class PayloadField:
    """One key of an event's payload. ``decimal`` travels as a string ("12.50"): money is never a float."""

    type: JsonType
    description: str
    nullable: bool = False

    def __post_init__(self) -> None:
        if self.type not in JSON_TYPES:
            raise ValueError(f"unknown payload type {self.type!r}")


@dataclass(frozen=True)
class EventType:
    name: str  # "<entity>.<past-tense verb>", e.g. "payment.confirmed"
    version: int
    description: str
    fields: Mapping[str, PayloadField]
    # Offered to integrators (outbound webhooks) and listed in the developer event catalogue.
    public: bool = True

    def json_schema(self) -> dict[str, Any]:
        """The payload as JSON Schema (draft 2020-12), for the developer catalogue."""
        properties: dict[str, Any] = {}
        for key, spec in self.fields.items():
            prop: dict[str, Any] = {"description": spec.description}
            base = {
                "string": {"type": "string"},
                "integer": {"type": "integer"},
                "decimal": {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"},
                "boolean": {"type": "boolean"},
                "datetime": {"type": "string", "format": "date-time"},
                "date": {"type": "string", "format": "date"},
                "object": {"type": "object"},
                "array": {"type": "array"},
            }[spec.type]
            if spec.nullable:
                prop["anyOf"] = [base, {"type": "null"}]
            else:
                prop.update(base)
            properties[key] = prop
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": self.name,
            "type": "object",
            "properties": properties,
            "required": sorted(self.fields),
            "additionalProperties": False,
        }


class Phase(enum.Enum):
    IN_TRANSACTION = "in_transaction"
    AFTER_COMMIT = "after_commit"


@dataclass(frozen=True)
class Event:
    id: uuid.UUID
    name: str
    version: int
    payload: dict[str, Any]
    occurred_at: dt.datetime
    schema_name: str


Handler = Callable[[Event], None]


@dataclass(frozen=True)
class Subscription:
    event_name: str
    phase: Phase
    handler: Handler

    @property
    def key(self) -> str:
        """Stable name of the handler (module.qualname): how the outbox remembers who failed."""
        return f"{self.handler.__module__}.{self.handler.__qualname__}"


@dataclass
class Registry:
    types: dict[str, EventType] = field(default_factory=dict)
    subscriptions: list[Subscription] = field(default_factory=list)

    def declare(self, event_types: Iterable[EventType]) -> None:
        for event_type in event_types:
            if event_type.name in self.types:
                raise ValueError(f"event {event_type.name} declared twice")
            self.types[event_type.name] = event_type

    def event_type(self, name: str) -> EventType:
        try:
            return self.types[name]
        except KeyError:
            raise LookupError(f"unknown event {name!r}: declare it in core.events.catalog") from None

    def subscribe(self, names: Iterable[str], phase: Phase, handler: Handler) -> None:
        for name in names:
            self.event_type(name)
            subscription = Subscription(name, phase, handler)
            if any(s.key == subscription.key and s.event_name == name for s in self.subscriptions):
                continue  # a module imported twice (tests reloading) registers once
            self.subscriptions.append(subscription)

    def handlers(self, name: str, phase: Phase) -> list[Subscription]:
        return [s for s in self.subscriptions if s.event_name == name and s.phase is phase]


REGISTRY = Registry()


def subscriber(*names: str, phase: Phase = Phase.AFTER_COMMIT) -> Callable[[Handler], Handler]:
    """Register the decorated function as a handler of ``names`` (see the module docstring)."""

    def register(handler: Handler) -> Handler:
        REGISTRY.subscribe(names, phase, handler)
        return handler

    return register


def validate_payload(event_type: EventType, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload as stored and sent: exactly the declared keys, each of its declared type.

    Decimals become strings, datetimes ISO 8601 strings. A mismatch is a programming error
    (raises ``TypeError``/``KeyError``), never silently sent to integrators.
    """
    missing = set(event_type.fields) - set(payload)
    extra = set(payload) - set(event_type.fields)
    if missing or extra:
        raise KeyError(f"{event_type.name} payload: missing {sorted(missing)}, unexpected {sorted(extra)}")
    clean: dict[str, Any] = {}
    for key, spec in event_type.fields.items():
        clean[key] = _coerce(event_type.name, key, spec, payload[key])
    return clean


def _coerce(event_name: str, key: str, spec: PayloadField, value: Any) -> Any:
    if value is None:
        if spec.nullable:
            return None
        raise TypeError(f"{event_name}.{key} may not be null")
    kind = spec.type
    ok: bool
    if kind == "string":
        ok = isinstance(value, str)
    elif kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "decimal":
        if isinstance(value, Decimal):
            return str(value)
        ok = isinstance(value, str)
        if ok:
            Decimal(value)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "datetime":
        if isinstance(value, dt.datetime):
            return value.isoformat()
        ok = isinstance(value, str)
    elif kind == "date":
        if isinstance(value, dt.date):
            return value.isoformat()
        ok = isinstance(value, str)
    elif kind == "object":
        ok = isinstance(value, dict)
    else:
        ok = isinstance(value, list)
    if not ok:
        raise TypeError(f"{event_name}.{key} must be {kind}, got {type(value).__name__}")
    return value
