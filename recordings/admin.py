"""The recordings back office: settings, consents, sessions, recordings, transcripts, AI insights.

Rows are those of the current organization (``OrgScopedAdmin``). Everything is read-only
evidence except the organization's settings (admins) and two actions on recordings — delete
now, transcribe again — which go through services and are audited. A recording plays from the
admin through the same signed, expiring, per-user URL as the replay page.

Rights: ``user_can`` is asked for ``recordings.<action>_<model>`` first; until the roles name
those, the hiring permission that stands for the same people answers (see ``_FALLBACK``): the
hiring staff who may see every interview see its recordings, the admins who change the
organization change its recording settings.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.middleware import current_organization
from accounts.permissions import user_can
from interviews.admin.base import HiringAdmin, OrgForm, adopt
from recordings import storage
from recordings.models import Insight, MediaSettings, Recording, RecordingConsent, RecordingSession, TranscriptSegment
from recordings.purge import MEDIA_SETTINGS_FIELDS, media_settings_update
from recordings.selectors import interview_media_get, media_settings_get
from recordings.urls_signing import recording_signed_url

#: the permission asked when the role does not name the recordings one
_FALLBACK = {
    "view": "interviews.view_interview",
    "delete": "interviews.delete_interview",
    "transcribe": "interviews.change_interview",
    "change_settings": "accounts.change_organization",
}


def _ms(value: int | None) -> str:
    if value is None:
        return "—"
    seconds = value // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"


class _MediaAdmin(HiringAdmin):
    """Read-only rows of the organization's interviews."""

    org_lookup = "interview__organization"

    def _may(self, request: HttpRequest, action: str, fallback: str) -> bool:
        organization = current_organization(request)
        opts = self.opts
        own = f"{opts.app_label}.{action}_{opts.model_name}"
        return user_can(request.user, own, organization=organization) or user_can(
            request.user, _FALLBACK[fallback], organization=organization
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, "view", "view")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- settings ------------------------------------------------------------------------------
class MediaSettingsForm(OrgForm):
    class Meta:
        model = MediaSettings
        fields = MEDIA_SETTINGS_FIELDS


@admin.register(MediaSettings)
class MediaSettingsAdmin(_MediaAdmin):
    """One row per organization, there from the first visit."""

    org_lookup = "organization"
    form = MediaSettingsForm
    list_display = ("organization", "retention_days", "transcription_enabled", "ai_enabled")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, "change", "change_settings")

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        organization = current_organization(request)
        if organization is not None:
            media_settings_get(organization)
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: MediaSettings, form: Any, change: bool) -> None:
        data = {f: form.cleaned_data[f] for f in MEDIA_SETTINGS_FIELDS}
        adopt(obj, media_settings_update(actor=request.user, organization=obj.organization, data=data))


# --- consents and sessions -----------------------------------------------------------------
@admin.register(RecordingConsent)
class RecordingConsentAdmin(_MediaAdmin):
    list_display = ("participant", "interview", "granted_at", "withdrawn_at", "ip_address")
    list_select_related = ("participant__user", "participant__candidate", "interview__candidate", "interview__stage")
    list_filter = (("withdrawn_at", admin.EmptyFieldListFilter),)
    fields = ("participant", "interview", "granted_at", "withdrawn_at", "consent_text", "ip_address", "user_agent")
    readonly_fields = fields


class RecordingInline(admin.TabularInline):
    model = Recording
    extra = 0
    can_delete = False
    show_change_link = True
    fields = (
        "speaker_name",
        "kind",
        "has_audio",
        "has_video",
        "duration",
        "size_bytes",
        "transcript_status",
        "deleted_at",
    )
    readonly_fields = fields

    @admin.display(description=_("duration"))
    def duration(self, obj: Recording) -> str:
        return _ms(obj.duration_ms)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(self.admin_site._registry[RecordingSession].has_view_permission(request, obj))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RecordingSession)
class RecordingSessionAdmin(_MediaAdmin):
    list_display = ("interview", "status", "started_at", "ended_at", "recording_count")
    list_filter = ("status",)
    list_select_related = ("interview__candidate", "interview__stage")
    fields = ("interview", "status", "started_at", "ended_at", "error")
    readonly_fields = fields
    inlines = (RecordingInline,)

    @admin.display(description=_("files"))
    def recording_count(self, obj: RecordingSession) -> int:
        return obj.recordings.filter(deleted_at__isnull=True).count()


# --- recordings ----------------------------------------------------------------------------
@admin.register(Recording)
class RecordingAdmin(_MediaAdmin):
    change_form_template = "admin/recordings/recording/change_form.html"
    list_filter = ("kind", "transcript_status", ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("speaker_name", "interview__candidate__full_name")
    list_select_related = ("interview__candidate", "interview__stage", "participant__user", "participant__candidate")
    date_hierarchy = "started_at"
    actions = ("delete_now", "transcribe_again")
    fields = (
        "interview",
        "session",
        "participant",
        "speaker_name",
        "kind",
        "has_audio",
        "has_video",
        "content_type",
        "size_bytes",
        "duration",
        "started_at",
        "ended_at",
        "transcript_status",
        "transcript_engine",
        "transcript_error",
        "created_at",
        "deleted_at",
    )
    readonly_fields = fields

    @admin.display(description=_("duration"))
    def duration(self, obj: Recording) -> str:
        return _ms(obj.duration_ms)

    def _play_url(self, request: HttpRequest, obj: Recording) -> str | None:
        if obj.deleted_at is not None:
            return None
        organization = current_organization(request) or obj.interview.organization
        if interview_media_get(actor=request.user, organization=organization, interview_id=obj.interview_id) is None:
            return None
        return recording_signed_url(recording=obj, user=request.user)

    def get_list_display(self, request: HttpRequest) -> Any:
        @admin.display(description=_("play"))
        def play(obj: Recording) -> str:
            url = self._play_url(request, obj)
            if url is None:
                return str(_("deleted")) if obj.deleted_at else "—"
            return format_html(
                '<a href="{}" class="ts-recording-play" target="_blank" rel="noopener">{}</a>', url, _("Play")
            )

        return ("__str__", "interview", "kind", "duration", "size_bytes", "transcript_status", "deleted_at", play)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None) -> Any:
        obj = self.get_object(request, object_id)
        extra = {
            **(extra_context or {}),
            "play_url": self._play_url(request, obj),
            "replay_url": reverse("interview_replay", args=[obj.interview_id]) if obj is not None else None,
            "segments_url": reverse("admin:recordings_transcriptsegment_changelist")
            + f"?recording__id__exact={obj.pk}",
        }
        return super().change_view(request, object_id, form_url, extra)

    def has_purge_permission(self, request: HttpRequest) -> bool:
        return self._may(request, "delete", "delete")

    def has_transcribe_permission(self, request: HttpRequest) -> bool:
        return self._may(request, "change", "transcribe")

    @admin.action(description=_("Delete recordings now"), permissions=["purge"])
    def delete_now(self, request: HttpRequest, queryset: QuerySet[Recording]) -> HttpResponse | None:
        rows = list(queryset.filter(deleted_at__isnull=True))
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Delete these recordings now?"),
                "opts": self.opts,
                "rows": rows,
                "action": "delete_now",
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/recordings/recording/delete_now.html", context)
        self.run_each(
            request,
            Recording.objects.filter(pk__in=[r.pk for r in rows]),
            lambda r: storage.recording_delete(recording=r, actor=request.user, reason="admin"),
            str(_("Deleted %(n)d recording(s) and their transcripts.")),
        )
        return None

    @admin.action(description=_("Transcribe again"), permissions=["transcribe"])
    def transcribe_again(self, request: HttpRequest, queryset: QuerySet[Recording]) -> None:
        self.run_each(
            request,
            queryset,
            lambda r: storage.recording_transcribe_again(recording=r, actor=request.user),
            str(_("Queued %(n)d recording(s) for transcription.")),
        )


# --- transcripts and AI output ---------------------------------------------------------------
@admin.register(TranscriptSegment)
class TranscriptSegmentAdmin(_MediaAdmin):
    list_display = ("speaker_name", "start", "end", "short_text", "recording", "interview")
    list_select_related = ("recording", "interview__candidate", "interview__stage")
    search_fields = ("text", "speaker_name")
    list_filter = (("recording", admin.RelatedOnlyFieldListFilter),)
    fields = ("interview", "recording", "participant", "speaker_name", "index", "start", "end", "text", "confidence")
    readonly_fields = fields

    @admin.display(description=_("from"), ordering="start_ms")
    def start(self, obj: TranscriptSegment) -> str:
        return _ms(obj.start_ms)

    @admin.display(description=_("to"), ordering="end_ms")
    def end(self, obj: TranscriptSegment) -> str:
        return _ms(obj.end_ms)

    @admin.display(description=_("text"))
    def short_text(self, obj: TranscriptSegment) -> str:
        return obj.text if len(obj.text) <= 120 else f"{obj.text[:119]}…"


@admin.register(Insight)
class InsightAdmin(_MediaAdmin):
    list_display = ("interview", "kind", "status", "ai_label", "provider", "updated_at")
    list_filter = ("kind", "status")
    list_select_related = ("interview__candidate", "interview__stage")
    fieldsets = (
        (
            _("AI-generated"),
            {
                "description": _(
                    "Written by a machine from the recording, transcript and code. It can be wrong, "
                    "is never a scorecard, and is never shown to the candidate."
                ),
                "fields": ("interview", "kind", "status", "provider", "content", "error", "created_at", "updated_at"),
            },
        ),
    )
    readonly_fields = ("interview", "kind", "status", "provider", "content", "error", "created_at", "updated_at")

    @admin.display(description=_("label"))
    def ai_label(self, obj: Insight) -> str:
        return str(_("AI-generated"))

    @admin.display(description=_("content"))
    def content(self, obj: Insight) -> str:
        text = json.dumps(obj.payload, indent=2, ensure_ascii=False, sort_keys=True)
        return format_html('<pre class="ts-insight-payload">{}</pre>', text)
