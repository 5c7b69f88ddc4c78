"""Upload checks: a résumé is a real PDF or DOCX of limited size, judged by content, not name."""

from __future__ import annotations

import zipfile
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

RESUME_MAX_BYTES = getattr(settings, "RESUME_MAX_BYTES", 5 * 1024 * 1024)


def validate_resume(upload: Any) -> None:
    size = getattr(upload, "size", 0) or 0
    if size > RESUME_MAX_BYTES:
        raise ValidationError(_("The résumé must be %(mb)d MB or smaller.") % {"mb": RESUME_MAX_BYTES // (1024 * 1024)})
    name = (getattr(upload, "name", "") or "").lower()
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if name.endswith(".pdf"):
        if not head.startswith(b"%PDF-"):
            raise ValidationError(_("This file is not a PDF."))
        return
    if name.endswith(".docx"):
        try:
            with zipfile.ZipFile(upload) as archive:
                if "word/document.xml" not in archive.namelist():
                    raise ValidationError(_("This file is not a Word (.docx) document."))
        except zipfile.BadZipFile as exc:
            raise ValidationError(_("This file is not a Word (.docx) document.")) from exc
        finally:
            upload.seek(0)
        return
    raise ValidationError(_("Upload the résumé as a PDF or a Word (.docx) file."))
