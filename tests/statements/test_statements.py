from __future__ import annotations

import csv
import datetime as dt
import io
import time
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role
from ledger.selectors import ledger_differences
from statements.models import Statement
from statements.services import parse_period, statement_generate, statements_generate_month
from statements.tasks import brand_monthly_statements_task
from tests.conftest import domain_of, make_user
from tests.payments.test_invoice_pdf import read_pdf
from tests.statements.conftest import earn_and_withdraw, months_ago

STATEMENT_FIELDS = """
    id period currency affiliateEmail pdfUrl csvUrl emailedAt
    openingBalance { amount currency } closingBalance { amount }
    commissions { program amount { amount } } reversals { program amount { amount } }
    withdrawalsPaid { amount } withdrawalsRequested { amount } adjustments { kind amount { amount } }
"""


def test_a_month_of_sale_refund_release_and_payout(earner):
    statement = statement_generate(user=earner.user, period=earner.period, currency="EUR")

    assert statement.opening_balance == 0
    assert statement.closing_balance == Decimal("10.00")  # 40 earned - 10 refunded - 20 paid
    figures = statement.figures
    assert [(row["program"], Decimal(row["amount"])) for row in figures["commissions"]] == [
        ("Summer shop", Decimal(40))
    ]
    assert [Decimal(row["amount"]) for row in figures["reversals"]] == [Decimal(-10)]
    assert Decimal(figures["withdrawals_paid"]) == Decimal(-20)
    assert figures["adjustments"] == []
    assert Decimal(figures["memo"]["withdrawals_requested"]) == Decimal(20)
    assert Decimal(figures["memo"]["released_from_hold"]) == Decimal(30)
    assert {key: Decimal(value) for key, value in figures["closing_breakdown"].items()} == {
        "pending": 0,
        "available": Decimal(10),
        "reserved": 0,
    }
    assert ledger_differences() == []
    # the next month: nothing moved, the balance carries over
    following = statement_generate(user=earner.user, period=months_ago(1), currency="EUR")
    assert (following.opening_balance, following.closing_balance) == (Decimal(10), Decimal(10))


def test_the_csv_and_pdf_show_the_same_lines(earner):
    statement = statement_generate(user=earner.user, period=earner.period, currency="EUR")

    with default_storage.open(statement.csv_key, "rb") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read().decode())))
    assert [(row["kind"], row["program"], row["amount"]) for row in rows] == [
        ("opening", "", "0.00"),
        ("commission", "Summer shop", "40.00"),
        ("reversal", "Summer shop", "-10.00"),
        ("withdrawals_paid", "", "-20.00"),
        ("closing", "", "10.00"),
    ]
    with default_storage.open(statement.pdf_key, "rb") as handle:
        text = read_pdf(handle.read()).text
    for expected in (
        "STATEMENT",
        "Summer shop",
        "Commissions earned",
        "Withdrawals paid",
        "€40.00",
        "-€20.00",
    ):
        assert expected in text, expected
    assert statement.pdf_key.startswith(f"statements/{earner.user.pk}/")


def test_generation_is_idempotent_and_regeneration_keeps_the_figures(earner):
    first = statement_generate(user=earner.user, period=earner.period, currency="EUR")
    again = statement_generate(user=earner.user, period=earner.period, currency="EUR")
    assert again.pk == first.pk
    assert again.generated_at == first.generated_at  # kept, not redone

    redone = statement_generate(user=earner.user, period=earner.period, currency="EUR", regenerate=True)
    assert redone.pk == first.pk
    assert redone.figures == first.figures
    assert redone.generated_at > first.generated_at
    assert Statement.objects.filter(user=earner.user).count() == 1


def test_a_running_month_or_a_bad_period_is_refused(earner):
    this_month = timezone.now().date().replace(day=1)
    with pytest.raises(ValidationError) as error:
        statement_generate(user=earner.user, period=this_month, currency="EUR")
    assert error.value.error_dict["period"][0].code == "INVALID_PERIOD"
    for bad in ("2026-13", "26-01", "", f"{this_month:%Y-%m}", "1999-01"):
        with pytest.raises(ValidationError) as error:
            parse_period(bad)
        assert error.value.error_dict["period"][0].code == "INVALID_PERIOD", bad
    assert parse_period(f"{earner.period:%Y-%m}") == earner.period


def test_the_monthly_job_generates_and_emails_once(earner):
    other = make_user(_tenant(), role=Role.AFFILIATE)
    mail.outbox.clear()

    assert brand_monthly_statements_task.run(f"{earner.period:%Y-%m}") == 1
    assert brand_monthly_statements_task.run(f"{earner.period:%Y-%m}") == 1  # again: no duplicate, no resend

    statement = Statement.objects.get(user=earner.user)
    assert statement.emailed_at is not None
    assert not Statement.objects.filter(user=other).exists()  # nothing owed, nothing moved
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [earner.user.email]
    assert "statement" in message.subject.lower()
    names = sorted(name for name, _content, _type in message.attachments)
    assert names == [
        f"statement-{earner.period:%Y-%m}-EUR.csv",
        f"statement-{earner.period:%Y-%m}-EUR.pdf",
    ]
    assert "Closing balance: 10.00 EUR" in message.body


def _tenant():
    from django.db import connection

    return connection.tenant


def test_the_beat_job_defaults_to_last_month(brand_a):
    with tenant_context(brand_a):
        last = months_ago(1)
        earner = earn_and_withdraw(brand_a, period=last)
        assert brand_monthly_statements_task.run() >= 1
        assert Statement.objects.filter(user=earner.user, period=last).exists()
        assert statements_generate_month(period=last)  # the same, kept


def test_the_statement_is_in_the_brands_language_and_theme(brand_b):
    with tenant_context(brand_b):
        earner = earn_and_withdraw(brand_b, period=months_ago(2))
        statement = statement_generate(user=earner.user, period=earner.period, currency="EUR")
        with default_storage.open(statement.pdf_key, "rb") as handle:
            text = read_pdf(handle.read()).text
    assert "RELEVÉ" in text
    assert "Solde de clôture" in text


# --- API, links and brands ---------------------------------------------------------------------


def test_my_statements_and_an_admin_view(earner, gql, brand_a):
    statement_generate(user=earner.user, period=earner.period, currency="EUR")
    stranger = make_user(brand_a, role=Role.AFFILIATE)

    mine = gql(brand_a, earner.user).data("{ myStatements { " + STATEMENT_FIELDS + " } }")["myStatements"]
    assert len(mine) == 1
    assert mine[0]["period"] == f"{earner.period:%Y-%m}"
    assert mine[0]["closingBalance"] == {"amount": "10.00"}
    assert mine[0]["withdrawalsPaid"] == {"amount": "-20.00"}
    assert mine[0]["pdfUrl"]
    assert mine[0]["csvUrl"]
    assert gql(brand_a, stranger).data("{ myStatements { id } }")["myStatements"] == []

    query = "query($u: ID!) { affiliateStatements(userId: $u) { id closingBalance { amount } } }"
    admin_view = gql(brand_a, earner.admin).data(query, {"u": str(earner.user.pk)})["affiliateStatements"]
    assert [row["closingBalance"]["amount"] for row in admin_view] == ["10.00"]
    refused = gql(brand_a, stranger).execute(query, {"u": str(earner.user.pk)})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_an_admin_regenerates_a_period_with_field_errors_for_bad_input(earner, gql, brand_a):
    mutation = """mutation($u: ID!, $p: String!, $c: String!) {
        statementRegenerate(userId: $u, period: $p, currency: $c) {
            statement { period closingBalance { amount } } errors { field code } } }"""
    admin = gql(brand_a, earner.admin)
    done = admin.data(mutation, {"u": str(earner.user.pk), "p": f"{earner.period:%Y-%m}", "c": "eur"})
    assert done["statementRegenerate"] == {
        "statement": {"period": f"{earner.period:%Y-%m}", "closingBalance": {"amount": "10.00"}},
        "errors": [],
    }
    bad = admin.data(mutation, {"u": str(earner.user.pk), "p": "next year", "c": "EUR"})
    assert bad["statementRegenerate"] == {
        "statement": None,
        "errors": [{"field": "period", "code": "INVALID_PERIOD"}],
    }
    wrong_currency = admin.data(
        mutation, {"u": str(earner.user.pk), "p": f"{earner.period:%Y-%m}", "c": "MAD"}
    )
    assert wrong_currency["statementRegenerate"] == {
        "statement": None,
        "errors": [{"field": "currency", "code": "INVALID"}],
    }
    by_affiliate = gql(brand_a, earner.user).execute(
        mutation, {"u": str(earner.user.pk), "p": f"{earner.period:%Y-%m}", "c": "EUR"}
    )
    assert by_affiliate["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_brand_b_admins_see_nothing_of_brand_a(earner, gql, brand_a, brand_b):
    statement_generate(user=earner.user, period=earner.period, currency="EUR")
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)
    client_b = gql(brand_b, admin_b)

    query = "query($u: ID!) { affiliateStatements(userId: $u) { id } selfBillingInvoices(userId: $u) { id } }"
    assert client_b.data(query, {"u": str(earner.user.pk)}) == {
        "affiliateStatements": [],
        "selfBillingInvoices": [],
    }
    regenerate = """mutation($u: ID!, $p: String!) { statementRegenerate(userId: $u, period: $p, currency: "EUR") {
        statement { id } errors { code } } }"""
    with tenant_context(brand_b):
        assert not Statement.objects.exists()
    body = client_b.execute(regenerate, {"u": str(earner.user.pk), "p": f"{earner.period:%Y-%m}"})
    if body.get("errors"):
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    else:  # brand B has a user of this id: not an affiliate earning in EUR there
        assert body["data"]["statementRegenerate"]["errors"] == [{"code": "INVALID"}]
    with tenant_context(brand_b):
        assert not Statement.objects.exists()


def test_the_local_download_link_works_for_its_affiliate_on_its_brand_only(
    client, brand_a, brand_b, local_disk, earner
):
    from statements.links import download_url

    statement = statement_generate(user=earner.user, period=earner.period, currency="EUR")
    url = download_url(document="statement", pk=statement.pk, key=statement.pdf_key, filename="s.pdf")
    csv_url = download_url(document="statement", pk=statement.pk, key=statement.csv_key, filename="s.csv")
    stale = download_url(
        document="statement", pk=statement.pk, key=statement.pdf_key, filename="s.pdf", seconds=1
    )
    stranger = make_user(brand_a, role=Role.AFFILIATE)
    assert url.startswith(f"/statements/statement/{statement.pk}.pdf?token=")
    assert (local_disk / brand_a.schema_name / statement.pdf_key).exists()
    client.force_login(earner.user)
    host_a, host_b = domain_of(brand_a), domain_of(brand_b)

    ok = client.get(url, HTTP_HOST=host_a)
    assert (ok.status_code, ok["Content-Type"]) == (200, "application/pdf")
    assert read_pdf(ok.content).text.count("Summer shop") >= 1
    as_csv = client.get(csv_url, HTTP_HOST=host_a)
    assert as_csv.status_code == 200
    assert b"EUR,closing,Closing balance,,10.00" in as_csv.content
    assert client.get(url, HTTP_HOST=host_b).status_code == 404  # brand A's link on brand B's host
    assert client.get(url.replace("token=", "token=x"), HTTP_HOST=host_a).status_code == 404
    assert (
        client.get(url.replace(".pdf?", ".csv?"), HTTP_HOST=host_a).status_code == 404
    )  # signed for the PDF
    time.sleep(2.1)
    assert client.get(stale, HTTP_HOST=host_a).status_code == 403
    client.force_login(stranger)
    assert client.get(url, HTTP_HOST=host_a).status_code == 404  # not theirs
    client.force_login(earner.admin)
    assert client.get(url, HTTP_HOST=host_a).status_code == 200  # the brand's admin may
    client.logout()
    assert client.get(url, HTTP_HOST=host_a).status_code == 404


def test_the_s3_link_is_presigned_and_short_lived(earner, settings):
    from urllib.parse import parse_qs, urlparse

    from statements.links import download_url

    statement = statement_generate(user=earner.user, period=earner.period, currency="EUR")
    url = download_url(document="statement", pk=statement.pk, key=statement.pdf_key, filename="s.pdf")
    query = parse_qs(urlparse(url).query)
    assert query["X-Amz-Expires"] == [str(settings.STATEMENT_LINK_SECONDS)]
    assert urlparse(url).path.startswith(
        f"/{settings.AWS_STORAGE_BUCKET_NAME}/{_tenant().schema_name}/statements/"
    )


def test_dates_are_utc_months():
    from statements.figures import month_bounds, previous_month

    assert month_bounds(dt.date(2026, 12, 1)) == (
        dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
    )
    assert previous_month(dt.date(2026, 1, 1)) == dt.date(2025, 12, 1)
    assert previous_month(dt.date(2026, 3, 31)) == dt.date(2026, 2, 1)
