from enum import StrEnum


class SupportErrorCode(StrEnum):
    REQUIRED = "REQUIRED"
    INVALID_EMAIL = "INVALID_EMAIL"
    TOO_LONG = "TOO_LONG"
    INVALID_STATUS = "INVALID_STATUS"
    RATE_LIMITED = "RATE_LIMITED"
