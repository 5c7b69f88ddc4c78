"""The back office: the Django admin, for admins and recruiters of the current organization.

Access comes from the organization role (``can_access_back_office``), not from ``is_staff``:
roles are per organization, and a user who is a recruiter at Acme is a candidate elsewhere.
Anyone else is sent to their own pages; anonymous visitors log in through allauth (so 2FA
applies). ``OrgScopedAdmin`` scopes every list, lookup and choice to the current organization
and asks ``user_can`` for each permission.
"""

from __future__ import annotations

from functools import update_wrapper
from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from accounts.middleware import current_organization
from accounts.models import Organization
from accounts.permissions import can_access_back_office, user_can


class TalentSyncAdminSite(admin.AdminSite):
    site_header = _("TalentSync back office")
    site_title = _("TalentSync")
    index_title = _("Hiring at a glance")
    enable_nav_sidebar = True

    def has_permission(self, request: HttpRequest) -> bool:
        return can_access_back_office(request.user, current_organization(request))

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # A signed-in person without a back-office role goes straight to their own pages
            # (Django would send them to the admin's login form first).
            if request.user.is_authenticated and not self.has_permission(request):
                return redirect("back_office_denied")
            return inner(request, *args, **kwargs)

        return update_wrapper(wrapper, inner)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect("back_office_denied")
        return redirect_to_login(request.GET.get("next", "/admin/"))

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().each_context(request)
        context["current_organization"] = current_organization(request)
        return context


class OrgScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows, choices and permissions are those of the current organization."""

    #: lookup from the model to its Organization ("" for Organization itself)
    org_lookup = "organization"

    def scope(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if request.user.is_superuser:
            return queryset
        org = current_organization(request)
        if org is None:
            return queryset.none()
        if self.org_lookup in ("", "pk"):
            return queryset.filter(pk=org.pk)
        return queryset.filter(**{self.org_lookup: org})

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.scope(request, super().get_queryset(request))

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        # Django's admin redirects to the index for a missing object; another organization's
        # object must look exactly like one that does not exist: a plain 404.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("No such object in this organization."))
        return obj

    def _perm(self, request: HttpRequest, action: str, obj: Model | None) -> bool:
        opts = self.opts
        return user_can(
            request.user,
            f"{opts.app_label}.{action}_{opts.model_name}",
            obj,
            organization=current_organization(request),
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._perm(request, "view", obj) or self._perm(request, "change", obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._perm(request, "add", None)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._perm(request, "change", obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._perm(request, "delete", obj)

    def _scope_choices(self, field: Any, related: Any, request: HttpRequest) -> Any:
        """Limit a relation's choices to the current organization's rows (users: its members)."""
        if field is None or getattr(field, "queryset", None) is None or request.user.is_superuser:
            return field
        org = current_organization(request)
        if related is Organization:
            field.queryset = field.queryset.filter(pk=getattr(org, "pk", None))
        elif related is get_user_model():
            field.queryset = field.queryset.filter(memberships__organization=org).distinct()
        elif any(f.name == "organization" for f in related._meta.get_fields()):
            field.queryset = field.queryset.filter(organization=org)
        return field

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return self._scope_choices(field, db_field.related_model, request)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return self._scope_choices(field, db_field.related_model, request)
