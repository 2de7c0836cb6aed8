"""The local mail inbox of ``make run`` (``/_dev/mail/``), on the root domain and brand hosts.

``devstack`` (``tools/devstack``) is a development tool, absent from the production image: it is
imported only when ``DEV_MAIL_DIR`` is set (``config.settings.local``); otherwise these paths are a
404.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path


def _dev_mail_list(request: HttpRequest) -> HttpResponse:
    if not getattr(settings, "DEV_MAIL_DIR", None):
        raise Http404
    from devstack.devmail import dev_mail_list_view

    return dev_mail_list_view(request)


def _dev_mail_message(request: HttpRequest, name: str) -> HttpResponse:
    if not getattr(settings, "DEV_MAIL_DIR", None):
        raise Http404
    from devstack.devmail import dev_mail_message_view

    return dev_mail_message_view(request, name)


dev_urlpatterns: list[URLPattern] = [
    path("_dev/mail/", _dev_mail_list, name="dev-mail"),
    path("_dev/mail/<str:name>/", _dev_mail_message, name="dev-mail-message"),
]
