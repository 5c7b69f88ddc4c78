"""Candidates: their details, timeline and notes, and moving them along their pipeline."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from interviews import services
from interviews.admin.base import HiringAdmin, OrgForm, adopt, error_text
from interviews.admin.list_filters import ReachedStageFilter
from interviews.models import Candidate
from interviews.selectors import candidate_timeline
from talentsync.errors import ApplicationError


class CandidateForm(OrgForm):
    org_unique = ("email",)

    class Meta:
        model = Candidate
        fields = ("full_name", "email", "phone", "position", "source", "tags", "resume")
        help_texts = {"resume": _("PDF or Word (.docx), 5 MB at most.")}


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    is_private = forms.BooleanField(label=_("Private (admins and recruiters only)"), required=False, initial=True)


@admin.register(Candidate)
class CandidateAdmin(HiringAdmin):
    form = CandidateForm
    change_form_template = "admin/interviews/candidate/change_form.html"
    list_display = ("full_name", "email", "position", "current_stage", "outcome", "source", "tag_list", "created_at")
    list_filter = (
        ("position", admin.RelatedOnlyFieldListFilter),
        ("current_stage", admin.RelatedOnlyFieldListFilter),
        ReachedStageFilter,
        "outcome",
        "source",
        ("tags", admin.RelatedOnlyFieldListFilter),
        "created_at",
    )
    search_fields = ("full_name", "email", "phone")
    list_select_related = ("position", "current_stage")
    date_hierarchy = "created_at"
    actions = (
        "move_to_next_stage",
        "mark_hired",
        "mark_rejected",
        "mark_withdrawn",
        "reopen",
        "export_csv",
        "export_csv_plain",
    )
    filter_horizontal = ("tags",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("tags")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("current_stage", "outcome", "decided_at") if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(CandidateForm.Meta.fields)
        if obj is not None:
            fields[4:4] = ["current_stage", "outcome", "decided_at"]
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

    def _decide(self, request: HttpRequest, queryset: QuerySet[Candidate], outcome: str, done: str) -> None:
        self.run_each(
            request,
            queryset,
            lambda c: services.candidate_decide(candidate=c, outcome=outcome, actor=request.user),
            done,
        )

    @admin.action(description=_("Mark as hired"))
    def mark_hired(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> None:
        self._decide(request, queryset, Candidate.Outcome.HIRED, str(_("Marked %(n)d candidate(s) as hired.")))

    @admin.action(description=_("Mark as rejected"))
    def mark_rejected(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> None:
        self._decide(request, queryset, Candidate.Outcome.REJECTED, str(_("Marked %(n)d candidate(s) as rejected.")))

    @admin.action(description=_("Mark as withdrew"))
    def mark_withdrawn(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> None:
        self._decide(request, queryset, Candidate.Outcome.WITHDRAWN, str(_("Marked %(n)d candidate(s) as withdrew.")))

    @admin.action(description=_("Reopen (back in process)"))
    def reopen(self, request: HttpRequest, queryset: QuerySet[Candidate]) -> None:
        self._decide(request, queryset, Candidate.Outcome.ACTIVE, str(_("Reopened %(n)d candidate(s).")))

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
