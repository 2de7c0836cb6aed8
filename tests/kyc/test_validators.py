"""Each KYC validator on valid and invalid samples (python-stdnum for ICE and EU VAT, schwifty
for IBANs, the project's own for CIN, passport, residence card, RC, IF, TVA and the RIB key)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from kyc import validators as v


def _code(call, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return str(caught.value.error_list[0].code)


@pytest.mark.parametrize(
    ("raw", "kept"), [("BE123456", "BE123456"), ("a 12345", "A12345"), ("JK-9876", "JK9876")]
)
def test_cin_valid(raw, kept):
    assert v.cin_validate(raw) == kept


@pytest.mark.parametrize("raw", ["123456", "ABC12345", "B12", "BE1234567", ""])
def test_cin_invalid(raw):
    assert _code(v.cin_validate, raw) == "INVALID_CIN"


@pytest.mark.parametrize("raw", ["AB1234567", "c01x00t47", "123456"])
def test_passport_valid(raw):
    assert v.passport_validate(raw) == raw.upper()


@pytest.mark.parametrize("raw", ["ABCDEFG", "A1", "AB12345678", "AB 12?345"])
def test_passport_invalid(raw):
    assert _code(v.passport_validate, raw) == "INVALID_PASSPORT"


@pytest.mark.parametrize("raw", ["E12345678", "E1234567F", "WB1234"])
def test_residence_card_valid(raw):
    assert v.residence_card_validate(raw) == raw


@pytest.mark.parametrize("raw", ["12345678", "E123", "EFG12345"])
def test_residence_card_invalid(raw):
    assert _code(v.residence_card_validate, raw) == "INVALID_RESIDENCE_CARD"


def test_id_number_follows_the_id_type():
    assert v.id_number_validate("cin", "BE123456") == "BE123456"
    assert _code(v.id_number_validate, "passport", "BE12") == "INVALID_PASSPORT"
    assert _code(v.id_number_validate, "driving_licence", "BE123456") == "INVALID"


@pytest.mark.parametrize(
    ("raw", "kept"), [("001561191000066", "001561191000066"), ("00 21 36 09 30 00 040", "002136093000040")]
)
def test_ice_valid(raw, kept):
    assert v.ice_validate(raw) == kept


@pytest.mark.parametrize("raw", ["001561191000065", "12345", "00156119100006A", ""])
def test_ice_invalid(raw):
    assert _code(v.ice_validate, raw) == "INVALID_ICE"


@pytest.mark.parametrize(("raw", "kept"), [("123456", "123456"), ("RC 45.678", "45678"), ("7", "7")])
def test_rc_valid(raw, kept):
    assert v.rc_validate(raw) == kept


@pytest.mark.parametrize("raw", ["12345678", "ABC", ""])
def test_rc_invalid(raw):
    assert _code(v.rc_validate, raw) == "INVALID_RC"


@pytest.mark.parametrize(("raw", "kept"), [("12345678", "12345678"), ("IF 1234567", "1234567")])
def test_if_valid(raw, kept):
    assert v.if_validate(raw) == kept


@pytest.mark.parametrize("raw", ["123456", "12A45678", "123456789"])
def test_if_invalid(raw):
    assert _code(v.if_validate, raw) == "INVALID_IF"


@pytest.mark.parametrize(
    ("raw", "kept"), [("12345678", "12345678"), ("MA 1234567", "1234567"), ("FR40303265045", "FR40303265045")]
)
def test_tva_valid(raw, kept):
    assert v.tva_validate(raw) == kept


@pytest.mark.parametrize("raw", ["FR40303265046", "123", "MA12AB"])
def test_tva_invalid(raw):
    assert _code(v.tva_validate, raw) == "INVALID_TVA"


def _rib(first_22: str) -> str:
    return f"{first_22}{v.rib_key(first_22):02d}"


def test_rib_key_and_iban():
    # A published Moroccan IBAN: MA64 + the RIB 011 519 0000012050005349 21.
    assert v.rib_key("0115190000012050005349") == 21
    assert v.rib_validate("011 519 0000012050005349 21") == "MA64011519000001205000534921"
    made = _rib("0077800000123456789012")
    assert v.bank_account_validate(made).startswith("MA")
    assert v.bank_account_validate(made).endswith(made)


@pytest.mark.parametrize(
    "raw", ["011519000001205000534922", "01151900000120500053492", "0115190000012050005349211"]
)
def test_rib_invalid(raw):
    assert _code(v.rib_validate, raw) == "INVALID_RIB"


def test_iban_valid_and_invalid():
    assert v.bank_account_validate("FR14 2004 1010 0505 0001 3M02 606") == "FR1420041010050500013M02606"
    assert v.bank_account_validate("MA64 0115 1900 0001 2050 0053 4921") == "MA64011519000001205000534921"
    assert _code(v.bank_account_validate, "FR14 2004 1010 0505 0001 3M02 607") == "INVALID_IBAN"
    assert _code(v.bank_account_validate, "MA65011519000001205000534921") == "INVALID_IBAN"


def test_country():
    assert v.country_validate("ma") == "MA"
    assert _code(v.country_validate, "XX") == "INVALID_COUNTRY"
    assert _code(v.country_validate, "MAR") == "INVALID_COUNTRY"


def test_under_18_is_refused_and_18_today_passes():
    today = dt.date(2026, 12, 7)
    assert v.adult_validate(dt.date(2008, 12, 7), today=today) == dt.date(2008, 12, 7)
    assert _code(v.adult_validate, dt.date(2008, 12, 8), today=today) == "UNDERAGE"
    assert _code(v.adult_validate, dt.date(2027, 1, 1), today=today) == "INVALID"


def test_expired_id_is_refused():
    today = dt.date(2026, 12, 7)
    assert v.not_expired_validate(dt.date(2026, 12, 8), today=today)
    assert _code(v.not_expired_validate, today, today=today) == "ID_EXPIRED"
    assert _code(v.not_expired_validate, dt.date(2020, 1, 1), today=today) == "ID_EXPIRED"
