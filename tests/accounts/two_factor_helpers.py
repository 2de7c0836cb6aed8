"""Helpers of the two-factor suites: enrol through the API, and compute codes with pyotp from
the secret of the otpauth URI, as an authenticator app would."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pyotp
from django_tenants.utils import tenant_context

from accounts.models import TwoFactor

SETUP_BEGIN = "mutation { twoFactorSetupBegin { secret otpauthUri qrCodeSvg errors { field code } } }"
SETUP_CONFIRM = (
    "mutation($c: String!) { twoFactorSetupConfirm(code: $c) { backupCodes errors { field code } } }"
)
LOGIN = """
mutation($e: String!, $p: String!) {
  login(input: {email: $e, password: $p}) { user { email } twoFactorRequired errors { field code } }
}
"""
VERIFY_LOGIN = (
    "mutation($c: String!) { loginVerifyTwoFactor(code: $c) { user { email } errors { field code } } }"
)
VERIFY = "mutation($c: String!) { twoFactorVerify(code: $c) { ok errors { field code } } }"
ME = "{ me { email } }"


def secret_of(otpauth_uri: str) -> str:
    return parse_qs(urlparse(otpauth_uri).query)["secret"][0]


def next_code(brand: Any, user: Any, secret: str) -> str:
    """The code of the current 30-second step, or of the next one when the current step's
    code was used already (the server accepts one step either side, each once). When both
    are spent, the user's last used step is moved back, as if a minute had passed, instead of
    sleeping (the replay tests use the very same code and step on purpose)."""
    totp = pyotp.TOTP(secret)
    with tenant_context(brand):
        row = TwoFactor.objects.filter(user_id=user.pk).first()
        last = row.last_used_step if row is not None else 0
        now_step = totp.timecode(_now())
        step = max(now_step, last + 1)
        if step > now_step + 1:
            TwoFactor.objects.filter(user_id=user.pk).update(last_used_step=now_step - 1)
            step = now_step
    return totp.generate_otp(step)


def _now() -> Any:
    import datetime as dt

    return dt.datetime.now(tz=dt.UTC)


def enrol(client: Any, brand: Any, user: Any) -> tuple[str, list[str]]:
    """Enrol through the API; returns the secret and the backup codes."""
    begin = client.data(SETUP_BEGIN)["twoFactorSetupBegin"]
    assert begin["errors"] == [], begin
    secret = secret_of(begin["otpauthUri"])
    assert secret == begin["secret"]
    confirm = client.data(SETUP_CONFIRM, {"c": next_code(brand, user, secret)})["twoFactorSetupConfirm"]
    assert confirm["errors"] == [], confirm
    return secret, confirm["backupCodes"]
