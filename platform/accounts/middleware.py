"""Keeps the session list's "last seen" current without a write per request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accounts.services import SESSION_RECORDED_KEY, user_session_seen_recently, user_session_touch


class UserSessionMiddleware:
    """After ``AuthenticationMiddleware``: a request that used its signed-in session moves the
    session's ``last_seen_at`` (at most once a minute, see ``user_session_touch``).

    It looks after the response, and only at a session the view already read
    (``session.accessed``): a request that never needed the session (a public page, an asset)
    costs no query here, and one that did costs nothing more than the memory's lookup, except
    once a minute."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if (
            session is not None
            and session.accessed
            and session.session_key
            and session.get(SESSION_RECORDED_KEY)
            and not user_session_seen_recently(session_key=session.session_key)
            and request.user.is_authenticated
        ):
            user_session_touch(request=request)
        return response
