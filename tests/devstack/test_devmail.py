"""The local mail inbox of `make run` (/_dev/mail/): emails land there in local settings only;
test and production settings answer 404."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from accounts.invitations import invitation_create
from accounts.models import Invitation, Role
from accounts.tasks import send_invitation_task
from core.emails import send_brand_email
from tests.conftest import domain_of, make_user


def _settings_of(module: str) -> str:
    """DEV_MAIL_DIR and EMAIL_BACKEND as ``module`` sets them, read in a fresh interpreter."""
    env = {
        **os.environ,
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": "postgres://u:p@127.0.0.1/db",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    env.pop("EMAIL_BACKEND", None)
    code = f"import {module} as s; print(s.DEV_MAIL_DIR, s.EMAIL_BACKEND)"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_only_local_settings_turn_the_inbox_on():
    assert _settings_of("config.settings.production").startswith("None ")
    assert "devstack.devmail" not in _settings_of("config.settings.production")
    assert _settings_of("config.settings.test").startswith("None ")
    local = _settings_of("config.settings.local")
    assert local.endswith("var/mail devstack.devmail.DevMailBackend")


@pytest.mark.parametrize("path", ["/_dev/mail/", "/_dev/mail/1-0123456789abcdef0123456789abcdef.eml/"])
def test_without_a_mail_folder_the_inbox_is_a_404_on_every_host(client, brand_a, public_tenant, path):
    for host in (domain_of(public_tenant), domain_of(brand_a)):
        assert client.get(path, HTTP_HOST=host).status_code == 404


@pytest.fixture
def dev_inbox(settings, tmp_path):
    settings.DEV_MAIL_DIR = tmp_path / "mail"
    settings.EMAIL_BACKEND = "devstack.devmail.DevMailBackend"
    return settings.DEV_MAIL_DIR


def test_an_invitation_email_shows_in_the_inbox_with_its_link_clickable(
    client, brand_a, public_tenant, dev_inbox
):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    with tenant_context(brand_a):
        invitation = invitation_create(actor=admin, email="inbox@example.com", role=Role.MERCHANT)
        send_invitation_task.run(invitation.pk)
        token_hash = Invitation.objects.get(pk=invitation.pk).token_hash
        send_brand_email(
            to=["shop@example.com"],
            subject="Invoice INV-1",
            text="Your invoice.",
            attachments=[("INV-1.pdf", b"%PDF-1.4 fake", "application/pdf")],
        )

    listing = client.get("/_dev/mail/", HTTP_HOST=domain_of(public_tenant))
    names = re.findall(r'href="([0-9]+-[0-9a-f]{32}\.eml)/"', listing.content.decode())
    pages = {name: client.get(f"/_dev/mail/{name}/", HTTP_HOST=domain_of(brand_a)) for name in names}

    assert listing.status_code == 200
    assert mail.outbox == []  # the dev backend, not the test outbox, got them
    assert len(list(dev_inbox.iterdir())) == 2
    assert "You are invited to Alpha Brand" in listing.content.decode()
    assert len(names) == 2
    invitation_page, invoice_page = (pages[name].content.decode() for name in names[::-1])
    link = re.search(
        r'<a href="(https?://alpha\.localhost[^"]*/invitation/accept\?token=[\w-]+)"', invitation_page
    )
    assert link is not None
    assert token_hash
    assert token_hash not in invitation_page
    assert "<iframe sandbox=" in invitation_page
    assert "inbox@example.com" in invitation_page
    assert "INV-1.pdf (application/pdf, 13 bytes)" in invoice_page
    assert client.get("/_dev/mail/..passwd.eml/", HTTP_HOST=domain_of(brand_a)).status_code == 404
    traversal = client.get("/_dev/mail/..%2F..%2Fetc%2Fpasswd/", HTTP_HOST=domain_of(brand_a))
    assert b"root:" not in traversal.content  # not the inbox's route: the web app's page
