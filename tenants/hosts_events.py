"""Telling the click lane that a brand's hosts changed.

The lane (``tracking``, above this app) keeps a route per host in Redis: which brand it serves,
the brand's name (its 404 page) and blocked networks. Brands never call into the lane; they
record ``brand.hosts_changed`` in the brand's outbox, in the transaction of the change, and the
lane republishes the brand's routes after commit (``tracking.subscribers``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django_tenants.utils import schema_context

from core.events import emit
from tenants.models import Tenant


def brand_hosts_changed(tenant: Tenant, *, removed: Iterable[str] = ()) -> None:
    """Record that ``tenant``'s hosts (or what its routes carry) changed; ``removed``: hosts it
    no longer serves. Call it in the transaction of the change."""
    with schema_context(tenant.schema_name):  # the brand's event, wherever the change came from
        emit("brand.hosts_changed", {"removed": sorted(removed)})
