"""Developer tooling: embedded services and the `make run` / `make test` supervisors.

Not a Django app. It must import without Django settings, because it runs before the
database exists.
"""
