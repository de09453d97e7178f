"""Signed webhooks to banks (issue 14): endpoints, emitting events, delivery, the log.

Other capabilities call :meth:`Webhooks.emit` with one of :class:`WebhookEvent`'s types inside
their transaction; ``delivery.py`` documents what a bank receives and how to verify it.
"""

from xinyidai.domain.webhooks.services import Webhooks
from xinyidai.models.webhooks import DeliveryStatus, WebhookEvent

CONSENT_REVOKED = WebhookEvent.CONSENT_REVOKED
CONSENT_EXPIRED = WebhookEvent.CONSENT_EXPIRED
PROFILE_UPDATED = WebhookEvent.PROFILE_UPDATED

__all__ = [
    "CONSENT_EXPIRED",
    "CONSENT_REVOKED",
    "PROFILE_UPDATED",
    "DeliveryStatus",
    "WebhookEvent",
    "Webhooks",
]
