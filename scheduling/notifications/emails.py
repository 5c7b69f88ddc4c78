"""E-mail of scheduling: Django's mail framework, HTML + text templates, organization branding.

A message is three templates named from one stem: ``<stem>_subject.txt``, ``<stem>.txt`` and
``<stem>.html`` (e.g. ``scheduling/email/reminder``). Each gets the caller's context plus
``organization``, ``brand`` (name, absolute logo URL, primary colour) and ``site_url``; the HTML
ones extend ``scheduling/email/base.html``, which draws the branding.
"""

from __future__ import annotations

from email.message import Message
from email.mime.base import MIMEBase
from email.mime.text import MIMEText
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from accounts.models import Organization

#: (file name, content, MIME type with parameters, e.g. "text/calendar; method=REQUEST; charset=utf-8")
Attachment = tuple[str, bytes, str]

DEFAULT_COLOUR = "#2563eb"


def email_branding(organization: Organization | None) -> dict[str, str]:
    """The organization's name, logo (absolute URL: mail clients have no base) and colour."""
    if organization is None:
        return {"name": "TalentSync", "logo_url": "", "primary_color": DEFAULT_COLOUR}
    logo_url = ""
    if organization.logo:
        logo_url = organization.logo.url
        if not logo_url.startswith(("http://", "https://")):
            logo_url = settings.SITE_URL + logo_url
    return {
        "name": organization.name,
        "logo_url": logo_url,
        "primary_color": organization.primary_color or DEFAULT_COLOUR,
    }


def _from_address(organization: Organization | None) -> str:
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    if organization is None:
        return settings.DEFAULT_FROM_EMAIL
    # "Acme via TalentSync <no-reply@…>": recipients see who invites them, the sender domain stays ours
    return formataddr((f"{organization.name} via {name or 'TalentSync'}", address))


def _mime_part(filename: str, content: bytes, mimetype: str) -> MIMEBase:
    """A MIME part carrying every parameter of ``mimetype`` exactly once.

    Django's ``attach()`` would append its own ``charset`` to a type that already has parameters
    (``text/calendar; method=REQUEST; charset=utf-8; charset="utf-8"``); calendar clients read
    ``method`` from this header, so the part is built here.
    """
    header = Message()
    header["content-type"] = mimetype
    maintype, subtype = header.get_content_maintype(), header.get_content_subtype()
    params = [(k, v) for k, v in (header.get_params() or [])[1:] if k.lower() != "charset"]
    part: MIMEBase
    if maintype == "text":
        part = MIMEText(content.decode("utf-8"), subtype, "utf-8")
    else:
        from email import encoders

        part = MIMEBase(maintype, subtype)
        part.set_payload(content)
        encoders.encode_base64(part)
    for key, value in params:
        part.set_param(key, value)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def email_render(
    *, template: str, context: dict[str, Any], organization: Organization | None = None
) -> tuple[str, str, str]:
    """Subject, text and HTML of the message ``template`` (a stem, see the module docstring)."""
    full = {
        **context,
        "organization": organization,
        "brand": email_branding(organization),
        "site_url": settings.SITE_URL,
    }
    subject = " ".join(render_to_string(f"{template}_subject.txt", full).split())
    return subject, render_to_string(f"{template}.txt", full), render_to_string(f"{template}.html", full)


def email_send(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    organization: Organization | None = None,
    attachments: list[Attachment] | None = None,
) -> None:
    """Render ``template`` and send it to one address (raises when the mail server refuses)."""
    subject, text, html = email_render(template=template, context=context, organization=organization)
    message = EmailMultiAlternatives(subject=subject, body=text, from_email=_from_address(organization), to=[to])
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments or []:
        message.attach(_mime_part(filename, content, mimetype))
    message.send()
