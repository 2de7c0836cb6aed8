"""Developer tooling: embedded services, the `make run` / `make test` supervisors, the dev mail
inbox and the screenshot runner.

Not a Django app, and not part of the product: it lives in the tools/ source root, which the
production image leaves out. It must import without Django settings, because it runs before the
database exists.
"""
