"""The one webhook event that is not a domain event: ``webhook.test``, sent on request to one
endpoint (whatever events it chose), listed in the developer catalogue beside the registry's."""

from __future__ import annotations

from core.events import EventType, PayloadField

TEST_EVENT_TYPE = EventType(
    name="webhook.test",
    version=1,
    description="A test event sent from the webhooks page to one endpoint, to check the receiver.",
    fields={
        "endpoint_id": PayloadField("integer", "The endpoint it was sent to."),
        "message": PayloadField("string", "A sentence saying it is a test."),
    },
)
