from enum import StrEnum


class StatementErrorCode(StrEnum):
    INVALID = "INVALID"
    INVALID_PERIOD = "INVALID_PERIOD"
    INVALID_RATE = "INVALID_RATE"
    NOT_FOUND = "NOT_FOUND"
