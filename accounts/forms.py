from __future__ import annotations

import zoneinfo
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts.models import Invitation, Organization, Role, User
from accounts.permissions import roles_user_may_invite
from accounts.services import invitation_check
from talentsync.errors import ApplicationError


def time_zone_choices() -> list[tuple[str, str]]:
    return [(tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz or tz == "UTC"]


class SignupForm(forms.Form):
    """Extra sign-up fields for allauth's form (e-mail and passwords come from allauth)."""

    full_name = forms.CharField(label=_("Full name"), max_length=150, strip=True)

    def clean_full_name(self) -> str:
        name = self.cleaned_data["full_name"].strip()
        if len(name) < 2:
            raise forms.ValidationError(_("Enter your full name."))
        return name

    def signup(self, request: Any, user: User) -> None:
        user.full_name = self.cleaned_data["full_name"]
        user.save(update_fields=["full_name"])


class OrganizationForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices, initial="UTC")
    slug = forms.SlugField(
        label=_("Short name for links"),
        required=False,
        max_length=60,
        help_text=_("Lower-case letters, digits and hyphens; made from the name when left empty."),
    )

    class Meta:
        model = Organization
        fields = ("name", "slug", "time_zone", "primary_color", "logo")
        widgets = {"primary_color": forms.TextInput(attrs={"type": "color"})}

    def clean_slug(self) -> str:
        slug = self.cleaned_data.get("slug") or slugify(self.cleaned_data.get("name", ""))[:60]
        if not slug:
            raise forms.ValidationError(_("Choose a short name made of letters and digits."))
        qs = Organization.objects.filter(slug=slug)
        if self.instance.pk:
            qs = qs.exclude(pk=self.instance.pk)
        if qs.exists():
            raise forms.ValidationError(_("“%(slug)s” is taken; choose another."), params={"slug": slug})
        return slug

    def clean_logo(self) -> Any:
        logo = self.cleaned_data.get("logo")
        if logo and getattr(logo, "size", 0) > settings.ORGANIZATION_LOGO_MAX_BYTES:
            raise forms.ValidationError(
                _("The logo must be %(kb)d KB or smaller."), params={"kb": settings.ORGANIZATION_LOGO_MAX_BYTES // 1024}
            )
        return logo


class InvitationForm(forms.ModelForm):
    """Invite someone by e-mail with a role; the roles offered depend on who is inviting."""

    class Meta:
        model = Invitation
        fields = ("email", "role")

    def __init__(self, *args: Any, organization: Organization | None, invited_by: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.invited_by = invited_by
        allowed = roles_user_may_invite(invited_by, organization) if organization else []
        role_field = cast(forms.ChoiceField, self.fields["role"])
        role_field.choices = [(r.value, r.label) for r in Role if r.value in allowed]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.organization is None:
            raise forms.ValidationError(_("Choose an organization first."))
        if not self.errors:
            try:
                cleaned["email"] = invitation_check(
                    organization=self.organization,
                    email=cleaned.get("email", ""),
                    role=cleaned.get("role", ""),
                    invited_by=self.invited_by,
                )
            except DjangoValidationError as exc:
                raise forms.ValidationError(exc.message_dict) from exc
            except ApplicationError as exc:
                raise forms.ValidationError(exc.message) from exc
        return cleaned

    def _post_clean(self) -> None:
        """Model validation is the service's job (``invitation_create``)."""
