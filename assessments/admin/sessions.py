"""DSA sessions, submissions, proctoring, integrity and plagiarism in the admin.

Everything here is read-only evidence: recruiters look, nobody edits. Each session has one page
with its submissions (scores and per-case results, hidden cases in full), the integrity timeline,
the snapshot gallery (images streamed by ``assessments.views.snapshot_image``, never a public URL)
and the plagiarism matches of its submissions; each match has a side-by-side page with the
shared parts highlighted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin_site import OrgScopedAdmin
from accounts.middleware import current_organization
from assessments.models import DsaSession, IntegrityEvent, PlagiarismMatch, Submission, TestCase
from assessments.services.dsa import can_view_dsa
from interviews.models import Interview


@dataclass(frozen=True)
class Segment:
    text: str
    highlighted: bool


def code_segments(code: str, ranges: list[list[int]]) -> list[Segment]:
    """``code`` cut into plain and highlighted pieces by character ranges (escaped by the template)."""
    segments: list[Segment] = []
    position = 0
    for pair in sorted(ranges or []):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            continue
        start, end = max(position, int(pair[0])), min(len(code), int(pair[1]))
        if end <= start:
            continue
        if start > position:
            segments.append(Segment(code[position:start], False))
        segments.append(Segment(code[start:end], True))
        position = end
    if position < len(code):
        segments.append(Segment(code[position:], False))
    return segments


class ReadOnlyEvidenceAdmin(OrgScopedAdmin):
    """Viewable by whoever may see the interview; never added, changed or deleted here."""

    #: lookup from the model to its interview
    interview_lookup = "interview"

    def _interview(self, obj: Any) -> Interview:
        for part in self.interview_lookup.split("__"):
            obj = getattr(obj, part)
        return obj

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None:
            return can_view_dsa(request.user, self._interview(obj))
        organization = current_organization(request)
        if organization is None:
            return bool(request.user.is_superuser)
        return can_view_dsa(request.user, Interview(organization=organization))

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _candidate(interview: Interview) -> str:
    return str(interview.candidate)


@admin.register(DsaSession)
class DsaSessionAdmin(ReadOnlyEvidenceAdmin):
    org_lookup = "interview__organization"
    list_display = (
        "candidate_name",
        "position",
        "started_at",
        "deadline",
        "finished_at",
        "best_score",
        "submission_count",
        "snapshot_count",
        "flagged_count",
    )
    list_select_related = ("interview__candidate", "interview__position", "interview__organization")
    search_fields = ("interview__candidate__full_name", "interview__candidate__email", "interview__position__title")
    list_filter = (("finished_at", admin.EmptyFieldListFilter),)
    ordering = ("-started_at", "-pk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                _best=Max("submissions__score"),
                _submissions=Count("submissions", distinct=True),
                _snapshots=Count("snapshots", distinct=True),
            )
        )

    @admin.display(description=_("candidate"), ordering="interview__candidate__full_name")
    def candidate_name(self, obj: DsaSession) -> str:
        return _candidate(obj.interview)

    @admin.display(description=_("position"), ordering="interview__position__title")
    def position(self, obj: DsaSession) -> str:
        return str(obj.interview.position)

    @admin.display(description=_("best score"), ordering="_best")
    def best_score(self, obj: Any) -> str:
        return "—" if obj._best is None else f"{obj._best:.0f}%"

    @admin.display(description=_("submissions"), ordering="_submissions")
    def submission_count(self, obj: Any) -> int:
        return int(obj._submissions)

    @admin.display(description=_("snapshots"), ordering="_snapshots")
    def snapshot_count(self, obj: Any) -> int:
        return int(obj._snapshots)

    @admin.display(description=_("flagged pairs"))
    def flagged_count(self, obj: DsaSession) -> int:
        return PlagiarismMatch.objects.filter(Q(first__session=obj) | Q(second__session=obj), flagged=True).count()

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        session: DsaSession = self.get_object(request, object_id)
        if not self.has_view_permission(request, session):
            raise PermissionDenied
        interview = session.interview
        submissions = list(session.submissions.select_related("problem").order_by("-created_at", "-pk"))
        case_ids = {r.get("testCaseId") for s in submissions for r in (s.results or []) if isinstance(r, dict)}
        cases = {c.pk: c for c in TestCase.objects.filter(pk__in=[i for i in case_ids if isinstance(i, int)])}
        rows = []
        for submission in submissions:
            results = []
            for result in submission.results or []:
                case = cases.get(result.get("testCaseId"))
                results.append(
                    {**result, "input": case.input if case else "", "expected": case.expected_output if case else ""}
                )
            rows.append({"submission": submission, "results": results})
        submission_ids = [s.pk for s in submissions]
        matches = (
            PlagiarismMatch.objects.filter(Q(first_id__in=submission_ids) | Q(second_id__in=submission_ids))
            .select_related("first__session__interview__candidate", "second__session__interview__candidate", "problem")
            .order_by("-similarity")
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Coding assessment of %(name)s") % {"name": _candidate(interview)},
            "session": session,
            "interview": interview,
            "config": interview.stage.config.dsaConfig,
            "rows": rows,
            "events": IntegrityEvent.objects.filter(interview=interview).order_by("occurred_at", "pk"),
            "snapshots": [
                {"snapshot": s, "url": reverse("dsa_snapshot_image", args=[s.pk])}
                for s in session.snapshots.order_by("taken_at", "pk")
            ],
            "matches": [
                {
                    "match": m,
                    "other": m.second if m.first.session_id == session.pk else m.first,
                    "url": reverse("admin:assessments_plagiarismmatch_change", args=[m.pk]),
                }
                for m in matches
            ],
            "interview_url": reverse("admin:interviews_interview_change", args=[interview.pk]),
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/assessments/dsasession/detail.html", context)


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyEvidenceAdmin):
    org_lookup = "session__interview__organization"
    interview_lookup = "session__interview"
    list_display = ("created_at", "candidate_name", "problem", "language", "score_display", "passed", "total")
    list_select_related = ("session__interview__candidate", "problem")
    list_filter = ("language", ("problem", admin.RelatedOnlyFieldListFilter))
    search_fields = ("session__interview__candidate__full_name", "problem__title")

    @admin.display(description=_("candidate"), ordering="session__interview__candidate__full_name")
    def candidate_name(self, obj: Submission) -> str:
        return _candidate(obj.session.interview)

    @admin.display(description=_("score"), ordering="score")
    def score_display(self, obj: Submission) -> str:
        return f"{obj.score:.0f}%"

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        submission: Submission = self.get_object(request, object_id)
        if not self.has_view_permission(request, submission):
            raise PermissionDenied
        from django.shortcuts import redirect

        return redirect(
            reverse("admin:assessments_dsasession_change", args=[submission.session_id])
            + f"#submission-{submission.pk}"
        )


@admin.register(PlagiarismMatch)
class PlagiarismMatchAdmin(ReadOnlyEvidenceAdmin):
    org_lookup = "problem__organization"
    interview_lookup = "first__session__interview"
    list_display = (
        "problem",
        "first_candidate",
        "second_candidate",
        "similarity_display",
        "flagged_badge",
        "computed_at",
    )
    list_select_related = ("problem", "first__session__interview__candidate", "second__session__interview__candidate")
    list_filter = ("flagged", ("problem", admin.RelatedOnlyFieldListFilter))
    ordering = ("-flagged", "-similarity", "pk")

    @admin.display(description=_("first candidate"))
    def first_candidate(self, obj: PlagiarismMatch) -> str:
        return _candidate(obj.first.session.interview)

    @admin.display(description=_("second candidate"))
    def second_candidate(self, obj: PlagiarismMatch) -> str:
        return _candidate(obj.second.session.interview)

    @admin.display(description=_("similarity"), ordering="similarity")
    def similarity_display(self, obj: PlagiarismMatch) -> str:
        return f"{obj.similarity:.0%}"

    @admin.display(description=_("flagged"), ordering="flagged")
    def flagged_badge(self, obj: PlagiarismMatch) -> str:
        if obj.flagged:
            return format_html('<span class="ts-badge ts-badge--cancelled">{}</span>', _("flagged"))
        return ""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return super().has_view_permission(request, obj)
        # both sides belong to the same organization (same problem); check both anyway
        return can_view_dsa(request.user, obj.first.session.interview) and can_view_dsa(
            request.user, obj.second.session.interview
        )

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        match: PlagiarismMatch = self.get_object(request, object_id)
        if not self.has_view_permission(request, match):
            raise PermissionDenied
        sides = []
        for submission, overlap, ranges in (
            (match.first, match.first_overlap, match.first_ranges),
            (match.second, match.second_overlap, match.second_ranges),
        ):
            sides.append(
                {
                    "submission": submission,
                    "candidate": _candidate(submission.session.interview),
                    "overlap": overlap,
                    "segments": code_segments(submission.code, ranges),
                    "session_url": reverse("admin:assessments_dsasession_change", args=[submission.session_id]),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Similar code: %(problem)s") % {"problem": match.problem},
            "match": match,
            "sides": sides,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/assessments/plagiarismmatch/detail.html", context)
