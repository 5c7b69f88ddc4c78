"""PDF rendering with WeasyPrint: Django templates → branded, paginated A4 documents.

Every report is HTML from ``templates/reporting/pdf/`` (they extend ``base.html``, which holds
the @page rules: running header with the organization's logo and colour, "page x of y" footer).
The renderer fetches nothing: the logo is embedded as a ``data:`` URI and the URL fetcher
refuses every other scheme, so a report never reaches the network or the file system, whatever
text a candidate or recruiter typed into it.
"""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Callable
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Organization

#: a logo larger than this is left out (Organization.clean caps uploads at 512 KB already)
LOGO_MAX_BYTES = 1024 * 1024
DEFAULT_COLOUR = "#2563eb"

#: progress(percent) — a job's callback; reports call it between their stages
Progress = Callable[[int], None]


def _no_progress(percent: int) -> None:
    """Reports rendered in a request have nobody to tell."""


def logo_data_uri(organization: Organization) -> str:
    """The organization's logo as a ``data:`` URI ("" when it has none or it cannot be read)."""
    if not organization.logo:
        return ""
    mime = mimetypes.guess_type(organization.logo.name or "")[0] or "image/png"
    if not mime.startswith("image/"):
        return ""
    try:
        with organization.logo.open("rb") as handle:
            data = handle.read(LOGO_MAX_BYTES + 1)
    except OSError:
        return ""  # a missing file must not stop the report: the name stands in for it
    if len(data) > LOGO_MAX_BYTES:
        return ""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def branding(organization: Organization) -> dict[str, str]:
    return {
        "name": organization.name,
        "logo": logo_data_uri(organization),
        "primary_color": organization.primary_color or DEFAULT_COLOUR,
    }


def render_pdf(*, template: str, context: dict[str, Any], organization: Organization) -> bytes:
    """Render ``template`` with the organization's branding to PDF bytes."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string(
        template, {**context, "brand": branding(organization), "generated_at": timezone.now(), "org": organization}
    )
    fetcher = URLFetcher(allowed_protocols=["data"])
    return bytes(HTML(string=html, base_url="about:blank", url_fetcher=fetcher).write_pdf())
