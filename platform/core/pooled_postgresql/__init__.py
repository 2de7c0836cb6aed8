"""django-tenants' PostgreSQL backend made safe behind PgBouncer in transaction pooling mode.

``DATABASE_POOLER=transaction`` selects it (``config.env.database_settings``); see ``base``.
"""
