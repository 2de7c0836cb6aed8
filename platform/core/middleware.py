"""Project middleware."""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CommonMiddleware(DjangoCommonMiddleware):
    """Django's, except that APPEND_SLASH redirects reads only.

    A redirect cannot carry a POST body: Django raises a RuntimeError under DEBUG (a 500 page)
    and answers 301 otherwise, which clients follow with a GET that loses the body. So a write
    to a path that exists only with its slash is a plain 404. The machine endpoints
    (``/graphql``, ``/postback``, ``/a/collect``, ``/stripe/webhook``) take both spellings in
    the URLconfs.
    """

    def should_redirect_with_slash(self, request: HttpRequest) -> bool:
        if request.method not in SAFE_METHODS:
            return False
        return bool(super().should_redirect_with_slash(request))
