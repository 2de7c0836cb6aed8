"""migrate_schemas passes over the schemas that already have every migration, and hands the
others (and every targeted run) to django-tenants' executor."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.migration_executors import StandardExecutor

from tenants import migration_executor
from tenants.migration_executor import get_executor, schemas_behind


@pytest.fixture
def handed_over(monkeypatch):
    """The schemas django-tenants' own executor is asked to migrate."""
    calls: list[list[str]] = []
    monkeypatch.setattr(StandardExecutor, "run_migrations", lambda self, tenants=None: calls.append(tenants))
    return calls


def test_a_release_without_migrations_migrates_no_schema(brand_a, brand_b, handed_over, capsys):
    call_command("migrate_schemas", tenant=True, executor="standard", interactive=False)

    assert handed_over == []
    assert "schemas already have every migration: skipped" in capsys.readouterr().out


def test_a_schema_missing_a_migration_is_the_one_migrated(brand_a, brand_b, handed_over):
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{brand_b.schema_name}".django_migrations '
            'WHERE id = (SELECT max(id) FROM "' + brand_b.schema_name + '".django_migrations)'
        )
    assert schemas_behind([brand_a.schema_name, brand_b.schema_name]) == [brand_b.schema_name]

    call_command("migrate_schemas", tenant=True, executor="standard", interactive=False, verbosity=0)

    assert handed_over == [[brand_b.schema_name]]


def test_a_schema_without_a_migration_table_is_behind(db):
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "brand_bare_executor"')
    assert schemas_behind(["brand_bare_executor"]) == ["brand_bare_executor"]


@pytest.mark.parametrize(
    "option", [{"fake": True}, {"plan": True}, {"prune": True}, {"app_label": "billing"}]
)
def test_targeted_runs_go_to_django_tenants_untouched(brand_a, handed_over, option):
    executor = get_executor("standard")(args=(), options={"verbosity": 0, **option})
    executor.run_migrations(tenants=[brand_a.schema_name])

    assert handed_over == [[brand_a.schema_name]]


def test_the_expected_set_is_the_graph_on_disk():
    expected = migration_executor._expected()
    assert ("tenants", "0001_initial") in expected
    assert ("payouts", "0001_initial") in expected
