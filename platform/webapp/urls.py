"""Routes of the web app. Append ``urlpatterns`` last in a host's URLconf: its catch-all takes
every path the API, the click lane and the static files do not."""

from django.urls import path, re_path

from webapp.views import app_view, csrf_view

# Paths that belong to the server, never to the app (a typo there is a 404, not a page).
SERVER_PREFIXES = ("graphql", "r", "postback", "static", "media", "csrf", "a", "stripe", "exports", "kyc")

urlpatterns = [
    path("csrf/", csrf_view, name="webapp-csrf"),
    re_path(rf"^(?!(?:{'|'.join(SERVER_PREFIXES)})(?:/|$)).*$", app_view, name="webapp"),
]
