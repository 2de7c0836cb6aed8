"""The click lane keeps its routes (``tracking.routing``, in Redis) in step with the affiliate
engine and the brands by listening to their events; affiliation and tenants never call into
the lane.

Each handler runs after the change commits (``Phase.AFTER_COMMIT``, from the brand's outbox,
retried with backoff if Redis is down), reads the rows as committed and republishes: idempotent.
"""

from __future__ import annotations

from django_tenants.utils import get_public_schema_name, schema_context

from affiliation.models import Affiliate, Link, Program
from core.events import Event, subscriber
from tenants.models import Tenant
from tracking.routing import (
    affiliate_routes_publish,
    brand_routes_publish,
    host_route_unpublish,
    link_route_publish,
    program_routes_publish,
)

# What the lane's link routes carry of a program (tracking.routing.link_route_payload).
ROUTED_FIELDS = {"is_active", "cookie_window_days", "attribution_model"}


@subscriber("link.created", "link.archived")
def link_route_changed(event: Event) -> None:
    link = Link.objects.select_related("program", "affiliate").filter(pk=event.payload["link_id"]).first()
    if link is not None:
        link_route_publish(link, schema_name=event.schema_name)


@subscriber("affiliate.status_changed")
def affiliate_routes_changed(event: Event) -> None:
    """Links of an affiliate who is not approved stop redirecting (and come back)."""
    affiliate = Affiliate.objects.filter(pk=event.payload["affiliate_id"]).first()
    if affiliate is not None:
        affiliate_routes_publish(affiliate, schema_name=event.schema_name)


@subscriber("program.updated")
def program_routes_changed(event: Event) -> None:
    if not ROUTED_FIELDS & set(event.payload["changed"]):
        return
    program = Program.objects.filter(pk=event.payload["program_id"]).first()
    if program is not None:
        program_routes_publish(program, schema_name=event.schema_name)


@subscriber("brand.hosts_changed")
def brand_host_routes_changed(event: Event) -> None:
    """A brand got or lost a host, was renamed or changed its blocked networks: forget the hosts
    it no longer serves, republish the others."""
    for host in event.payload["removed"]:
        host_route_unpublish(host)
    with schema_context(get_public_schema_name()):
        tenant = Tenant.objects.filter(schema_name=event.schema_name).first()
    if tenant is not None:
        brand_routes_publish(tenant)
