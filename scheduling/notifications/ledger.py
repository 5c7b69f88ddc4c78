"""The delivery ledger: claim a message key once across workers and beat processes, then stamp it sent.

The unique ``Delivery.key`` decides between racing senders: the first INSERT wins and every
other one gets an IntegrityError. A claim whose sender died before stamping ``sent_at`` may be
taken over once it is older than :data:`CLAIM_STALE`, so a crashed worker delays a message but
does not lose it (at the price of a possible second copy if it died after sending).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from scheduling.models import Delivery

CLAIM_STALE = timedelta(minutes=15)


def delivery_claim(*, key: str, kind: str, now: datetime | None = None) -> Delivery | None:
    """Claim ``key`` for sending: the Delivery row, or None when it is sent or being sent elsewhere."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return Delivery.objects.create(key=key, kind=kind, claimed_at=now)
    except IntegrityError:
        pass
    # taken over only if still unsent and stale; the conditional UPDATE lets one racer win
    taken = Delivery.objects.filter(key=key, sent_at__isnull=True, claimed_at__lt=now - CLAIM_STALE).update(
        claimed_at=now
    )
    return Delivery.objects.get(key=key) if taken else None


def delivery_done(*, delivery: Delivery, now: datetime | None = None) -> None:
    """Stamp a claimed message as sent: nobody sends it again."""
    Delivery.objects.filter(pk=delivery.pk).update(sent_at=now or timezone.now())


def delivery_release(*, delivery: Delivery) -> None:
    """Give up a claim whose send failed, so the next run tries again at once."""
    Delivery.objects.filter(pk=delivery.pk, sent_at__isnull=True).delete()
