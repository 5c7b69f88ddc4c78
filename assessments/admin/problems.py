"""The problem bank in the back office: problems with their test cases, import and export.

Like the hiring admin (``interviews.admin``): rows are the current organization's, writes go
through ``assessments.services.problems`` (validated once, audited), and a late refusal of a
service becomes a message. Only admins and recruiters reach the back office at all.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Model, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from accounts.middleware import current_organization
from accounts.services import audit_record
from assessments import problem_io
from assessments.forms import ProblemImportForm
from assessments.markdown import render_markdown
from assessments.models import Problem, TestCase
from assessments.permissions import problem_user_can
from assessments.services.problems import CaseSpec, problem_create, problem_delete, problem_update
from interviews.admin.base import HiringAdmin, HiringInline, OrgForm, adopt, error_text, formset_saved
from interviews.stage_config import LANGUAGE_CHOICES
from talentsync.errors import ApplicationError


def starter_field(language: str) -> str:
    return "starter_" + language.replace("+", "p")  # "c++" → "starter_cpp"


def _starter_fields() -> dict[str, forms.Field]:
    return {
        starter_field(language): forms.CharField(
            label=_("%(language)s starter code") % {"language": label},
            required=False,
            strip=False,
            widget=forms.Textarea(attrs={"rows": 6, "class": "vLargeTextField", "spellcheck": "false"}),
        )
        for language, label in LANGUAGE_CHOICES
    }


class _ProblemFormBase(OrgForm):
    org_unique = ("slug",)

    class Meta:
        model = Problem
        fields = (
            "title",
            "slug",
            "difficulty",
            "statement",
            "cpu_time_limit_ms",
            "memory_limit_mb",
            "checker",
            "float_tolerance",
        )
        widgets = {"statement": forms.Textarea(attrs={"rows": 16, "class": "vLargeTextField"})}
        help_texts = {
            "statement": _("Markdown: fenced code blocks and tables work; HTML is sanitised."),
            "slug": _("Made from the title when left empty; unique in the organization."),
            "float_tolerance": _("Used by the “numbers within a tolerance” checker (absolute or relative)."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        code = self.instance.starter_code or {}
        for language, _label in LANGUAGE_CHOICES:
            self.fields[starter_field(language)].initial = code.get(language, "")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        cleaned["starter_code"] = {
            language: cleaned[starter_field(language)]
            for language, _label in LANGUAGE_CHOICES
            if (cleaned.get(starter_field(language)) or "").strip()
        }
        return cleaned

    def starter_code_changed(self) -> bool:
        return any(starter_field(language) in self.changed_data for language, _label in LANGUAGE_CHOICES)


# The admin builds its form from the fieldsets, so the per-language textareas must be declared
# fields of the class (not added in __init__); one per language of interviews.stage_config.
ProblemForm: type[_ProblemFormBase] = type("ProblemForm", (_ProblemFormBase,), _starter_fields())
ProblemForm.__doc__ = "A problem; its starter code is one textarea per language (``starter_code`` is built from them)."


class TestCaseFormSet(BaseInlineFormSet):
    """At least one case, at least one visible (shown before saving; the service checks again)."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not kept:
            raise ValidationError(_("Add at least one test case."))
        if all(f.cleaned_data.get("hidden") for f in kept):
            raise ValidationError(
                _("Make at least one test case visible: candidates run their code against the visible ones.")
            )


class TestCaseInline(HiringInline):
    __test__ = False  # not a pytest test class

    model = TestCase
    formset = TestCaseFormSet
    fields = ("order", "name", "input", "expected_output", "hidden")
    ordering = ("order", "pk")
    extra = 0
    min_num = 1
    verbose_name_plural = _("test cases (hidden ones are never shown to candidates)")

    def get_extra(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        return 2 if obj is None else 0

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name in ("input", "expected_output"):
            # Kept verbatim (no strip): a trailing newline or space can be the point of a case.
            return forms.CharField(
                label=db_field.verbose_name,
                required=False,
                strip=False,
                max_length=TestCase.MAX_BYTES,
                widget=forms.Textarea(attrs={"rows": 3, "cols": 36, "spellcheck": "false", "class": "ts-mono"}),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def _case_specs(formset: Any) -> list[CaseSpec]:
    kept = [f for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
    kept.sort(key=lambda f: (f.cleaned_data.get("order") or 0, f.instance.pk is None, f.instance.pk or 0))
    specs: list[CaseSpec] = []
    for form in kept:
        data = form.cleaned_data
        spec: CaseSpec = {
            "order": data.get("order") or 0,
            "name": data.get("name") or "",
            "input": data.get("input") or "",
            "expected_output": data.get("expected_output") or "",
            "hidden": bool(data.get("hidden")),
        }
        if form.instance.pk is not None:
            spec["id"] = form.instance.pk
        specs.append(spec)
    return specs


@admin.register(Problem)
class ProblemAdmin(HiringAdmin):
    form = ProblemForm
    inlines = (TestCaseInline,)
    change_form_template = "admin/assessments/problem/change_form.html"
    change_list_template = "admin/assessments/problem/change_list.html"
    list_display = ("title", "slug", "difficulty", "checker", "visible_count", "hidden_count", "updated_at")
    list_filter = ("difficulty", "checker")
    search_fields = ("title", "slug", "statement")
    prepopulated_fields = {"slug": ("title",)}
    actions = ("export_json", "export_yaml")
    readonly_fields = ("statement_preview",)

    # --- rights: the problem bank's own permissions (see assessments.permissions) ---------------
    def _perm(self, request: HttpRequest, action: str, obj: Model | None) -> bool:
        return problem_user_can(
            request.user, f"assessments.{action}_problem", obj, organization=current_organization(request)
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_visible=Count("test_cases", filter=Q(test_cases__hidden=False)),
                n_hidden=Count("test_cases", filter=Q(test_cases__hidden=True)),
            )
        )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        statement: tuple[str, ...] = ("statement", "statement_preview") if obj is not None else ("statement",)
        return [
            (None, {"fields": ("title", "slug", "difficulty", *statement)}),
            (
                _("Limits and checker"),
                {"fields": ("cpu_time_limit_ms", "memory_limit_mb", "checker", "float_tolerance")},
            ),
            (
                _("Starter code"),
                {
                    "fields": tuple(starter_field(lang) for lang, _label in LANGUAGE_CHOICES),
                    "classes": ("collapse",),
                    "description": _("What the candidate's editor starts with, per language; leave empty for none."),
                },
            ),
        ]

    @admin.display(description=_("preview"))
    def statement_preview(self, obj: Problem) -> str:
        return render_markdown(obj.statement) if obj and obj.pk else ""

    @admin.display(description=_("visible cases"), ordering="n_visible")
    def visible_count(self, obj: Any) -> int:
        return getattr(obj, "n_visible", 0)

    @admin.display(description=_("hidden cases"), ordering="n_hidden")
    def hidden_count(self, obj: Any) -> int:
        return getattr(obj, "n_hidden", 0)

    # --- writes through the services ---------------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: Problem, form: Any, change: bool) -> None:
        """Created or changed together with its test cases in ``save_related``."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        (cases,) = formsets
        specs = _case_specs(cases)
        fields = {f: form.cleaned_data.get(f) for f in ProblemForm.Meta.fields}
        fields["slug"] = fields["slug"] or ""
        fields["starter_code"] = form.cleaned_data["starter_code"]
        if not change:
            problem = problem_create(organization=self.org(request), actor=request.user, cases=specs, **fields)
            adopt(form.instance, problem)
            formset_saved(cases, new=list(problem.test_cases.all()))
            return
        changed = [f for f in form.changed_data if f in fields]
        if form.starter_code_changed():
            changed.append("starter_code")
        problem = problem_update(
            problem=form.instance,
            actor=request.user,
            data={f: fields[f] for f in changed},
            cases=specs if cases.has_changed() else None,
        )
        adopt(form.instance, problem)
        formset_saved(
            cases,
            new=[f.instance for f in cases.forms if f.instance.pk is None and f.has_changed()],
            changed=[(f.instance, f.changed_data) for f in cases.forms if f.instance.pk and f.has_changed()],
        )

    def delete_model(self, request: HttpRequest, obj: Problem) -> None:
        problem_delete(problem=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Problem]) -> None:
        for problem in queryset:
            self.delete_model(request, problem)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        try:
            return super().delete_view(request, object_id, extra_context)
        except (ApplicationError, ValidationError) as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:assessments_problem_change", args=[object_id]))

    # --- export ----------------------------------------------------------------------------------
    def _export(self, request: HttpRequest, problems: list[Problem], fmt: str) -> HttpResponse:
        filename, content_type, body = problem_io.export_many(problems, fmt)
        for problem in problems:
            audit_record(action="problem.export", actor=request.user, target=problem, changes={"format": fmt})  # type: ignore[arg-type]
        charset = "" if content_type == "application/zip" else "; charset=utf-8"
        response = HttpResponse(body, content_type=content_type + charset)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @admin.action(description=_("Export as JSON (a zip for several)"))
    def export_json(self, request: HttpRequest, queryset: QuerySet[Problem]) -> HttpResponse:
        return self._export(request, list(queryset.prefetch_related("test_cases")), "json")

    @admin.action(description=_("Export as YAML (a zip for several)"))
    def export_yaml(self, request: HttpRequest, queryset: QuerySet[Problem]) -> HttpResponse:
        return self._export(request, list(queryset.prefetch_related("test_cases")), "yaml")

    def export_view(self, request: HttpRequest, object_id: str, fmt: str) -> HttpResponse:
        if fmt not in problem_io.FORMATS:
            raise Http404
        problem = self.get_object(request, object_id)
        if not self.has_view_permission(request, problem):
            raise Http404
        return self._export(request, [problem], fmt)

    # --- import ----------------------------------------------------------------------------------
    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise Http404
        organization = current_organization(request)
        if organization is None:
            self.message_user(request, _("Choose an organization first."), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:index"))
        errors: list[str] = []
        form = ProblemImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                problem, created = problem_io.problem_import_file(
                    organization=organization,
                    actor=request.user,
                    content=upload.read(),
                    filename=upload.name or "",
                    replace=form.cleaned_data["replace"],
                )
            except problem_io.ProblemFileError as exc:
                errors = exc.errors
            except ApplicationError as exc:
                errors = [exc.message]
            else:
                done = _("Imported “%(title)s”.") if created else _("Replaced “%(title)s” with the file's content.")
                self.message_user(request, done % {"title": problem}, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:assessments_problem_change", args=[problem.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import a problem"),
            "form": form,
            "file_errors": errors,
            "format_marker": problem_io.FORMAT,
        }
        return TemplateResponse(
            request, "admin/assessments/problem/import.html", context, status=400 if errors else 200
        )

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="assessments_problem_import"),
            path("<path:object_id>/export/<str:fmt>/", wrap(self.export_view), name="assessments_problem_export"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        extra = {"can_import": self.has_add_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra)
