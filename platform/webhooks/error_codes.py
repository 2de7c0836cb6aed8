from enum import StrEnum


class WebhookErrorCode(StrEnum):
    INVALID = "INVALID"
    INVALID_URL = "INVALID_URL"
    INSECURE_URL = "INSECURE_URL"  # http:// outside development
    BLOCKED_TARGET = "BLOCKED_TARGET"  # a private, loopback, link-local, multicast or reserved address
    UNRESOLVABLE_HOST = "UNRESOLVABLE_HOST"
    UNKNOWN_EVENT_TYPE = "UNKNOWN_EVENT_TYPE"
    NO_EVENT_TYPES = "NO_EVENT_TYPES"
    LIMIT_REACHED = "LIMIT_REACHED"
    ENDPOINT_DISABLED = "ENDPOINT_DISABLED"
