"""The restore drill: a brand with money, invoices and links is exported, dropped and imported on
a new subdomain; the ledger reconciles, the invoices and their PDFs are the same, the links
redirect on the new host. And an archive that does not fit is refused leaving nothing behind."""

from __future__ import annotations

import io
import json
import os
import tarfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import schema_exists, tenant_context

from accounts.models import Role
from affiliation.models import Commission, Coupon, Link
from affiliation.services.conversions import conversion_record
from ledger.models import LedgerEntry
from ledger.selectors import ledger_differences
from payments.models import Invoice
from payments.services.invoices import invoice_pdf_key
from payments.tasks import invoice_deliver_task
from provisioning.archive import ArchiveError, brand_export, brand_import
from tenants.models import CustomDomain, CustomDomainStatus, Domain, IpBlock, Tenant
from tenants.services import brand_create
from tests.checkout.builders import (
    bank_checkout,
    bank_details,
    fee_plan,
    make_merchant,
    make_product,
    pay_by_bank,
)
from tests.conftest import ALPHA, make_user
from tests.tracking.conftest import brand_links

RUN = os.environ.get("TEST_RUN_ID", "0")[-5:]


def _drop(tenant: Tenant) -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{tenant.schema_name}" CASCADE')
    Tenant.objects.filter(pk=tenant.pk).delete()


@pytest.fixture
def made(django_db_setup, committed, prefix):
    """Brands created in a test, dropped afterwards whatever happens."""
    tenants: list[Tenant] = []
    yield tenants
    for tenant in tenants:
        _drop(tenant)
    for tenant in Tenant.objects.filter(subdomain__startswith=f"drill{RUN}"):
        _drop(tenant)


def _source_brand(made: list[Tenant]) -> dict:
    """A brand with a paid, invoiced order, an affiliate, a link and commissions in the ledger."""
    tenant = brand_create(
        actor=None, name="Drill", subdomain=f"drill{RUN}-a", theme="vivid", currency="EUR", language="fr"
    )
    made.append(tenant)
    IpBlock.objects.create(tenant=tenant, network="203.0.113.0/24", note="scraper")
    CustomDomain.objects.create(
        tenant=tenant,
        domain=f"partners-{RUN}.example.com",
        token=f"afv-drill-{RUN}",
        status=CustomDomainStatus.VERIFIED,
        expires_at="2030-01-01T00:00:00Z",
    )
    with tenant_context(tenant):
        fee_plan()
        bank_details(invoice_prefix="DRL")
        customer = make_user(tenant, role=Role.CUSTOMER)
        admin = make_user(tenant, role=Role.BRAND_ADMIN)
        product = make_product(make_merchant(tenant), price=Decimal("25.00"))
        payment = pay_by_bank(bank_checkout(customer, [(product, 2)]), admin)
        invoice = Invoice.objects.get(payment=payment)
        invoice_deliver_task.run(invoice.pk)
        invoice.refresh_from_db()
    links = brand_links(tenant)
    with tenant_context(tenant):
        Coupon.objects.create(affiliate=links.affiliate, code=f"DRILL{RUN}")
        for number in range(3):
            conversion_record(
                source="api",
                order_id=f"drill-{number}",
                amount=Decimal("99.90") + number,
                currency="EUR",
                coupon_code=f"DRILL{RUN}",
            )
        assert ledger_differences() == []
        with default_storage.open(invoice_pdf_key(invoice), "rb") as handle:
            pdf = handle.read()
        facts = {
            "tenant": tenant,
            "invoices": list(Invoice.objects.order_by("number").values_list("number", "total")),
            "pdf": pdf,
            "pdf_key": invoice_pdf_key(invoice),
            "commissions": sorted(Commission.objects.values_list("id", "amount", "status")),
            "entries": LedgerEntry.objects.count(),
            "link": links.link.code,
            "target": links.link.target_url,
        }
    return facts


def test_export_drop_import_restores_money_invoices_files_and_links(made, tmp_path, lane_factory):
    source = _source_brand(made)
    tenant = source["tenant"]
    archive = tmp_path / "drill.tar"
    manifest = brand_export(tenant, archive)
    assert manifest["files"][source["pdf_key"]]
    assert manifest["tables"]["affiliation_commission"]["rows"] == len(source["commissions"])
    other = Tenant.objects.get(subdomain=ALPHA["subdomain"])
    with tenant_context(other):
        other_entries = LedgerEntry.objects.count()

    _drop(tenant)
    made.remove(tenant)
    assert not schema_exists(tenant.schema_name)

    report = brand_import(archive, subdomain=f"drill{RUN}-b")
    restored = report.tenant
    made.append(restored)

    assert (restored.name, restored.theme, restored.language, restored.currency) == (
        "Drill",
        "vivid",
        "fr",
        "EUR",
    )
    assert Domain.objects.filter(tenant=restored, domain__startswith=f"drill{RUN}-b.").exists()
    assert list(IpBlock.objects.filter(tenant=restored).values_list("network", flat=True)) == [
        "203.0.113.0/24"
    ]
    claim = CustomDomain.objects.get(tenant=restored)
    assert claim.status == CustomDomainStatus.PENDING
    assert claim.token != f"afv-drill-{RUN}"
    assert report.files == len(manifest["files"])
    with tenant_context(restored):
        assert ledger_differences() == []
        assert list(Invoice.objects.order_by("number").values_list("number", "total")) == source["invoices"]
        assert sorted(Commission.objects.values_list("id", "amount", "status")) == source["commissions"]
        assert LedgerEntry.objects.count() == source["entries"]
        with default_storage.open(source["pdf_key"], "rb") as handle:
            assert handle.read() == source["pdf"]
        # The identity sequences moved past the imported ids.
        link = Link.objects.get(code=source["link"])
        fresh = Link.objects.create(
            affiliate=link.affiliate, program=link.program, code=f"after{RUN}", target_url=link.target_url
        )
        assert fresh.pk > link.pk
    out = io.StringIO()
    call_command("ledger_reconcile", brand=restored.subdomain, stdout=out)
    assert f"{restored.subdomain}: 0 differences" in out.getvalue()
    with tenant_context(other):  # another brand is untouched
        assert LedgerEntry.objects.count() == other_entries

    host = Domain.objects.get(tenant=restored, is_primary=True).domain
    response = lane_factory().get(host, f"/r/{source['link']}")
    assert response.status_code == 302
    assert response.headers["location"].startswith(source["target"].split("?")[0])


def _rewrite(archive: Path, target: Path, change) -> None:
    with tarfile.open(archive) as source, tarfile.open(target, "w") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            data = change(member.name, data)
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))


def test_an_archive_of_another_release_or_damaged_is_refused_and_leaves_nothing(made, tmp_path):
    tenant = brand_create(
        actor=None, name="Drill", subdomain=f"drill{RUN}-c", theme="default", currency="EUR", language="en"
    )
    made.append(tenant)
    brand_links(tenant)
    archive = tmp_path / "c.tar"
    brand_export(tenant, archive)

    def older(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["migrations"] = manifest["migrations"][:-1]
        return json.dumps(manifest).encode()

    def damaged(name: str, data: bytes) -> bytes:
        return data[:-3] + b"xyz" if name == "tables/affiliation_link.copy" else data

    for change, message in ((older, "another migration state"), (damaged, "checksum")):
        bad = tmp_path / f"{change.__name__}.tar"
        _rewrite(archive, bad, change)
        with pytest.raises(ArchiveError, match=message):
            brand_import(bad, subdomain=f"drill{RUN}-d")
        assert not Tenant.objects.filter(subdomain=f"drill{RUN}-d").exists()
        assert not schema_exists(f"brand_drill{RUN}_d")

    with pytest.raises(CommandError, match="taken"):
        call_command("brand_import", str(archive), subdomain=tenant.subdomain)
