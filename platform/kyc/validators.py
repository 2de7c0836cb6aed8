"""Validators of KYC fields. Each takes what the user typed and returns the compact value kept,
or raises a ``ValidationError`` with a code from ``kyc.error_codes``.

``python-stdnum`` knows Morocco's ICE (15 digits, 2 check digits) and the EU VAT numbers; it does
not know the other Moroccan identifiers, whose formats are written here:

- CIN (carte nationale d'identité électronique): 1 or 2 letters (the issuing region), then 3 to
  6 digits, e.g. ``BE123456``, ``A12345``.
- Passport: 6 to 9 letters and digits, at least one digit (Moroccan ones are 2 letters + 7
  digits; foreign passports vary).
- Residence card (carte de séjour): 1 or 2 letters, 4 to 8 digits, an optional final letter.
- RC (registre de commerce): the number in the court's register, 1 to 7 digits.
- IF (identifiant fiscal): 7 or 8 digits (older numbers have 7).
- TVA: in Morocco the VAT identification is a fiscal number (7 or 8 digits); a foreign EU VAT
  number (country prefix) is checked by stdnum.
- RIB: 24 digits: bank (3), city (3), account (16), key (2), where
  key = 97 - (first 22 digits x 100 mod 97). A valid RIB is kept as its IBAN (``MA`` + IBAN
  check digits + the RIB), checked again by ``schwifty``; any other IBAN goes through schwifty.
"""

from __future__ import annotations

import datetime as dt
import re

import pycountry
from django.core.exceptions import ValidationError
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.ma import ice as ma_ice

from kyc.error_codes import KycErrorCode as Code

ADULT_AGE = 18

_CIN = re.compile(r"[A-Z]{1,2}[0-9]{3,6}")
_PASSPORT = re.compile(r"(?=.*[0-9])[A-Z0-9]{6,9}")
_RESIDENCE_CARD = re.compile(r"[A-Z]{1,2}[0-9]{4,8}[A-Z]?")
_RC = re.compile(r"[0-9]{1,7}")
_IF = re.compile(r"[0-9]{7,8}")
_RIB = re.compile(r"[0-9]{24}")


def compact(value: str) -> str:
    """Upper case, without spaces, dots, dashes or slashes."""
    return re.sub(r"[\s./-]", "", value or "").upper()


def cin_validate(value: str) -> str:
    number = compact(value)
    if not _CIN.fullmatch(number):
        raise ValidationError(
            "A CIN is 1 or 2 letters followed by 3 to 6 digits (e.g. BE123456).", code=Code.INVALID_CIN
        )
    return number


def passport_validate(value: str) -> str:
    number = compact(value)
    if not _PASSPORT.fullmatch(number):
        raise ValidationError("A passport number is 6 to 9 letters and digits.", code=Code.INVALID_PASSPORT)
    return number


def residence_card_validate(value: str) -> str:
    number = compact(value)
    if not _RESIDENCE_CARD.fullmatch(number):
        raise ValidationError(
            "A residence card number is 1 or 2 letters followed by 4 to 8 digits.",
            code=Code.INVALID_RESIDENCE_CARD,
        )
    return number


ID_VALIDATORS = {
    "cin": cin_validate,
    "passport": passport_validate,
    "residence_card": residence_card_validate,
}


def id_number_validate(id_type: str, value: str) -> str:
    validator = ID_VALIDATORS.get(id_type)
    if validator is None:
        raise ValidationError("Choose the type of identity document.", code=Code.INVALID)
    return validator(value)


def ice_validate(value: str) -> str:
    try:
        return str(ma_ice.validate(value or ""))
    except StdnumError as error:
        raise ValidationError(
            "An ICE is 15 digits whose last two check the others.", code=Code.INVALID_ICE
        ) from error


def rc_validate(value: str) -> str:
    number = compact(value).removeprefix("RC")
    if not _RC.fullmatch(number):
        raise ValidationError("An RC number is 1 to 7 digits.", code=Code.INVALID_RC)
    return number


def if_validate(value: str) -> str:
    number = compact(value).removeprefix("IF")
    if not _IF.fullmatch(number):
        raise ValidationError("An identifiant fiscal (IF) is 7 or 8 digits.", code=Code.INVALID_IF)
    return number


def tva_validate(value: str) -> str:
    number = compact(value)
    if number[:2].isalpha() and number[:2] != "MA":
        try:
            return str(eu_vat.validate(number))
        except StdnumError as error:
            raise ValidationError("This VAT number is not valid.", code=Code.INVALID_TVA) from error
    number = number.removeprefix("MA")
    if not _IF.fullmatch(number):
        raise ValidationError(
            "A Moroccan VAT number is 7 or 8 digits (or give an EU VAT number with its country prefix).",
            code=Code.INVALID_TVA,
        )
    return number


def rib_key(first_22_digits: str) -> int:
    return 97 - (int(first_22_digits) * 100) % 97


def rib_validate(value: str) -> str:
    """A Moroccan RIB (24 digits with its key) -> its IBAN (compact)."""
    number = compact(value)
    if not _RIB.fullmatch(number):
        raise ValidationError("A Moroccan RIB is 24 digits.", code=Code.INVALID_RIB)
    if rib_key(number[:22]) != int(number[22:]):
        raise ValidationError("This RIB's key (its last two digits) does not match.", code=Code.INVALID_RIB)
    check = 98 - int(number + "2210" + "00") % 97  # "MA00" moved to the end: M=22, A=10
    return iban_validate(f"MA{check:02d}{number}")


def iban_validate(value: str) -> str:
    try:
        return str(IBAN(value).compact)
    except SchwiftyException as error:
        raise ValidationError("This IBAN is not valid.", code=Code.INVALID_IBAN) from error


def bank_account_validate(value: str) -> str:
    """A Moroccan RIB (24 digits) or any IBAN; kept as the IBAN."""
    number = compact(value)
    if number.isdigit():
        return rib_validate(number)
    return iban_validate(number)


def country_validate(value: str) -> str:
    code = (value or "").strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValidationError("Choose a country (ISO code, e.g. MA).", code=Code.INVALID_COUNTRY)
    return code


def years_between(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def adult_validate(born: dt.date, *, today: dt.date) -> dt.date:
    if born > today:
        raise ValidationError("The date of birth is in the future.", code=Code.INVALID)
    if years_between(born, today) < ADULT_AGE:
        raise ValidationError(f"You must be at least {ADULT_AGE} years old.", code=Code.UNDERAGE)
    return born


def not_expired_validate(expiry: dt.date, *, today: dt.date) -> dt.date:
    if expiry <= today:
        raise ValidationError("This document has expired.", code=Code.ID_EXPIRED)
    return expiry
