from enum import StrEnum


class AnalyticsErrorCode(StrEnum):
    INVALID_RANGE = "INVALID_RANGE"
    INVALID_FILTER = "INVALID_FILTER"
    FORBIDDEN = "FORBIDDEN"
