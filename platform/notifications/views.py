"""The endpoint a brand's Telegram bot posts its updates to (see ``notifications.telegram``)."""

from __future__ import annotations

import json
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from notifications.models import ChannelKind, NotificationChannel
from notifications.telegram import telegram_update_authentic, telegram_update_handle

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@csrf_exempt  # the secret token Telegram sends back authenticates the request, not a cookie
@require_POST
def telegram_webhook_view(request: HttpRequest, channel_id: int) -> HttpResponse:
    """200 with an optional Bot API call as the answer (Telegram runs it); 403 without the
    right secret token; 404 for a channel this brand does not have. Telegram retries non-2xx
    answers, so an update we cannot read is acknowledged and dropped."""
    channel = NotificationChannel.objects.filter(pk=channel_id, kind=ChannelKind.TELEGRAM).first()
    if channel is None:
        return HttpResponse(status=404)
    if not telegram_update_authentic(channel, request.headers.get(SECRET_HEADER, "")):
        return HttpResponse(status=403)
    try:
        update = json.loads(request.body)
    except ValueError:
        logger.info("telegram update for channel %s is not JSON", channel_id)
        return HttpResponse(status=200)
    answer = telegram_update_handle(update) if isinstance(update, dict) else None
    return JsonResponse(answer) if answer is not None else HttpResponse(status=200)
