"""Builders of KYC tests: files (images with EXIF, PDFs), complete profiles through the services,
and the GraphQL multipart upload."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import User
from kyc.models import KycProfile
from kyc.services import document_upload, profile_save_draft, profile_submit
from tests.graphql_client import GraphQLClient

TODAY = dt.date.today()
GPS_TAG = 0x8825
RIB = "011519000001205000534921"

INDIVIDUAL = {
    "kind": "individual",
    "legal_name": "Amina El Idrissi",
    "date_of_birth": dt.date(1990, 5, 17),
    "nationality": "MA",
    "address": "12 rue Ibn Batouta",
    "city": "Casablanca",
    "postal_code": "20000",
    "country": "MA",
    "id_type": "cin",
    "id_number": "BE123456",
    "id_expiry": TODAY + dt.timedelta(days=3 * 365),
    "iban": RIB,
}
BUSINESS = {
    **INDIVIDUAL,
    "kind": "business",
    "company_name": "Atlas Digital SARL",
    "ice": "001561191000066",
    "rc": "123456",
    "tax_id": "12345678",
    "vat_number": "12345678",
    "legal_representative": "Amina El Idrissi",
    "registered_address": "5 boulevard Zerktouni, Casablanca",
}


def jpeg_with_exif(size: tuple[int, int] = (640, 400)) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[GPS_TAG] = {1: "N", 2: (33.0, 35.0, 0.0)}
    image = Image.new("RGB", size, "teal")
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif.tobytes())
    return output.getvalue()


def png_bytes() -> bytes:
    output = io.BytesIO()
    Image.new("RGBA", (200, 120), "navy").save(output, "PNG")
    return output.getvalue()


def pdf_bytes(padding: int = 0) -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n" + b"%" * padding + b"\ntrailer\n%%EOF\n"


def upload_file(user: User, kind: str, data: bytes | None = None, **fields: Any):
    return document_upload(user=user, kind=kind, file=ContentFile(data or jpeg_with_exif()), **fields)


def complete_profile(user: User, *, values: dict[str, Any] | None = None, submit: bool = True) -> KycProfile:
    """A profile with every field and document, submitted unless told (in the current tenant)."""
    values = values or INDIVIDUAL
    profile_save_draft(user=user, values=values)
    for kind in ("id_front", "id_back", "selfie"):
        upload_file(user, kind)
    if values.get("kind") == "business":
        upload_file(user, "company_registration", pdf_bytes())
    if submit:
        return profile_submit(user=user)
    return KycProfile.objects.get(user=user)


UPLOAD = """
mutation($kind: KycDocumentKind!, $file: Upload!, $expiresOn: Date) {
  kycDocumentUpload(kind: $kind, file: $file, expiresOn: $expiresOn) {
    document { id kind contentType sizeBytes }
    errors { field code message }
  }
}
"""


def gql_upload(
    client: GraphQLClient, kind: str, data: bytes, *, name: str = "id.jpg", content_type: str = "image/jpeg"
) -> dict[str, Any]:
    operations = {"query": UPLOAD, "variables": {"kind": kind, "file": None, "expiresOn": None}}
    response = client.client.post(
        "/graphql/",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.file"]}),
            "0": SimpleUploadedFile(name, data, content_type=content_type),
        },
        HTTP_HOST=client.host,
    )
    assert response.status_code in (200, 413), response.content
    if response.status_code == 413:
        return {"status": 413}
    body: dict[str, Any] = response.json()
    return body
