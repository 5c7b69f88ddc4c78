from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.admin_site import OrgScopedAdmin
from accounts.forms import InvitationForm, OrganizationForm
from accounts.middleware import current_organization
from accounts.models import AuditLog, Invitation, Membership, Organization, Role, User
from talentsync.errors import ApplicationError

admin.site.unregister(Group)


@admin.register(Organization)
class OrganizationAdmin(OrgScopedAdmin):
    org_lookup = "pk"
    form = OrganizationForm
    list_display = ("name", "slug", "plan", "time_zone", "colour_swatch", "require_mfa_for_staff", "member_count")
    list_filter = ("plan", "require_mfa_for_staff")
    search_fields = ("name", "slug")
    readonly_fields = ("slug", "created_at", "updated_at")
    fields = (
        "name",
        "slug",
        "time_zone",
        "primary_color",
        "logo",
        "plan",
        "require_mfa_for_staff",
        "created_at",
        "updated_at",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields.append("plan")
        return fields

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        kwargs["fields"] = [f for f in self.fields if f not in self.get_readonly_fields(request, obj)]
        return super().get_form(request, obj, change, **kwargs)

    @admin.display(description=_("colour"))
    def colour_swatch(self, obj: Organization) -> str:
        return format_html(
            '<span class="swatch" style="background:{}"></span> {}', obj.primary_color, obj.primary_color
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(members=Count("memberships"))

    @admin.display(description=_("members"), ordering="members")
    def member_count(self, obj: Organization) -> int:
        return getattr(obj, "members", 0)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def save_model(self, request: HttpRequest, obj: Organization, form: ModelForm, change: bool) -> None:
        if not change:
            obj.save()
            services.audit_record(action="organization.create", actor=request.user, target=obj)  # type: ignore[arg-type]
            return
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in form.cleaned_data}
        fresh = Organization.objects.get(pk=obj.pk)
        services.organization_update(organization=fresh, actor=request.user, data=data)  # type: ignore[arg-type]


@admin.register(Membership)
class MembershipAdmin(OrgScopedAdmin):
    list_display = ("user_email", "user_name", "role", "organization", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "user__full_name")
    list_select_related = ("user", "organization")
    fields = ("user", "organization", "role", "created_at")
    readonly_fields = ("user", "organization", "created_at")
    date_hierarchy = "created_at"

    @admin.display(description=_("e-mail"), ordering="user__email")
    def user_email(self, obj: Membership) -> str:
        return obj.user.email

    @admin.display(description=_("name"), ordering="user__full_name")
    def user_name(self, obj: Membership) -> str:
        return obj.user.full_name

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # people join through invitations

    def save_model(self, request: HttpRequest, obj: Membership, form: ModelForm, change: bool) -> None:
        services.membership_change_role(membership=Membership.objects.get(pk=obj.pk), role=obj.role, actor=request.user)  # type: ignore[arg-type]

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        services.membership_remove(membership=obj, actor=request.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        # All or nothing: removing the last admin half-way through must not leave a partial purge.
        try:
            with transaction.atomic():
                for membership in queryset:
                    services.membership_remove(membership=membership, actor=request.user)  # type: ignore[arg-type]
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().changeform_view(request, *args, **kwargs)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect(request.path)

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().delete_view(request, *args, **kwargs)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect("admin:accounts_membership_changelist")


class InvitationStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return Invitation.Status.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> QuerySet[Invitation]:
        now = timezone.now()
        value = self.value()
        if value == Invitation.Status.PENDING:
            return queryset.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)
        if value == Invitation.Status.ACCEPTED:
            return queryset.filter(accepted_at__isnull=False)
        if value == Invitation.Status.REVOKED:
            return queryset.filter(accepted_at__isnull=True, revoked_at__isnull=False)
        if value == Invitation.Status.EXPIRED:
            return queryset.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__lte=now)
        return queryset


@admin.register(Invitation)
class InvitationAdmin(OrgScopedAdmin):
    list_display = ("email", "role", "status_label", "invited_by", "expires_at", "sent_count", "created_at")
    list_filter = (InvitationStatusFilter, "role")
    search_fields = ("email",)
    list_select_related = ("invited_by", "organization")
    date_hierarchy = "created_at"
    actions = ("resend", "revoke")
    readonly_fields = (
        "organization",
        "email",
        "role",
        "invited_by",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
        "sent_count",
        "created_at",
    )

    @admin.display(description=_("status"))
    def status_label(self, obj: Invitation) -> str:
        return obj.get_status_label()

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is not None:
            return super().get_form(request, obj, change, **kwargs)
        organization = current_organization(request)
        inviter = cast(User, request.user)

        class Form(InvitationForm):
            def __init__(self, *args: Any, **kw: Any):
                super().__init__(*args, organization=organization, invited_by=inviter, **kw)

        return Form

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ("email", "role")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the audit trail keeps the invitation

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        if current_organization(request) is None:
            self.message_user(request, _("Choose an organization first."), messages.ERROR)
            return redirect("admin:index")
        return super().add_view(request, form_url, extra_context)

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        invitation, _token = services.invitation_create(
            organization=current_organization(request),  # type: ignore[arg-type]
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            invited_by=request.user,  # type: ignore[arg-type]
        )
        return invitation

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Already saved by ``invitation_create`` in ``save_form``."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """An invitation has no related rows to save."""

    @admin.action(description=_("Resend the selected invitations (new link, new expiry)"))
    def resend(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        self._run(request, queryset, services.invitation_resend, _("Resent %(n)d invitation(s)."))

    @admin.action(description=_("Revoke the selected invitations"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        self._run(request, queryset, services.invitation_revoke, _("Revoked %(n)d invitation(s)."))

    def _run(self, request: HttpRequest, queryset: QuerySet[Invitation], service: Any, done: Any) -> None:
        count = 0
        for invitation in queryset:
            try:
                service(invitation=invitation, actor=request.user)
                count += 1
            except ApplicationError as exc:
                self.message_user(request, f"{invitation.email}: {exc.message}", messages.WARNING)
        if count:
            self.message_user(request, done % {"n": count}, messages.SUCCESS)


@admin.register(AuditLog)
class AuditLogAdmin(OrgScopedAdmin):
    list_display = ("created_at", "actor_label", "action", "target_kind", "target_repr", "ip_address")
    list_filter = (
        "action",
        ("target_type", admin.RelatedOnlyFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("actor_label", "action", "target_repr", "ip_address")
    date_hierarchy = "created_at"
    list_select_related = ("target_type",)
    readonly_fields = (
        "created_at",
        "organization",
        "actor",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "changes",
        "ip_address",
    )

    @admin.display(description=_("object type"), ordering="target_type")
    def target_kind(self, obj: AuditLog) -> str:
        return obj.target_type.name if obj.target_type else "—"

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MemberRoleFilter(admin.SimpleListFilter):
    """Role in the current organization (a role held elsewhere must not match)."""

    title = _("role here")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return Role.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        org = current_organization(request)
        if self.value() and org is not None:
            return queryset.filter(
                pk__in=Membership.objects.filter(organization=org, role=self.value()).values("user_id")
            )
        return queryset


@admin.register(User)
class UserAdmin(OrgScopedAdmin, DjangoUserAdmin):
    """Members of the current organization: read-only, without secrets, for org admins.

    An account is personal and may belong to several organizations, so only its owner (or a
    platform superuser) changes it; organizations manage roles through memberships.
    """

    org_lookup = "memberships__organization"
    list_display = ("email", "full_name", "role_here", "is_active", "last_login")
    list_filter = ("is_active", MemberRoleFilter)
    search_fields = ("email", "full_name")
    ordering = ("email",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("full_name", "time_zone")}),
        (_("Platform"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    member_fieldsets = (
        (None, {"fields": ("email", "full_name", "time_zone")}),
        (_("Activity"), {"fields": ("is_active", "last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request).distinct()
        org = current_organization(request)
        here = Membership.objects.filter(organization=org) if org is not None else Membership.objects.none()
        return queryset.prefetch_related(Prefetch("memberships", queryset=here, to_attr="memberships_here"))

    @admin.display(description=_("role here"))
    def role_here(self, obj: User) -> str:
        return ", ".join(m.get_role_display() for m in getattr(obj, "memberships_here", []))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return self.member_fieldsets  # never the password hash or platform flags

    def _perm(self, request: HttpRequest, action: str, obj: Any) -> bool:
        if request.user.is_superuser:
            return True
        if action != "view":
            return False
        return super()._perm(request, action, None)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
            return ()
        return [f for _name, opts in self.member_fieldsets for f in opts["fields"]]

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.audit_record(
            action="user.update" if change else "user.create",
            actor=request.user,  # type: ignore[arg-type]
            target=obj,
            changes={"fields": sorted(form.changed_data)},
        )


# --- API keys ---------------------------------------------------------------------------
from accounts.api_keys import api_key_create, api_key_revoke  # noqa: E402
from accounts.models import APIKey  # noqa: E402


class APIKeyAddForm(ModelForm):
    class Meta:
        model = APIKey
        fields = ("name", "role")


@admin.register(APIKey)
class APIKeyAdmin(OrgScopedAdmin):
    """Keys for integrations: made here (the raw key is shown once), revoked, never shown again."""

    list_display = ("name", "prefix", "role", "created_at", "created_by", "last_used_at", "revoked_at")
    list_filter = ("role", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix")
    list_select_related = ("created_by",)
    actions = ("revoke",)
    # Never the hash: it is not secret by itself, but nobody needs it and it invites misuse.
    readonly_fields = ("name", "prefix", "role", "created_by", "created_at", "last_used_at", "revoked_at")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            return APIKeyAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ("name", "role")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change page is read-only; the list still needs "change" for the revoke action.
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the audit log keeps pointing at the key

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        if current_organization(request) is None:
            self.message_user(request, _("Choose an organization first."), messages.ERROR)
            return redirect("admin:index")
        return super().add_view(request, form_url, extra_context)

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        key, raw = api_key_create(
            organization=current_organization(request),  # type: ignore[arg-type]
            name=form.cleaned_data["name"],
            role=form.cleaned_data["role"],
            created_by=request.user,  # type: ignore[arg-type]
        )
        self.message_user(
            request,
            _("The new key is %(key)s — copy it now: it is stored hashed and will not be shown again.") % {"key": raw},
            messages.WARNING,
        )
        return key

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Already saved by ``api_key_create`` in ``save_form``."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """A key has no related rows to save."""

    @admin.action(description=_("Revoke the selected API keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[APIKey]) -> None:
        count = 0
        for key in queryset:
            try:
                api_key_revoke(key=key, actor=request.user)  # type: ignore[arg-type]
                count += 1
            except ApplicationError as exc:
                self.message_user(request, f"{key}: {exc.message}", messages.WARNING)
        if count:
            self.message_user(request, _("Revoked %(n)d key(s).") % {"n": count}, messages.SUCCESS)
