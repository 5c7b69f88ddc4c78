"""Forms of the calendar settings page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class IcsUrlForm(forms.Form):
    """One per organization on the page (prefix ``org<id>``, so ids stay unique)."""

    ics_url = forms.CharField(
        label=_("Busy calendar address (ICS)"),
        required=False,
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://calendar.example.com/private/basic.ics"}),
        help_text=_(
            "The private iCal/ICS address of your own calendar. Only the times you are busy are "
            "imported (never titles), for the next 8 weeks, every 30 minutes. Leave empty to stop."
        ),
    )


class CalDavForm(forms.Form):
    calendar_url = forms.URLField(
        label=_("Calendar URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "The CalDAV address of one calendar, e.g. https://cloud.example.com/remote.php/dav/calendars/me/work/"
        ),
    )
    username = forms.CharField(label=_("User name"), max_length=150, required=False)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Stored encrypted and never shown again. Leave empty to keep the stored one. Prefer an app password."
        ),
    )
    enabled = forms.BooleanField(label=_("Write my interviews into this calendar"), required=False, initial=True)
