"""Tags and the question bank."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from interviews import services
from interviews.admin.base import HiringAdmin, OrgForm, adopt
from interviews.models import InterviewQuestion, Tag
from interviews.services.pipelines import tag_create, tag_delete, tag_rename


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
        if change:
            adopt(obj, tag_rename(tag=Tag.objects.get(pk=obj.pk), name=obj.name, actor=request.user))
            return
        adopt(obj, tag_create(organization=self.org(request), name=form.cleaned_data["name"], actor=request.user))

    def delete_model(self, request: HttpRequest, obj: Tag) -> None:
        tag_delete(tag=obj, actor=request.user)

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
            "problem",
        )
        help_texts = {"follow_up_questions": _('A JSON list of texts, e.g. ["What about duplicates?"].')}


@admin.register(InterviewQuestion)
class InterviewQuestionAdmin(HiringAdmin):
    form = QuestionForm
    list_display = ("excerpt", "difficulty", "tag_list", "created_at")
    list_filter = ("difficulty", ("tags", admin.RelatedOnlyFieldListFilter))
    search_fields = ("question_text", "interviewer_hints", "expected_answer_guide")
    date_hierarchy = "created_at"
    actions = ("export_csv", "export_csv_plain")
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
            services.question_update(
                question=InterviewQuestion.objects.get(pk=obj.pk),
                actor=request.user,
                data={f: getattr(obj, f) for f in form.changed_data if f != "tags"},
                tags=tags if "tags" in form.changed_data else None,
            )
            return
        fields = {f: getattr(obj, f) for f in form.Meta.fields if f != "tags"}
        question = services.question_create(organization=self.org(request), actor=request.user, tags=tags, **fields)
        adopt(obj, question)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Tags were set with the question by the service."""

    def delete_model(self, request: HttpRequest, obj: InterviewQuestion) -> None:
        services.question_delete(question=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[InterviewQuestion]) -> None:
        for question in queryset:
            self.delete_model(request, question)
