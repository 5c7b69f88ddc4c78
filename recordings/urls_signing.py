"""Expiring signed URLs of recordings, bound to one recording and one user.

The signature is a ``django.core.signing.TimestampSigner`` token with its own salt over
``"<recording pk>:<user pk>"``: it expires after ``RECORDING_URL_TTL_SECONDS``, cannot be used by
anyone else (the view compares it with the signed-in user) and does not replace the permission
check, which the view makes again on every request.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse

from recordings.models import Recording

_SALT = "talentsync.recordings.media-url.v1"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SALT)


def _value(recording_id: int, user_id: Any) -> str:
    return f"{recording_id}:{user_id}"


def recording_signature(*, recording: Recording, user: Any) -> str:
    """The ``sig`` query value for ``recording`` and ``user`` (only the timestamp and the MAC)."""
    signer = _signer()
    token = signer.sign(_value(recording.pk, user.pk))
    return token.split(signer.sep, 2)[-1]


def recording_signed_url(*, recording: Recording, user: Any) -> str:
    """The path of the recording's media stream, signed for ``user`` (valid for the TTL)."""
    path = reverse("recording_media", kwargs={"pk": recording.pk})
    return f"{path}?{urlencode({'sig': recording_signature(recording=recording, user=user)})}"


def recording_signature_valid(*, signature: str, recording_id: int, user: Any) -> bool:
    """Whether ``signature`` was made for this recording and this user, and has not expired."""
    if not signature or getattr(user, "pk", None) is None:
        return False
    signer = _signer()
    token = f"{_value(recording_id, user.pk)}{signer.sep}{signature}"
    try:
        signer.unsign(token, max_age=settings.RECORDING_URL_TTL_SECONDS)
    except signing.BadSignature:  # SignatureExpired is one
        return False
    return True
