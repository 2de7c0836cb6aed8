"""Keeps the session list's "last seen" current without a write per request."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from accounts.services import user_session_seen_recently, user_session_touch


class UserSessionMiddleware:
    """After ``AuthenticationMiddleware``: a signed-in browser request moves its session's
    ``last_seen_at`` (at most once a minute, see ``user_session_touch``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        # The memory is asked first, so most requests load neither the session nor the user here.
        if cookie and not user_session_seen_recently(session_key=cookie) and request.user.is_authenticated:
            user_session_touch(request=request)
        return self.get_response(request)
