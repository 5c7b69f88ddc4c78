"""Interviews (schedule, reschedule, plan, join links, cancel) and submitted scorecards."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.middleware import current_organization
from interviews import services
from interviews.admin.base import HiringAdmin, HiringInline, OrgForm, formset_saved
from interviews.admin.interview_forms import InterviewRescheduleForm, InterviewScheduleForm
from interviews.admin.list_filters import InterviewerFilter, ScorecardCandidateFilter
from interviews.models import Interview, InterviewQuestionPlan, Participant, Scorecard
from interviews.selectors import interview_has_code


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
        InterviewerFilter,
        ("scheduled_at", admin.DateFieldListFilter),
    )
    search_fields = ("candidate__full_name", "candidate__email", "position__title", "stage__name")
    list_select_related = ("candidate", "position", "stage", "organization")
    date_hierarchy = "scheduled_at"
    actions = ("send_join_links", "cancel_interviews", "revoke_join_links", "export_csv", "export_csv_plain")
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
        code = ((_("Code editor"), {"fields": ("code_playback",)}),) if interview_has_code(interview=obj) else ()
        if obj.started_at is not None or obj.status == Interview.Status.COMPLETED or code:
            code = ((_("Replay"), {"fields": ("interview_replay",)}), *code)
        if obj.code_runs.exists():
            code = (*code, (_("Code runs"), {"fields": ("code_run_history",)}))
        if hasattr(obj, "dsa_session"):
            code = (*code, (_("Coding assessment"), {"fields": ("dsa_assessment",)}))
        return (
            (None, {"fields": ("candidate", "position", "stage", "status")}),
            (_("Time"), {"fields": ("starts_local", *editable)}),
            *code,
            (_("Room"), {"fields": ("room_id", "created_by", "started_at", "ended_at"), "classes": ("collapse",)}),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return (
            *self.change_readonly,
            "starts_local",
            "interview_replay",
            "code_playback",
            "code_run_history",
            "dsa_assessment",
        )

    @admin.display(description=_("assessment"))
    def dsa_assessment(self, obj: Interview) -> str:
        submissions = obj.stage_data.get("dsaSubmissions", []) if isinstance(obj.stage_data, dict) else []
        scores = [s.get("score", 0) for s in submissions if isinstance(s, dict)]
        best = format_html(" · {} {}%", _("best score"), max(scores)) if scores else ""
        url = reverse("admin:assessments_dsasession_change", args=[obj.dsa_session.pk])
        return format_html(
            '<a href="{}">{}</a> · {} {}{}',
            url,
            _("Submissions, integrity and snapshots"),
            len(submissions),
            _("submissions"),
            best,
        )

    @admin.display(description=_("run history"))
    def code_run_history(self, obj: Interview) -> str:
        """Test-case runs per problem (pass counts over time, first all green, regressions), then
        the latest room runs: what the interviewers saw during the interview."""
        from assessments.models import CodeRun
        from assessments.services.live_runs import run_history

        parts = []
        for line in run_history(interview=obj):
            points = format_html_join(
                ", ",
                '<span class="{}">{}/{}</span>',
                (("ts-regression" if p["regression"] else "", p["passed"], p["total"]) for p in line["points"]),
            )
            green = line["firstAllGreenAt"] or _("never")
            parts.append(
                format_html(
                    "<p><strong>{}</strong>: {} · {} {} · {} {}</p>",
                    line["title"],
                    points,
                    _("first all green:"),
                    green,
                    line["regressions"],
                    _("regressions"),
                )
            )
        room_runs = obj.code_runs.filter(source=CodeRun.Source.ROOM).order_by("-created_at")[:20]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} ms</td></tr>",
            ((r.created_at.strftime("%H:%M:%S"), r.language, r.verdict, r.wall_ms) for r in room_runs),
        )
        table = (
            format_html(
                "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
                _("time (UTC)"),
                _("language"),
                _("verdict"),
                _("wall clock"),
                rows,
            )
            if room_runs
            else ""
        )
        return format_html("{}{}", format_html_join("", "{}", ((p,) for p in parts)), table)

    @admin.display(description=_("replay"))
    def interview_replay(self, obj: Interview) -> str:
        url = reverse("interview_replay", args=[obj.pk])
        recorded = obj.recordings.filter(deleted_at__isnull=True).count()
        note = (
            ngettext("%(n)d recording", "%(n)d recordings", recorded) % {"n": recorded}
            if recorded
            else _("not recorded")
        )
        return format_html(
            '<a href="{}">{}</a> <span class="help">({})</span>',
            url,
            _("Replay the whole interview: video, transcript, code, whiteboard, chat, runs and AI notes"),
            note,
        )

    @admin.display(description=_("code playback"))
    def code_playback(self, obj: Interview) -> str:
        url = reverse("interview_playback", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Replay the code, keystroke by keystroke"))

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
        ScorecardCandidateFilter,
    )
    search_fields = ("interview__candidate__full_name", "author__email", "author__full_name", "comments")
    list_select_related = ("author", "interview__candidate", "interview__position", "interview__stage")
    date_hierarchy = "submitted_at"
    actions = ("export_csv", "export_csv_plain")
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
