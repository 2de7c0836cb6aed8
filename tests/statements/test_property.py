"""Property: for random histories built with the real services, every monthly statement closes
on the ledger's balance at the end of its month, to the cent, and opens on the previous
statement's closing; its lines (PDF and CSV) add up to the closing balance."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django_tenants.utils import tenant_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.selectors import ledger_differences
from statements.figures import StatementFigures
from statements.models import Statement
from statements.services import statement_generate, statements_generate_month
from tests.payments.test_invoice_pdf import read_pdf
from tests.statements.histories import build_history, frozen_clock

START = dt.datetime(2026, 1, 3, 9, 0, tzinfo=dt.UTC)


def _check_history(brand, seed: int) -> set[str]:
    """Check every statement of a random history; return the kinds of lines they printed."""
    kinds: set[str] = set()
    with tenant_context(brand), frozen_clock(START) as clock:
        history = build_history(brand, seed=seed, clock=clock)
        assert ledger_differences() == []
        assert len(history.months) >= 3, history.operations  # the history crosses month ends
        for currency in history.currencies:
            previous_closing = Decimal(0)
            for month in history.months:
                statement = statement_generate(user=history.user, period=month, currency=currency)
                figures = StatementFigures.from_json(currency, month, statement.figures)
                assert statement.closing_balance == history.at_month_end[(month, currency)], (
                    seed,
                    month,
                    currency,
                )
                assert statement.opening_balance == previous_closing
                assert figures.opening + figures.lines_total() == figures.closing
                previous_closing = statement.closing_balance
                # the CSV's lines, opening included, add up to its closing line
                with default_storage.open(statement.csv_key, "rb") as handle:
                    rows = list(csv.DictReader(io.StringIO(handle.read().decode())))
                kinds.update(row["kind"] for row in rows)
                assert rows[0]["kind"] == "opening"
                assert rows[-1]["kind"] == "closing"
                assert sum(Decimal(row["amount"]) for row in rows[:-1]) == Decimal(rows[-1]["amount"])
                assert Decimal(rows[-1]["amount"]) == statement.closing_balance
        # the job finds the same statements and makes no other
        count = Statement.objects.filter(user=history.user).count()
        for month in history.months:
            statements_generate_month(period=month)
        assert Statement.objects.filter(user=history.user).count() == count
        # a busy month's PDF opens and shows its closing balance
        busiest = max(
            Statement.objects.filter(user=history.user, currency="EUR"),
            key=lambda s: len(s.figures["commissions"]),
        )
        with default_storage.open(busiest.pdf_key, "rb") as handle:
            text = read_pdf(handle.read()).text
        assert "Closing balance" in text
        assert f"{busiest.closing_balance.quantize(Decimal('0.01')):,}" in text
    return kinds


@pytest.mark.timeout(600)
@pytest.mark.parametrize("seed", [1, 3, 4, 5])
def test_statements_close_on_the_ledger_for_seeded_histories(brand_a, seed):
    kinds = _check_history(brand_a, seed)
    # these histories exercise every kind of line
    assert {"commission", "reversal", "withdrawals_paid"} <= kinds, kinds


@pytest.mark.timeout(900)
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=4, max_value=10**6))
def test_statements_close_on_the_ledger_for_random_histories(brand_a, seed):
    _check_history(brand_a, seed)
