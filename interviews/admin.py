"""The recruiter back office for hiring: positions, pipelines, candidates, interviews, feedback.

Every write goes through ``interviews.services`` (so it is validated once and audited): forms only
parse and check what a form can know, ``save_model``/``save_related``/actions call a service, and
an ``ApplicationError`` or ``ValidationError`` a service raises late becomes an admin message
instead of a server error. Rows, choices and list filters are those of the current organization.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers, widgets
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Model, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.admin_site import OrgScopedAdmin
from accounts.forms import time_zone_choices
from accounts.middleware import current_organization
from accounts.models import Membership, Organization, User
from accounts.services import audit_record
from interviews import exports, selectors, services
from interviews.models import (
    Candidate,
    Interview,
    InterviewQuestion,
    InterviewQuestionPlan,
    Participant,
    PipelineStage,
    PipelineTemplate,
    Position,
    Scorecard,
    StageMove,
    StageQuestion,
    Tag,
)
from interviews.services.interviews import STAFF_ROLES
from talentsync.errors import ApplicationError, StateError

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

    @admin.action(description=_("Export selection as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse:
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
            filename=f"{name}-{timezone.now():%Y%m%d-%H%M}.csv", columns=exports.COLUMNS[self.model], rows=rows
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


# --- tags ------------------------------------------------------------------------------------
class TagForm(OrgForm):
    org_unique = ("name",)

    class Meta:
        model = Tag
        fields = ("name",)


@admin.register(Tag)
class TagAdmin(HiringAdmin):
    form = TagForm
    list_display = ("name", "candidate_count", "question_count")
    search_fields = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .annotate(n_candidates=Count("candidates", distinct=True), n_questions=Count("questions", distinct=True))
        )

    @admin.display(description=_("candidates"), ordering="n_candidates")
    def candidate_count(self, obj: Tag) -> int:
        return getattr(obj, "n_candidates", 0)

    @admin.display(description=_("questions"), ordering="n_questions")
    def question_count(self, obj: Tag) -> int:
        return getattr(obj, "n_questions", 0)

    def save_model(self, request: HttpRequest, obj: Tag, form: Any, change: bool) -> None:
        organization = self.org(request, obj if change else None)
        if change:
            # No rename service yet: the form validated the row; record the change ourselves.
            obj.save()
            audit_record(action="tag.rename", actor=request.user, target=obj)  # type: ignore[arg-type]
            return
        (tag,) = services.tags_get_or_create(organization=organization, names=[form.cleaned_data["name"]])
        adopt(obj, tag)
        audit_record(action="tag.create", actor=request.user, target=tag)  # type: ignore[arg-type]

    def delete_model(self, request: HttpRequest, obj: Tag) -> None:
        audit_record(action="tag.delete", actor=request.user, target=obj, changes={"name": obj.name})  # type: ignore[arg-type]
        obj.delete()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Tag]) -> None:
        for tag in queryset:
            self.delete_model(request, tag)


# --- question bank ---------------------------------------------------------------------------
class QuestionForm(OrgForm):
    class Meta:
        model = InterviewQuestion
        fields = (
            "question_text",
            "difficulty",
            "tags",
            "interviewer_hints",
            "expected_answer_guide",
            "follow_up_questions",
        )
        help_texts = {"follow_up_questions": _('A JSON list of texts, e.g. ["What about duplicates?"].')}


@admin.register(InterviewQuestion)
class InterviewQuestionAdmin(HiringAdmin):
    form = QuestionForm
    list_display = ("excerpt", "difficulty", "tag_list", "created_at")
    list_filter = ("difficulty", ("tags", admin.RelatedOnlyFieldListFilter))
    search_fields = ("question_text", "interviewer_hints", "expected_answer_guide")
    date_hierarchy = "created_at"
    actions = ("export_csv",)
    export_filename = "questions"
    filter_horizontal = ("tags",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("tags")

    @admin.display(description=_("question"), ordering="question_text")
    def excerpt(self, obj: InterviewQuestion) -> str:
        text = " ".join(obj.question_text.split())
        return text if len(text) <= 100 else text[:99] + "…"

    @admin.display(description=_("tags"))
    def tag_list(self, obj: Any) -> str:
        return ", ".join(t.name for t in obj.tags.all())

    def save_model(self, request: HttpRequest, obj: InterviewQuestion, form: Any, change: bool) -> None:
        tags = [t.name for t in form.cleaned_data.get("tags", [])]
        if change:
            # No question_update service yet: the form ran full_clean; save and audit here.
            obj.save()
            obj.tags.set(form.cleaned_data.get("tags", []))
            audit_record(
                action="question.update",
                actor=request.user,  # type: ignore[arg-type]
                target=obj,
                changes={"fields": sorted(form.changed_data)},
            )
            return
        fields = {f: getattr(obj, f) for f in form.Meta.fields if f != "tags"}
        question = services.question_create(organization=self.org(request), actor=request.user, tags=tags, **fields)
        adopt(obj, question)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Tags were set with the question by the service."""

    def delete_model(self, request: HttpRequest, obj: InterviewQuestion) -> None:
        audit_record(action="question.delete", actor=request.user, target=obj)  # type: ignore[arg-type]
        obj.delete()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[InterviewQuestion]) -> None:
        for question in queryset:
            self.delete_model(request, question)


# --- pipelines and stages --------------------------------------------------------------------
class QuestionChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        text = " ".join(obj.question_text.split())
        return text if len(text) <= 60 else text[:59] + "…"


class StageInlineForm(forms.ModelForm):
    organization: Organization | None = None
    questions = QuestionChoices(label=_("questions"), queryset=InterviewQuestion.objects.none(), required=False)

    class Meta:
        model = PipelineStage
        fields = ("order", "name", "stage_type", "duration_minutes", "questions")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        questions: Any = self.fields["questions"]
        # A multiple select has no order: the stage asks them oldest first (reorder on the stage's page).
        questions.queryset = InterviewQuestion.objects.filter(organization=self.organization).order_by(
            "created_at", "pk"
        )
        questions.widget.attrs["size"] = 4
        if self.instance.pk:
            self.fields["questions"].initial = [sq.question_id for sq in self.instance.stage_questions.all()]


class StageInline(HiringInline):
    model = PipelineStage
    form = StageInlineForm
    fields = ("order", "name", "stage_type", "duration_minutes", "questions")
    ordering = ("order",)
    min_num = 1
    show_change_link = True
    verbose_name_plural = _("stages (room tools, async coding settings and criteria: open a stage)")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("validate_min", True)  # a pipeline has at least one stage
        formset: Any = super().get_formset(request, obj, **kwargs)
        formset.form.organization = getattr(obj, "organization", None) or current_organization(request)
        return formset

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("stage_questions")


def _stage_spec(form: Any) -> services.pipelines.StageSpec:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "stage_type": data["stage_type"],
        "duration_minutes": data["duration_minutes"],
        "question_ids": [q.pk for q in data.get("questions") or []],
    }


def _stage_questions_set(stage: PipelineStage, questions: list[InterviewQuestion]) -> None:
    StageQuestion.objects.filter(stage=stage).delete()
    StageQuestion.objects.bulk_create(
        [StageQuestion(stage=stage, question=q, order=i) for i, q in enumerate(questions)]
    )


class PipelineForm(OrgForm):
    org_unique = ("name",)

    class Meta:
        model = PipelineTemplate
        fields = ("name", "description")


@admin.register(PipelineTemplate)
class PipelineTemplateAdmin(HiringAdmin):
    form = PipelineForm
    inlines = (StageInline,)
    list_display = ("name", "stage_list", "position_count", "updated_at")
    search_fields = ("name", "description", "stages__name")
    date_hierarchy = "created_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .annotate(n_positions=Count("positions", distinct=True))
            .prefetch_related(Prefetch("stages", queryset=PipelineStage.objects.order_by("order")))
        )

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> Any:
        queryset, _duplicates = super().get_search_results(request, queryset, search_term)
        return queryset, False  # the count annotation is already distinct

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # positions and interviews point at it; no pipeline_delete service yet

    @admin.display(description=_("stages"))
    def stage_list(self, obj: PipelineTemplate) -> str:
        return " → ".join(s.name for s in obj.stages.all())

    @admin.display(description=_("positions"), ordering="n_positions")
    def position_count(self, obj: Any) -> int:
        return getattr(obj, "n_positions", 0)

    def save_model(self, request: HttpRequest, obj: PipelineTemplate, form: Any, change: bool) -> None:
        if not change:
            return  # created with its stages by ``pipeline_create`` in save_related
        if form.changed_data:
            # No pipeline_update service yet: name and description only, audited here.
            obj.save()
            audit_record(
                action="pipeline.update",
                actor=request.user,  # type: ignore[arg-type]
                target=obj,
                changes={"fields": sorted(form.changed_data)},
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        (stages,) = formsets
        rows = [f for f in stages.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        rows.sort(key=lambda f: f.cleaned_data["order"])
        if not change:
            pipeline = services.pipeline_create(
                organization=self.org(request),
                name=form.cleaned_data["name"],
                description=form.cleaned_data.get("description", ""),
                stages=[_stage_spec(f) for f in rows],
                actor=request.user,
            )
            adopt(form.instance, pipeline)
            formset_saved(stages, new=list(pipeline.stages.all()))
            return
        pipeline = form.instance
        formset_saved(stages)
        for stage_form in stages.deleted_forms:
            stage = stage_form.instance
            if stage.pk is None:
                continue
            if Interview.objects.filter(stage=stage).exists() or Candidate.objects.filter(current_stage=stage).exists():
                raise StateError(_("“%(name)s” has candidates or interviews; it cannot be removed.") % {"name": stage})
            audit_record(
                action="pipeline.remove_stage",
                actor=request.user,  # type: ignore[arg-type]
                target=pipeline,
                changes={"stage": stage.name},
            )
            stage.delete()
        for stage_form in rows:
            if stage_form.instance.pk is None:
                services.stage_add(
                    pipeline=pipeline,
                    spec=_stage_spec(stage_form),
                    order=stage_form.cleaned_data["order"],
                    actor=request.user,
                )
            elif stage_form.has_changed():
                stage = stage_form.save()
                if "questions" in stage_form.changed_data:
                    _stage_questions_set(stage, list(stage_form.cleaned_data["questions"]))
                audit_record(
                    action="pipeline.change_stage",
                    actor=request.user,  # type: ignore[arg-type]
                    target=pipeline,
                    changes={"stage": stage.name, "fields": sorted(stage_form.changed_data)},
                )


class StageQuestionInline(HiringInline):
    model = StageQuestion
    fields = ("order", "question")
    ordering = ("order", "pk")
    verbose_name = _("question")
    verbose_name_plural = _("questions asked at this stage (copied into each interview's plan)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("question")


class StageForm(forms.ModelForm):
    organization: Organization | None = None

    class Meta:
        model = PipelineStage
        fields = (
            "pipeline",
            "order",
            "name",
            "stage_type",
            "duration_minutes",
            "tools_config",
            "dsa_config",
            "criteria",
        )
        help_texts = {
            "tools_config": _(
                'Room tools, e.g. {"video": true, "editor": true, "whiteboard": false, "chat": true}. '
                "Empty: the stage type's defaults."
            ),
            "dsa_config": _(
                'Async coding, e.g. {"proctoringEnabled": true, "problems": [1], "timeLimitMinutes": 90, '
                '"languages": ["python", "java"]}.'
            ),
            "criteria": _('Scorecard criteria, e.g. ["Problem solving", "Communication"].'),
        }
        widgets = {
            "tools_config": forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField json-field"}),
            "dsa_config": forms.Textarea(attrs={"rows": 4, "class": "vLargeTextField json-field"}),
            "criteria": forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField json-field"}),
        }


@admin.register(PipelineStage)
class PipelineStageAdmin(HiringAdmin):
    org_lookup = "pipeline__organization"
    form = StageForm
    inlines = (StageQuestionInline,)
    list_display = ("__str__", "pipeline", "stage_type", "duration_minutes", "tools", "question_count")
    list_display_links = ("__str__",)
    list_filter = ("stage_type", ("pipeline", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "pipeline__name")
    list_select_related = ("pipeline",)
    ordering = ("pipeline__name", "order")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(n_questions=Count("stage_questions"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("pipeline",) if obj is not None else ()

    @admin.display(description=_("room tools"))
    def tools(self, obj: PipelineStage) -> str:
        return ", ".join(name for name, on in obj.config.toolsConfig.items() if on) or "—"

    @admin.display(description=_("questions"), ordering="n_questions")
    def question_count(self, obj: Any) -> int:
        return getattr(obj, "n_questions", 0)

    def save_model(self, request: HttpRequest, obj: PipelineStage, form: Any, change: bool) -> None:
        if not change:
            spec = {
                f: getattr(obj, f)
                for f in ("name", "stage_type", "duration_minutes", "tools_config", "dsa_config", "criteria")
            }
            adopt(obj, services.stage_add(pipeline=obj.pipeline, spec=spec, order=obj.order, actor=request.user))  # type: ignore[arg-type]
            return
        # No stage_update service yet: the form ran PipelineStage.clean(); save and audit here.
        obj.save()
        audit_record(
            action="pipeline.change_stage",
            actor=request.user,  # type: ignore[arg-type]
            target=obj.pipeline,
            changes={"stage": obj.name, "fields": sorted(form.changed_data)},
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        formset.save()
        if formset.has_changed():
            audit_record(
                action="pipeline.stage_questions",
                actor=request.user,  # type: ignore[arg-type]
                target=form.instance.pipeline,
                changes={"stage": form.instance.name},
            )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # remove a stage from its pipeline's page, where the order is visible


# --- positions -------------------------------------------------------------------------------
class PositionForm(OrgForm):
    class Meta:
        model = Position
        fields = ("title", "team", "status", "hiring_manager", "pipeline", "description")


@admin.register(Position)
class PositionAdmin(HiringAdmin):
    form = PositionForm
    list_display = ("title", "team", "status", "hiring_manager", "pipeline", "candidate_link", "created_at")
    list_filter = ("status", ("pipeline", admin.RelatedOnlyFieldListFilter), "team", "created_at")
    search_fields = ("title", "team", "description")
    list_select_related = ("hiring_manager", "pipeline")
    date_hierarchy = "created_at"
    actions = ("export_csv", "close_positions", "reopen_positions")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(candidate_count=Count("candidates", distinct=True))

    @admin.display(description=_("candidates"), ordering="candidate_count")
    def candidate_link(self, obj: Any) -> str:
        url = reverse("admin:interviews_candidate_changelist") + f"?position__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, getattr(obj, "candidate_count", 0))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "hiring_manager" and field is not None and not request.user.is_superuser:
            field.queryset = field.queryset.filter(
                memberships__organization=current_organization(request), memberships__role__in=STAFF_ROLES
            )
        return field

    def save_model(self, request: HttpRequest, obj: Position, form: Any, change: bool) -> None:
        fields = {f: getattr(obj, f) for f in PositionForm.Meta.fields}
        if change:
            data = {f: fields[f] for f in form.changed_data}
            services.position_update(position=Position.objects.get(pk=obj.pk), actor=request.user, data=data)
            return
        adopt(obj, services.position_create(organization=self.org(request), actor=request.user, **fields))

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Position], status: str, done: str) -> None:
        self.run_each(
            request,
            queryset,
            lambda p: services.position_update(position=p, actor=request.user, data={"status": status}),
            done,
        )

    @admin.action(description=_("Close the selected positions"))
    def close_positions(self, request: HttpRequest, queryset: QuerySet[Position]) -> None:
        self._set_status(request, queryset, Position.Status.CLOSED, str(_("Closed %(n)d position(s).")))

    @admin.action(description=_("Reopen the selected positions"))
    def reopen_positions(self, request: HttpRequest, queryset: QuerySet[Position]) -> None:
        self._set_status(request, queryset, Position.Status.OPEN, str(_("Reopened %(n)d position(s).")))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # close a position instead; its candidates and interviews keep their history


# --- candidates ------------------------------------------------------------------------------
class CandidateForm(OrgForm):
    org_unique = ("email",)

    class Meta:
        model = Candidate
        fields = ("full_name", "email", "phone", "position", "source", "tags", "resume")
        help_texts = {"resume": _("PDF or Word (.docx), 5 MB at most.")}


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    is_private = forms.BooleanField(label=_("Private (admins and recruiters only)"), required=False, initial=True)


@dataclass
class TimelineEntry:
    when: datetime
    kind: str
    title: str
    detail: str = ""
    url: str = ""
    badge: str = ""


def candidate_timeline(*, actor: Any, candidate: Candidate) -> list[TimelineEntry]:
    """Interviews, submitted scorecards, notes and stage moves of a candidate, newest first."""
    organization = candidate.organization
    entries: list[TimelineEntry] = []
    interviews = (
        selectors.interview_list(actor=actor, organization=organization)
        .filter(candidate=candidate)
        .prefetch_related(Prefetch("participants", queryset=Participant.objects.select_related("user")))
    )
    for interview in interviews:
        panel = ", ".join(p.display_name for p in interview.participants.all() if p.user_id)
        entries.append(
            TimelineEntry(
                when=interview.scheduled_at,
                kind="interview",
                title=_("%(stage)s interview for %(position)s")
                % {"stage": interview.stage.name, "position": interview.position.title},
                detail=_("With %(panel)s · %(minutes)d minutes")
                % {"panel": panel or "—", "minutes": interview.duration_minutes},
                url=reverse("admin:interviews_interview_change", args=[interview.pk]),
                badge=interview.get_status_display(),
            )
        )
    scorecards = selectors.scorecard_list(actor=actor, organization=organization).filter(interview__candidate=candidate)
    for scorecard in scorecards.select_related("interview__stage"):
        entries.append(
            TimelineEntry(
                when=scorecard.submitted_at or scorecard.updated_at,  # the selector returns submitted ones
                kind="scorecard",
                title=_("Scorecard by %(author)s (%(stage)s)")
                % {"author": scorecard.author, "stage": scorecard.interview.stage.name},
                detail=scorecard.comments,
                url=reverse("admin:interviews_scorecard_change", args=[scorecard.pk]),
                badge=scorecard.get_recommendation_display(),
            )
        )
    for note in selectors.note_list_visible(actor=actor, candidate=candidate):
        entries.append(
            TimelineEntry(
                when=note.created_at,
                kind="note",
                title=_("Note by %(author)s") % {"author": note.author or _("someone removed")},
                detail=note.body,
                badge=str(_("private")) if note.is_private else str(_("shared with interviewers")),
            )
        )
    moves = StageMove.objects.filter(candidate=candidate).select_related("from_stage", "to_stage", "moved_by")
    for move in moves:
        entries.append(
            TimelineEntry(
                when=move.moved_at,
                kind="stage",
                title=_("Moved to %(stage)s") % {"stage": move.to_stage.name if move.to_stage else _("no stage")}
                if move.from_stage
                else _("Entered the pipeline at %(stage)s") % {"stage": move.to_stage.name if move.to_stage else "—"},
                detail=_("from %(stage)s") % {"stage": move.from_stage.name} if move.from_stage else "",
                badge=str(move.moved_by) if move.moved_by else "",
            )
        )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries


@admin.register(Candidate)
class CandidateAdmin(HiringAdmin):
    form = CandidateForm
    change_form_template = "admin/interviews/candidate/change_form.html"
    list_display = ("full_name", "email", "position", "current_stage", "source", "tag_list", "created_at")
    list_filter = (
        ("position", admin.RelatedOnlyFieldListFilter),
        ("current_stage", admin.RelatedOnlyFieldListFilter),
        "source",
        ("tags", admin.RelatedOnlyFieldListFilter),
        "created_at",
    )
    search_fields = ("full_name", "email", "phone")
    list_select_related = ("position", "current_stage")
    date_hierarchy = "created_at"
    actions = ("move_to_next_stage", "export_csv")
    filter_horizontal = ("tags",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("tags")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("current_stage",) if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(CandidateForm.Meta.fields)
        if obj is not None:
            fields.insert(4, "current_stage")
        return fields

    @admin.display(description=_("tags"))
    def tag_list(self, obj: Any) -> str:
        return ", ".join(t.name for t in obj.tags.all())

    def save_model(self, request: HttpRequest, obj: Candidate, form: Any, change: bool) -> None:
        tags = [t.name for t in form.cleaned_data.get("tags", [])]
        if change:
            data = {f: getattr(obj, f) for f in form.changed_data if f != "tags"}
            services.candidate_update(
                candidate=Candidate.objects.get(pk=obj.pk),
                actor=request.user,
                data=data,
                tags=tags if "tags" in form.changed_data else None,
            )
            return
        fields = {f: getattr(obj, f) for f in CandidateForm.Meta.fields if f != "tags"}
        adopt(obj, services.candidate_create(organization=self.org(request), actor=request.user, tags=tags, **fields))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Tags were set by the service."""

    @admin.action(description=_("Move to next stage"))
    def move_to_next_stage(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> None:
        self.run_each(
            request,
            queryset,
            lambda c: services.candidate_move_to_next_stage(candidate=c, actor=request.user),
            str(_("Moved %(n)d candidate(s) to their next stage.")),
        )

    def get_urls(self) -> list[Any]:
        note = self.admin_site.admin_view(self.note_add_view)
        return [
            path("<path:object_id>/notes/add/", note, name="interviews_candidate_note_add"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None) -> Any:
        candidate = self.get_object(request, object_id)
        extra = {
            "timeline": candidate_timeline(actor=request.user, candidate=candidate),
            "candidate_tags": list(candidate.tags.all()),
            "note_form": NoteForm(),
            "can_add_note": self.has_change_permission(request, candidate),
            "schedule_url": reverse("admin:interviews_interview_add") + f"?candidate={candidate.pk}",
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)

    def note_add_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        candidate = self.get_object(request, object_id)
        back = reverse("admin:interviews_candidate_change", args=[candidate.pk])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        if not self.has_change_permission(request, candidate):
            raise Http404
        form = NoteForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                self.message_user(request, " ".join(str(e) for e in errors), messages.ERROR)
            return HttpResponseRedirect(back + "#timeline")
        try:
            services.note_add(
                candidate=candidate,
                author=request.user,
                body=form.cleaned_data["body"],
                is_private=form.cleaned_data["is_private"],
            )
        except (ApplicationError, ValidationError) as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
        else:
            self.message_user(request, _("Note added."), messages.SUCCESS)
        return HttpResponseRedirect(back + "#timeline")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # candidates leave through a (future) erasure service, never a raw delete


# --- interviews ------------------------------------------------------------------------------
class NaiveSplitDateTimeField(forms.SplitDateTimeField):
    """Date and time as typed; the time zone comes from its own field (nothing is assumed)."""

    def compress(self, data_list: Any) -> Any:
        if data_list and data_list[0] is not None and data_list[1] is not None:
            day: date = data_list[0]
            at: time = data_list[1]
            return datetime.combine(day, at)  # made aware with the chosen zone in clean()
        return None


class StartFieldsMixin(forms.Form):
    """A start time given as date, time and time zone, cleaned into an aware UTC datetime."""

    start = NaiveSplitDateTimeField(label=_("Starts"), widget=widgets.AdminSplitDateTime)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[("", "—"), *time_zone_choices()],
        required=False,
        help_text=_("The time zone the start is given in (the organization's by default)."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, zone = cleaned.get("start"), cleaned.get("time_zone")
        if start is not None:
            if not zone:
                self.add_error("time_zone", _("Choose the time zone of the start time."))
            else:
                local = start.replace(tzinfo=zoneinfo.ZoneInfo(zone))
                cleaned["scheduled_at"] = local.astimezone(zoneinfo.ZoneInfo("UTC"))
        return cleaned


def _staff_queryset(organization: Organization | None) -> QuerySet[User]:
    return User.objects.filter(
        pk__in=Membership.objects.filter(organization=organization, role__in=STAFF_ROLES).values("user_id")
    ).order_by("full_name", "email")


class PersonChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} <{obj.email}>" if obj.full_name else obj.email


class CandidateChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} — {obj.position.title}"


class StageChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.pipeline.name} · {obj}"


class InterviewScheduleForm(StartFieldsMixin, forms.ModelForm):
    """Schedule an interview: who, which stage, when, with whom."""

    organization: Organization | None = None
    candidate = CandidateChoice(label=_("Candidate"), queryset=Candidate.objects.none())
    stage = StageChoice(label=_("Stage"), queryset=PipelineStage.objects.none())
    interviewers = PersonChoice(
        label=_("Interviewers"),
        queryset=User.objects.none(),
        widget=widgets.FilteredSelectMultiple(_("interviewers"), is_stacked=False),
    )
    observers = PersonChoice(
        label=_("Observers"),
        queryset=User.objects.none(),
        required=False,
        widget=widgets.FilteredSelectMultiple(_("observers"), is_stacked=False),
    )

    class Meta:
        model = Interview
        fields = ("candidate", "stage", "duration_minutes")

    field_order = ("candidate", "stage", "start", "time_zone", "duration_minutes", "interviewers", "observers")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org = self.organization
        candidates = Candidate.objects.filter(organization=org, position__isnull=False).select_related("position")
        stages = PipelineStage.objects.filter(pipeline__organization=org).select_related("pipeline")
        picked = str(self.initial.get("candidate") or "")
        chosen = candidates.filter(pk=int(picked)).first() if picked.isdigit() else None
        if chosen is not None and not self.is_bound:
            # Opened from a candidate's page: only their pipeline's stages, their current one first.
            stages = stages.filter(pipeline_id=chosen.position.pipeline_id)  # type: ignore[union-attr]
            self.initial.setdefault("stage", chosen.current_stage_id)
        fields: Any = self.fields
        fields["candidate"].queryset = candidates
        fields["stage"].queryset = stages.order_by("pipeline__name", "order")
        fields["interviewers"].queryset = _staff_queryset(org)
        fields["observers"].queryset = _staff_queryset(org)
        self.fields["duration_minutes"].required = False
        self.fields["duration_minutes"].help_text = _("Empty: the stage's duration.")
        if org is not None:
            self.fields["time_zone"].initial = org.time_zone

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        candidate, stage = cleaned.get("candidate"), cleaned.get("stage")
        if candidate is not None and stage is not None and stage.pipeline_id != candidate.position.pipeline_id:
            self.add_error("stage", _("Choose a stage of %(name)s's pipeline.") % {"name": candidate.full_name})
        both = set(cleaned.get("interviewers") or []) & set(cleaned.get("observers") or [])
        if both:
            self.add_error("observers", _("Someone cannot be interviewer and observer at once."))
        start = cleaned.get("scheduled_at")
        if start is not None and start < timezone.now():
            self.add_error("start", _("The start is in the past."))
        return cleaned

    def _post_clean(self) -> None:
        # An empty duration means the stage's own; fill it in before the model validates it.
        if self.cleaned_data.get("duration_minutes") is None:
            stage = self.cleaned_data.get("stage")
            self.cleaned_data["duration_minutes"] = stage.duration_minutes if stage else 60
        super()._post_clean()  # type: ignore[misc]


class InterviewRescheduleForm(StartFieldsMixin, forms.ModelForm):
    organization: Organization | None = None

    class Meta:
        model = Interview
        fields = ("duration_minutes",)

    field_order = ("start", "time_zone", "duration_minutes")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = self.organization.time_zone if self.organization else "UTC"
        self.fields["time_zone"].initial = zone
        if self.instance.pk:
            local = self.instance.scheduled_at.astimezone(zoneinfo.ZoneInfo(zone))
            self.fields["start"].initial = local.replace(tzinfo=None)

    def has_changed(self) -> bool:
        return bool(self.changed_data)

    @property
    def changed_data(self) -> list[str]:
        changed = list(super().changed_data)
        start = self.cleaned_data.get("scheduled_at") if hasattr(self, "cleaned_data") else None
        changed = [f for f in changed if f not in ("start", "time_zone")]
        if start is not None and start != self.instance.scheduled_at:
            changed.append("scheduled_at")
        return changed


class QuestionPlanInline(HiringInline):
    model = InterviewQuestionPlan
    fields = ("order", "question", "asked_at")
    readonly_fields = ("asked_at",)
    ordering = ("order", "pk")
    verbose_name = _("planned question")
    verbose_name_plural = _("question plan")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("question")


class ParticipantInline(HiringInline):
    model = Participant
    fields = ("display_name", "role", "email", "link_state", "token_expires_at", "links_sent_at")
    readonly_fields = fields
    verbose_name_plural = _("participants (join links are personal: send them with the action)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("user", "candidate", "interview")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("name"))
    def display_name(self, obj: Participant) -> str:
        return obj.display_name

    @admin.display(description=_("e-mail"))
    def email(self, obj: Participant) -> str:
        return obj.email

    @admin.display(description=_("join link"))
    def link_state(self, obj: Participant) -> str:
        if obj.revoked_at:
            return str(_("revoked"))
        return str(_("usable")) if obj.token_usable() else str(_("expired"))


class UpcomingFilter(admin.SimpleListFilter):
    title = _("when")
    parameter_name = "when"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return (("upcoming", _("Upcoming")), ("today", _("Today")), ("past", _("Past")))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        if self.value() == "upcoming":
            return queryset.filter(scheduled_at__gte=now)
        if self.value() == "today":
            start = now.replace(hour=0, minute=0, second=0, microsecond=0)
            return queryset.filter(scheduled_at__gte=start, scheduled_at__lt=start + timedelta(days=1))
        if self.value() == "past":
            return queryset.filter(scheduled_at__lt=now)
        return queryset


@admin.register(Interview)
class InterviewAdmin(HiringAdmin):
    list_display = ("starts_local", "candidate", "position", "stage", "status_badge", "panel", "duration_minutes")
    list_display_links = ("starts_local",)
    list_filter = (
        "status",
        UpcomingFilter,
        ("position", admin.RelatedOnlyFieldListFilter),
        ("stage", admin.RelatedOnlyFieldListFilter),
        ("scheduled_at", admin.DateFieldListFilter),
    )
    search_fields = ("candidate__full_name", "candidate__email", "position__title", "stage__name")
    list_select_related = ("candidate", "position", "stage", "organization")
    date_hierarchy = "scheduled_at"
    actions = ("send_join_links", "cancel_interviews", "revoke_join_links", "export_csv")
    inlines = (QuestionPlanInline, ParticipantInline)
    change_readonly = ("candidate", "position", "stage", "status", "room_id", "created_by", "started_at", "ended_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        panel = Participant.objects.select_related("user").order_by("role", "pk")
        return super().get_queryset(request).prefetch_related(Prefetch("participants", queryset=panel))

    @admin.display(description=_("starts"), ordering="scheduled_at")
    def starts_local(self, obj: Interview) -> str:
        zone = zoneinfo.ZoneInfo(obj.organization.time_zone or "UTC")
        return obj.scheduled_at.astimezone(zone).strftime("%a %d %b %Y, %H:%M %Z")

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: Interview) -> str:
        return format_html('<span class="ts-badge ts-badge--{}">{}</span>', obj.status, obj.get_status_display())

    @admin.display(description=_("interviewers"))
    def panel(self, obj: Interview) -> str:
        return ", ".join(p.display_name for p in obj.participants.all() if p.role == Participant.Role.INTERVIEWER)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        # Our own forms, not the admin's factory: the add form's fields are not model fields, and
        # an interview that is no longer scheduled has nothing left to edit here (actions only).
        if obj is None:
            form: Any = forms.models.modelform_factory(Interview, form=InterviewScheduleForm)
        elif obj.status == Interview.Status.SCHEDULED:
            form = forms.models.modelform_factory(Interview, form=InterviewRescheduleForm)
        else:
            form = forms.models.modelform_factory(Interview, form=OrgForm, fields=())
        form.organization = getattr(obj, "organization", None) or current_organization(request)
        return form

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return (
                (None, {"fields": ("candidate", "stage", ("start", "time_zone"), "duration_minutes")}),
                (_("Panel"), {"fields": ("interviewers", "observers")}),
            )
        editable = ("start", "time_zone", "duration_minutes") if obj.status == Interview.Status.SCHEDULED else ()
        return (
            (None, {"fields": ("candidate", "position", "stage", "status")}),
            (_("Time"), {"fields": ("starts_local", *editable)}),
            (_("Room"), {"fields": ("room_id", "created_by", "started_at", "ended_at"), "classes": ("collapse",)}),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return (*self.change_readonly, "starts_local")

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return super().get_inline_instances(request, obj) if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # cancel instead: the audit log and the candidate's timeline keep it

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"candidate": request.GET.get("candidate", "")}

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        if change:
            return form.save(commit=False)
        data = form.cleaned_data
        interview, tokens = services.interview_schedule(
            candidate=data["candidate"],
            stage=data["stage"],
            scheduled_at=data["scheduled_at"],
            interviewers=list(data["interviewers"]),
            observers=list(data.get("observers") or []),
            duration_minutes=data.get("duration_minutes") or None,
            actor=request.user,
        )
        interview._join_tokens = tokens  # type: ignore[attr-defined]
        return interview

    def save_model(self, request: HttpRequest, obj: Interview, form: Any, change: bool) -> None:
        if not change:
            return  # scheduled by ``interview_schedule`` in save_form
        if "scheduled_at" in form.changed_data or "duration_minutes" in form.changed_data:
            services.interview_reschedule(
                interview=Interview.objects.get(pk=obj.pk),
                scheduled_at=form.cleaned_data.get("scheduled_at") or obj.scheduled_at,
                duration_minutes=form.cleaned_data.get("duration_minutes"),
                actor=request.user,
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if not change:
            return
        for formset in formsets:
            formset_saved(formset)
            if formset.model is InterviewQuestionPlan and formset.has_changed():
                kept = [f for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
                kept.sort(key=lambda f: (f.cleaned_data.get("order") or 0, f.instance.pk or 0))
                services.interview_plan_set(
                    interview=form.instance,
                    question_ids=[f.cleaned_data["question"].pk for f in kept],
                    actor=request.user,
                )

    def response_add(self, request: HttpRequest, obj: Interview, post_url_continue: str | None = None) -> Any:
        tokens: dict[int, str] = getattr(obj, "_join_tokens", {})
        people = {p.pk: p for p in obj.participants.select_related("user", "candidate")}
        links = format_html_join(
            "",
            '<li>{} ({}): <a href="{}">{}</a></li>',
            (
                (
                    people[pid].display_name,
                    people[pid].get_role_display(),
                    services.join_url(tok),
                    services.join_url(tok),
                )
                for pid, tok in tokens.items()
                if pid in people
            ),
        )
        self.message_user(
            request,
            format_html(
                '{}<ul class="ts-join-links">{}</ul>',
                _(
                    "Join links — shown only this once (only their fingerprints are stored). "
                    "Copy them now, or send them by e-mail with the “Send join links” action:"
                ),
                links,
            ),
            messages.SUCCESS,
        )
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description=_("Send join links"))
    def send_join_links(self, request: HttpRequest, queryset: QuerySet[Interview]) -> None:
        self.run_each(
            request,
            queryset,
            lambda i: services.interview_send_join_links(interview=i, actor=request.user),
            str(_("Join links are on their way for %(n)d interview(s).")),
        )

    @admin.action(description=_("Revoke join links"))
    def revoke_join_links(self, request: HttpRequest, queryset: QuerySet[Interview]) -> None:
        def revoke(interview: Interview) -> None:
            for participant in interview.participants.filter(revoked_at__isnull=True):
                services.participant_revoke_link(participant=participant, actor=request.user)

        self.run_each(request, queryset, revoke, str(_("Revoked the join links of %(n)d interview(s).")))

    @admin.action(description=_("Cancel"))
    def cancel_interviews(self, request: HttpRequest, queryset: QuerySet[Interview]) -> Any:
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Cancel interviews?"),
                "opts": self.opts,
                "interviews": queryset,
                "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/interviews/interview/cancel_confirmation.html", context)
        reason = request.POST.get("reason", "")[:500]
        self.run_each(
            request,
            queryset,
            lambda i: services.interview_cancel(interview=i, actor=request.user, reason=reason),
            str(_("Cancelled %(n)d interview(s).")),
        )
        return None


# --- scorecards ------------------------------------------------------------------------------
@admin.register(Scorecard)
class ScorecardAdmin(HiringAdmin):
    """Submitted scorecards, read-only: drafts stay with their authors."""

    org_lookup = "interview__organization"
    list_display = ("candidate", "stage", "author", "recommendation", "average", "submitted_at")
    list_filter = (
        "recommendation",
        ("interview__position", admin.RelatedOnlyFieldListFilter),
        ("author", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("interview__candidate__full_name", "author__email", "author__full_name", "comments")
    list_select_related = ("author", "interview__candidate", "interview__position", "interview__stage")
    date_hierarchy = "submitted_at"
    actions = ("export_csv",)
    fields = ("interview", "author", "ratings_table", "recommendation", "comments", "submitted_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(submitted_at__isnull=False)

    @admin.display(description=_("candidate"), ordering="interview__candidate__full_name")
    def candidate(self, obj: Scorecard) -> str:
        return obj.interview.candidate.full_name

    @admin.display(description=_("stage"), ordering="interview__stage__name")
    def stage(self, obj: Scorecard) -> str:
        return f"{obj.interview.stage.name} · {obj.interview.position.title}"

    @admin.display(description=_("average"))
    def average(self, obj: Scorecard) -> str:
        values = [v for v in (obj.ratings or {}).values() if isinstance(v, int)]
        return f"{sum(values) / len(values):.1f} / 4" if values else "—"

    @admin.display(description=_("ratings"))
    def ratings_table(self, obj: Scorecard) -> str:
        return format_html(
            '<table class="ts-ratings"><tbody>{}</tbody></table>',
            format_html_join("", "<tr><th scope='row'>{}</th><td>{} / 4</td></tr>", (obj.ratings or {}).items()),
        )

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
