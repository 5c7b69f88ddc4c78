"""Pipelines with their stages, and positions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.middleware import current_organization
from accounts.models import Organization
from interviews import services
from interviews.admin.base import HiringAdmin, HiringInline, OrgForm, adopt, formset_saved
from interviews.models import InterviewQuestion, PipelineStage, PipelineTemplate, Position, StageQuestion
from interviews.services.interviews import STAFF_ROLES
from interviews.services.pipelines import (
    STAGE_FIELDS,
    StageSpec,
    pipeline_update,
    stage_questions_set,
    stage_remove,
    stage_update,
)


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


def _stage_spec(form: Any) -> StageSpec:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "stage_type": data["stage_type"],
        "duration_minutes": data["duration_minutes"],
        "question_ids": [q.pk for q in data.get("questions") or []],
    }


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
            pipeline_update(
                pipeline=PipelineTemplate.objects.get(pk=obj.pk),
                actor=request.user,
                data={f: getattr(obj, f) for f in form.changed_data},
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
            if stage_form.instance.pk is not None:
                stage_remove(stage=PipelineStage.objects.get(pk=stage_form.instance.pk), actor=request.user)
        for stage_form in rows:
            if stage_form.instance.pk is None:
                services.stage_add(
                    pipeline=pipeline,
                    spec=_stage_spec(stage_form),
                    order=stage_form.cleaned_data["order"],
                    actor=request.user,
                )
            elif stage_form.has_changed():
                changed = stage_form.changed_data
                stage_update(
                    stage=PipelineStage.objects.get(pk=stage_form.instance.pk),
                    actor=request.user,
                    data={f: stage_form.cleaned_data[f] for f in changed if f in STAGE_FIELDS},
                    question_ids=[q.pk for q in stage_form.cleaned_data["questions"]]
                    if "questions" in changed
                    else None,
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
        stage_update(
            stage=PipelineStage.objects.get(pk=obj.pk),
            actor=request.user,
            data={f: getattr(obj, f) for f in form.changed_data if f in STAGE_FIELDS},
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # The inline only collects the rows; the service replaces the stage's questions in one go.
        kept = [f for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        kept.sort(key=lambda f: (f.cleaned_data.get("order") or 0, f.instance.pk is None, f.instance.pk or 0))
        formset_saved(
            formset,
            new=[f.instance for f in kept if f.instance.pk is None],
            changed=[(f.instance, f.changed_data) for f in kept if f.instance.pk is not None and f.has_changed()],
        )
        if formset.has_changed():
            stage_questions_set(
                stage=form.instance,
                question_ids=[f.cleaned_data["question"].pk for f in kept],
                actor=request.user,
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
    actions = ("export_csv", "export_csv_plain", "close_positions", "reopen_positions")

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
