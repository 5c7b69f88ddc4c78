"""Shared pieces of the hiring back office: the base admin, the base inline and form helpers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.admin_site import OrgScopedAdmin
from accounts.middleware import current_organization
from accounts.models import Organization
from accounts.services import audit_record
from interviews import exports
from interviews.models import PipelineStage
from talentsync.errors import ApplicationError

#: models without an ``organization`` column, and the lookup that reaches it
_ORG_LOOKUPS: dict[type[Model], str] = {PipelineStage: "pipeline__organization"}


def error_text(exc: Exception) -> str:
    if isinstance(exc, ApplicationError):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    return str(exc)


def adopt(target: Model, created: Model) -> None:
    """Make ``target`` (the admin form's instance) stand for the row a service created.

    The admin built the inline formsets around the form's instance before ``save_model`` runs,
    so that instance — not the service's copy — has to end up saved.
    """
    for field in target._meta.concrete_fields:
        setattr(target, field.attname, getattr(created, field.attname))
    target._state.adding = False
    target._state.db = created._state.db


def formset_saved(formset: Any, new: list[Any] | None = None, changed: list[Any] | None = None) -> None:
    """Record what a service saved for a formset, as ``formset.save()`` would (the change message reads it)."""
    formset.new_objects = new or []
    formset.changed_objects = changed or []
    formset.deleted_objects = [f.instance for f in getattr(formset, "deleted_forms", []) if f.instance.pk]


class OrgForm(forms.ModelForm):
    """A model form that knows its organization and checks its per-organization unique fields."""

    organization: Organization | None = None
    #: fields unique within an organization (case-insensitive)
    org_unique: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Models check their relations against their own organization in clean(): give the new
        # row its organization before the form validates it (the service sets it again).
        has_org = any(f.name == "organization" for f in self._meta.model._meta.concrete_fields)
        if has_org and self.organization is not None and self.instance.organization_id is None:
            self.instance.organization = self.organization

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        model = self._meta.model
        for name in self.org_unique:
            value = cleaned.get(name)
            if not value or self.organization is None:
                continue
            taken = model._default_manager.filter(organization=self.organization, **{f"{name}__iexact": value})
            if taken.exclude(pk=self.instance.pk).exists():
                self.add_error(name, _("This organization already has one with this %(field)s.") % {"field": name})
        return cleaned


class HiringAdmin(OrgScopedAdmin):
    """Shared behaviour of the hiring back office."""

    export_filename = ""

    def org(self, request: HttpRequest, obj: Any = None) -> Organization:
        organization = getattr(obj, "organization", None) or current_organization(request)
        if organization is None:
            raise Http404(_("Choose an organization first."))
        return organization

    def _scope_choices(self, field: Any, related: Any, request: HttpRequest) -> Any:
        field = super()._scope_choices(field, related, request)
        lookup = _ORG_LOOKUPS.get(related)
        if field is not None and lookup and getattr(field, "queryset", None) is not None:
            if not request.user.is_superuser:
                field.queryset = field.queryset.filter(**{lookup: current_organization(request)})
            if related is PipelineStage:
                field.queryset = field.queryset.select_related("pipeline")
        return field

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form: Any = super().get_form(request, obj, change, **kwargs)
        form.organization = getattr(obj, "organization", None) or current_organization(request)
        return form

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        if current_organization(request) is None:
            self.message_user(request, _("Choose an organization first."), messages.ERROR)
            return redirect("admin:index")
        return super().add_view(request, form_url, extra_context)

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        # Forms catch what they can see; a rule only a service can judge (another row changed
        # meanwhile, a state transition) arrives here after the admin's transaction rolled back.
        try:
            return super().changeform_view(request, *args, **kwargs)
        except (ApplicationError, ValidationError) as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
            return redirect(request.get_full_path())

    def run_each(self, request: HttpRequest, queryset: QuerySet[Any], call: Any, done: str) -> int:
        """Call ``call(obj)`` for each selected row; report each refusal and the successes."""
        count = 0
        for obj in queryset:
            try:
                with transaction.atomic():
                    call(obj)
                count += 1
            except (ApplicationError, ValidationError) as exc:
                self.message_user(request, f"{obj}: {error_text(exc)}", messages.WARNING)
        if count:
            self.message_user(request, done % {"n": count}, messages.SUCCESS)
        return count

    @admin.action(description=_("Export selection as CSV (for Excel)"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse:
        return self._export_csv(request, queryset, bom=True)

    @admin.action(description=_("Export selection as CSV (plain UTF-8, no BOM)"))
    def export_csv_plain(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse:
        return self._export_csv(request, queryset, bom=False)

    def _export_csv(self, request: HttpRequest, queryset: QuerySet[Any], *, bom: bool) -> HttpResponse:
        rows = list(queryset)
        organization = current_organization(request)
        if organization is not None:
            audit_record(
                action="export.csv",
                actor=request.user,  # type: ignore[arg-type]
                organization=organization,
                changes={"model": self.opts.model_name, "rows": len(rows)},
            )
        name = self.export_filename or f"{self.opts.model_name}s"
        return exports.csv_response(
            filename=f"{name}-{timezone.now():%Y%m%d-%H%M}.csv",
            columns=exports.COLUMNS[self.model],
            rows=rows,
            bom=bom,
        )


class HiringInline(admin.TabularInline):
    """An inline whose rights are those on its parent object and whose choices are scoped."""

    extra = 0

    def _parent(self) -> Any:
        return self.admin_site._registry[self.parent_model]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(self._parent().has_view_permission(request, obj))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        parent = self._parent()
        return bool(parent.has_change_permission(request, obj) if obj else parent.has_add_permission(request))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_add_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_add_permission(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return self._parent()._scope_choices(field, db_field.related_model, request)
