"""Demo data of KYC for `make run`: one identity verification submitted and awaiting the brand
admin's review, with small generated document images (never a real person's)."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import User
from kyc.models import KycProfile, KycStatus
from kyc.services import document_upload, profile_save_draft, profile_submit

# What a demo ID card and selfie look like: a coloured card with its label, 320 x 200.
_DOCUMENTS = {
    "id_front": ("#1f4e79", "ID CARD - FRONT"),
    "id_back": ("#2e75b6", "ID CARD - BACK"),
    "selfie": ("#c55a11", "SELFIE"),
}


def demo_document_image(kind: str, name: str) -> bytes:
    """A small JPEG standing for a document of ``kind`` (marked SPECIMEN)."""
    color, label = _DOCUMENTS[kind]
    image = Image.new("RGB", (320, 200), color)
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 309, 189), outline="white", width=3)
    draw.text((24, 28), label, fill="white")
    draw.text((24, 80), name, fill="white")
    draw.text((24, 150), "SPECIMEN - DEMO", fill="white")
    output = io.BytesIO()
    image.save(output, "JPEG", quality=80)
    return output.getvalue()


def demo_kyc_submission_ensure(*, user: User, french: bool = False) -> KycProfile | None:
    """``user``'s identity verification, filled in, documents uploaded and submitted through the
    services, so the brand admin's KYC queue has one profile to review. Idempotent: a profile
    already past its draft (submitted, or since decided in the demo) is left as it is."""
    profile = KycProfile.objects.filter(user=user).first()
    if profile is not None and profile.status != KycStatus.DRAFT:
        return None
    today = timezone.localdate()
    name = "Yasmine Benali" if french else "Amina El Idrissi"
    profile_save_draft(
        user=user,
        values={
            "kind": "individual",
            "legal_name": name,
            "date_of_birth": dt.date(1992, 4, 9),
            "nationality": "MA",
            "address": "12 rue Ibn Batouta",
            "city": "Casablanca",
            "postal_code": "20000",
            "country": "MA",
            "id_type": "cin",
            "id_number": "BE123456",
            "id_expiry": today + dt.timedelta(days=3 * 365),
            "iban": "011519000001205000534921",
        },
    )
    for kind in _DOCUMENTS:
        document_upload(
            user=user, kind=kind, file=ContentFile(demo_document_image(kind, name), name=f"{kind}.jpg")
        )
    return profile_submit(user=user)
