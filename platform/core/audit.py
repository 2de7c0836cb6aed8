"""Recording audit events from services [pretix ``log_action``].

Conventions for ``audit_log(actor=, action=, target=, **data)``:

- ``action`` is ``<entity>.<verb>`` (``api_token.revoked``); the web app shows a translated
  label per action and falls back to the code itself.
- ``target`` is the object acted on; ``subject`` (optional) the *user* the event is about.
  By default the subject is the target when it is a user, else the actor: "events about
  me" (a user's Security activity) read one indexed column.
- A change records what it changed as ``before``/``after``: ``**audit_changes(old, new)``
  keeps only the keys whose values differ (``{"before": {"role": "affiliate"}, "after":
  {"role": "merchant"}}``). Everything else goes in ``data`` as plain JSON.
- The client's IP and user agent are taken from the request being served (HTTP through
  ``AuditRequestMiddleware``, websockets through the consumer's scope), never passed in.
  Events recorded by tasks have neither.
- Never put secrets in ``data`` (passwords, tokens, TOTP codes).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import models

from core.models import AuditEvent

USER_AGENT_MAX_LENGTH = 512

# The security events of an account, shown to the user on their Security activity page:
# sign-ins and their failures, sign-outs, sessions, second factor, tokens, passwords, and
# what an admin did to the account. Prefixes, so new events of these families are included.
SECURITY_ACTION_PREFIXES: tuple[str, ...] = (
    "user.login",  # user.login, user.login_failed
    "user.logout",
    "user.password",  # user.password_changed, user.password_reset
    "user.deactivated",
    "user.reactivated",
    "user.role_changed",
    "user.email_changed",
    "session.",
    "totp.",
    "two_factor.",
    "api_token.",
    "password.",
)


@dataclass(frozen=True)
class RequestOrigin:
    """Where the request being served comes from."""

    ip: str | None
    user_agent: str


_current_origin: ContextVar[RequestOrigin | None] = ContextVar("audit_request_origin", default=None)


def current_origin() -> RequestOrigin | None:
    return _current_origin.get()


@contextmanager
def request_origin(origin: RequestOrigin | None) -> Iterator[None]:
    """Attribute the audit events recorded inside the block to ``origin``."""
    token = _current_origin.set(origin)
    try:
        yield
    finally:
        _current_origin.reset(token)


def origin_set(origin: RequestOrigin | None) -> None:
    """For long-lived tasks (a websocket consumer): every event recorded in this context and in
    the tasks and threads it starts afterwards is attributed to ``origin``."""
    _current_origin.set(origin)


def audit_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``before``/``after`` restricted to the keys whose values differ (a key missing on one
    side counts as None): ``audit_log(..., **audit_changes(old, new))``."""
    keys = sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))
    return {
        "before": {key: before.get(key) for key in keys},
        "after": {key: after.get(key) for key in keys},
    }


def is_security_action(action: str) -> bool:
    return action.startswith(SECURITY_ACTION_PREFIXES)


def _is_user(value: Any) -> bool:
    from django.contrib.auth import get_user_model  # core must not import accounts

    return isinstance(value, get_user_model())


def audit_log(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    subject: Any = None,
    **data: Any,
) -> AuditEvent:
    """Append an audit event in the current schema. ``actor`` is a user or None for the system
    (or an anonymous visitor); ``subject`` the user the event is about (see the module)."""
    if subject is None:
        subject = target if _is_user(target) else actor
    origin = _current_origin.get()
    return AuditEvent.objects.create(
        action=action,
        actor_id=getattr(actor, "pk", None),
        actor_email=getattr(actor, "email", "") or "",
        subject_id=getattr(subject, "pk", None),
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        data=data,
        ip=origin.ip if origin is not None else None,
        user_agent=origin.user_agent[:USER_AGENT_MAX_LENGTH] if origin is not None else "",
    )
