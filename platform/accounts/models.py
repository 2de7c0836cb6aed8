from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    OPERATOR = "operator", "Operator"
    BRAND_ADMIN = "brand_admin", "Brand admin"
    MERCHANT = "merchant", "Merchant"
    AFFILIATE = "affiliate", "Affiliate"
    CUSTOMER = "customer", "Customer"


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(email=email.strip().lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user


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
