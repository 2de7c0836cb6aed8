from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    OPERATOR = "operator", "Operator"
    BRAND_ADMIN = "brand_admin", "Brand admin"
    # Brand support staff: may read the brand's contact inbox; nothing that moves money or
    # changes settings (see README, "Roles").
    STAFF = "staff", "Staff"
    MERCHANT = "merchant", "Merchant"
    AFFILIATE = "affiliate", "Affiliate"
    CUSTOMER = "customer", "Customer"


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(email=email.strip().lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        """``manage.py createsuperuser`` makes a platform operator (run it on the public schema,
        the default; ``manage.py operator_create`` does the same with the project's checks)."""
        fields.pop("is_staff", None)
        fields.pop("is_superuser", None)
        fields["role"] = Role.OPERATOR
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser):
    """A person inside one brand (or an operator, in the public schema).

    The table lives in each brand's schema, so the same email may exist independently in
    two brands, and a session or token of one brand means nothing in another.
    """

    email = models.EmailField(max_length=254, unique=True)  # stored lowercased
    full_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CUSTOMER)
    # A role asked for at signup that a brand admin must grant first (a merchant, when the
    # brand's merchant signup is by approval); ``role`` stays customer until then.
    requested_role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    # The password hash chosen at signup. It becomes the password once the emailed sign-in link
    # proves the address: signup cannot be used to learn who has an account (see user_signup).
    signup_password = models.CharField(max_length=128, blank=True)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()

    def __str__(self) -> str:
        return self.email


class ApiTokenScope(models.TextChoices):
    READ = "read", "Read: queries and subscriptions"
    WRITE = "write", "Write: mutations"


class ApiToken(models.Model):
    """A personal API token for integrations, sent as ``Authorization: Bearer <token>``.

    Only a SHA-256 of the secret is stored (tokens are 256-bit random, so a slow hash adds
    nothing); the prefix stays visible so a user can tell tokens apart.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = ArrayField(models.CharField(max_length=10, choices=ApiTokenScope.choices))
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class MagicLink(models.Model):
    """A single-use login link. The secret is generated when the email is sent, by the task,
    so it never travels through the broker; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="magic_links")
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    requested_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"magic link for {self.user_id}"


class UserSession(models.Model):
    """A signed-in browser, beside Django's session row: what the person (and brand admins)
    see in the session list and revoke.

    Only a SHA-256 of the session key is stored, so this table cannot be used to take over a
    session. The IP address is kept as its network (/24 for IPv4, /48 for IPv6) and the
    country when a trusted proxy names it: enough to recognise "my office" or "not me", not
    enough to locate a person. ``last_seen_at`` moves at most once a minute.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ip_network = models.CharField(max_length=49, blank=True)
    country = models.CharField(max_length=2, blank=True)
    device_type = models.CharField(max_length=10, blank=True)
    browser = models.CharField(max_length=60, blank=True)
    os = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        indexes = [models.Index(fields=["user", "-last_seen_at"], name="accounts_session_user_seen")]

    def __str__(self) -> str:
        return f"session {self.pk} of {self.user_id}"


class Invitation(models.Model):
    """An emailed invitation to join the brand with a role (merchant, brand admin, staff).

    Only the SHA-256 of the token is stored; the token is made by the sending task (like a
    magic link's), so it never travels through the broker. Resending makes a new token, which
    kills the old one. Valid once, for ``INVITATION_TTL`` after the last send.
    """

    email = models.EmailField(max_length=254)  # stored lowercased
    role = models.CharField(max_length=20, choices=Role.choices)
    full_name = models.CharField(max_length=150, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    inviter = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations_accepted"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open invitation per address: a second one is a resend.
            models.UniqueConstraint(
                fields=["email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="accounts_invitation_one_open_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"invitation of {self.email} as {self.role}"

    @property
    def status(self) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class TwoFactor(models.Model):
    """A user's TOTP authenticator (RFC 6238, 30-second steps, 6 digits).

    The secret is stored encrypted (``accounts.two_factor_crypto``); ``confirmed_at`` is set
    once the user proved the authenticator works; until then the row is an enrolment under
    way. ``last_used_step`` is the time step of the last accepted code: a code is accepted
    only for a later step, so each code works once (updated under the row lock)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True, related_name="two_factor")
    secret_encrypted = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"two-factor of {self.user_id}"


class TwoFactorBackupCode(models.Model):
    """A single-use backup code; only a keyed hash (HMAC-SHA256) is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="two_factor_backup_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="accounts_backup_code_unique"),
        ]

    def __str__(self) -> str:
        return f"backup code of {self.user_id}"
