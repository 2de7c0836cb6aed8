"""Who may reach which affiliation object (programs, memberships, links). A foreign or missing
object answers the same way."""

from __future__ import annotations

from typing import Any

from affiliation.models import Affiliate, Link, Program
from affiliation.selectors import membership
from graphql_schema.access import is_brand_admin, not_found, parse_id
from graphql_schema.context import Info


def program_or_error(program_id: Any) -> Program:
    program = Program.objects.filter(pk=parse_id(program_id)).first()
    if program is None:
        raise not_found("Program")
    return program


def my_membership(info: Info, program_id: Any) -> Affiliate:
    """The signed-in user's membership of the program, or NOT_FOUND."""
    affiliate = membership(info.context.user, parse_id(program_id))
    if affiliate is None:
        raise not_found("Membership")
    return affiliate


def my_link(info: Info, link_id: Any) -> Link:
    """A link of the signed-in user (any link for a brand admin), or NOT_FOUND."""
    links = Link.objects.select_related("program", "affiliate__user")
    link = links.filter(pk=parse_id(link_id)).first()
    if link is None or (link.affiliate.user_id != info.context.user.pk and not is_brand_admin(info)):
        raise not_found("Link")
    return link


def affiliate_for_admin(affiliate_id: Any) -> Affiliate:
    affiliate = (
        Affiliate.objects.select_related("user", "tier", "program").filter(pk=parse_id(affiliate_id)).first()
    )
    if affiliate is None:
        raise not_found("Affiliate")
    return affiliate
