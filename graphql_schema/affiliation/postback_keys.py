from __future__ import annotations

import datetime as dt

import strawberry

from affiliation.models import PostbackKey as PostbackKeyModel
from affiliation.postbacks import SIGNATURE_HEADER, postback_key_create, postback_key_revoke
from core.tenancy import tenant_connection
from graphql_schema.access import not_found, parse_id
from graphql_schema.context import Info
from graphql_schema.errors import UserError, handle_user_errors
from graphql_schema.permissions import IsBrandAdmin
from tenants.selectors import brand_base_url


@strawberry.type(description="A secret that signs server-to-server postbacks (HMAC-SHA256).")
class PostbackKey:
    id: strawberry.ID
    prefix: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    @classmethod
    def from_model(cls, key: PostbackKeyModel) -> PostbackKey:
        return cls(
            id=strawberry.ID(str(key.pk)),
            prefix=key.prefix,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )


@strawberry.type
class PostbackSettings:
    endpoint_url: str
    signature_header: str
    keys: list[PostbackKey]


@strawberry.type
class PostbackKeyCreatePayload:
    key: PostbackKey | None
    secret: str | None = strawberry.field(
        description="The signing secret. Store it now: it is never shown again."
    )
    errors: list[UserError]


@strawberry.type
class PostbackKeyRevokePayload:
    key: PostbackKey | None
    errors: list[UserError]


@strawberry.type
class PostbackQuery:
    @strawberry.field(
        permission_classes=[IsBrandAdmin], description="Where merchants send postbacks, and the keys."
    )
    def postback_settings(self, info: Info) -> PostbackSettings:
        return PostbackSettings(
            endpoint_url=f"{brand_base_url(tenant_connection().tenant)}/postback/",
            signature_header=SIGNATURE_HEADER,
            keys=[PostbackKey.from_model(key) for key in PostbackKeyModel.objects.all()],
        )


@strawberry.type
class PostbackMutation:
    @strawberry.mutation(permission_classes=[IsBrandAdmin], description="Create a postback signing key.")
    @handle_user_errors
    def postback_key_create(self, info: Info) -> PostbackKeyCreatePayload:
        key = postback_key_create(actor=info.context.user)
        return PostbackKeyCreatePayload(key=PostbackKey.from_model(key), secret=key.secret, errors=[])

    @strawberry.mutation(permission_classes=[IsBrandAdmin], description="Stop accepting a key's signatures.")
    @handle_user_errors
    def postback_key_revoke(self, info: Info, id: strawberry.ID) -> PostbackKeyRevokePayload:
        key = PostbackKeyModel.objects.filter(pk=parse_id(id)).first()
        if key is None:
            raise not_found("Postback key")
        key = postback_key_revoke(key, actor=info.context.user)
        return PostbackKeyRevokePayload(key=PostbackKey.from_model(key), errors=[])
