"""Scheduling: availability, pools and shadowing, self-scheduling links, calendars, notifications.

Times the user types (weekly rules, exceptions) are wall-clock times in the person's own zone
(``User.time_zone``); every instant stored is an aware UTC datetime (STYLE rule 13).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, TimeStamped
from interviews.models import Candidate, Interview, PipelineStage

DEFAULT_REMINDER_OFFSETS = [24 * 60, 60]


def default_reminder_offsets() -> list[int]:
    return list(DEFAULT_REMINDER_OFFSETS)


def validate_reminder_offsets(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValidationError(_("Give a list of whole minutes, e.g. [1440, 60]."), code="invalid")
    if len(value) > 5:
        raise ValidationError(_("At most 5 reminders."), code="too_many")
    if any(v < 5 or v > 14 * 24 * 60 for v in value) or len(set(value)) != len(value):
        raise ValidationError(_("Each reminder is 5 minutes to 14 days before, each only once."), code="range")


class SchedulingSettings(models.Model):
    """Per-organization scheduling and reminder settings (created on first use)."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="scheduling_settings")
    reminder_offsets_minutes = models.JSONField(
        _("reminders (minutes before)"), default=default_reminder_offsets, validators=[validate_reminder_offsets]
    )
    scorecard_overdue_hours = models.PositiveSmallIntegerField(_("scorecard overdue after (hours)"), default=24)
    digest_hour = models.PositiveSmallIntegerField(
        _("daily digest at (hour, organization time)"), default=8, help_text=_("0–23")
    )
    min_notice_hours = models.PositiveSmallIntegerField(_("minimum notice for candidates (hours)"), default=12)
    slot_step_minutes = models.PositiveSmallIntegerField(_("slot step (minutes)"), default=30)

    class Meta:
        verbose_name = _("scheduling settings")
        verbose_name_plural = _("scheduling settings")
        constraints = [
            models.CheckConstraint(condition=Q(digest_hour__lte=23), name="schedsettings_digest_hour"),
            models.CheckConstraint(
                condition=Q(slot_step_minutes__gte=5, slot_step_minutes__lte=240), name="schedsettings_step"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Scheduling settings of %(org)s") % {"org": self.organization})


class InterviewerProfile(models.Model):
    """An interviewer's load limits and external calendar, per organization."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="interviewer_profiles")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interviewer_profiles")
    daily_cap = models.PositiveSmallIntegerField(_("interviews per day at most"), default=3)
    weekly_cap = models.PositiveSmallIntegerField(_("interviews per week at most"), default=10)
    buffer_minutes = models.PositiveSmallIntegerField(_("buffer between interviews (minutes)"), default=15)
    ics_url = models.URLField(_("external busy calendar (ICS URL)"), blank=True, max_length=500)
    ics_fetched_at = models.DateTimeField(_("calendar fetched"), null=True, blank=True)
    ics_error = models.CharField(_("last calendar error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("interviewer profile")
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="interviewerprofile_unique"),
            models.CheckConstraint(condition=Q(buffer_minutes__lte=240), name="interviewerprofile_buffer"),
        ]

    def __str__(self) -> str:
        return str(self.user)


class AvailabilityRule(models.Model):
    """A weekly window (wall-clock, in the user's own time zone) when the user interviews."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="availability_rules")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability_rules")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("weekly availability")
        verbose_name_plural = _("weekly availability")
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="availabilityrule_order"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="availabilityrule_weekday"),
        ]
        indexes = [models.Index(fields=["organization", "user"], name="availrule_user_idx")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class AvailabilityException(models.Model):
    """A dated change to the weekly rules (user's own zone).

    ``available=False`` blocks the window (the whole day when no times are given);
    ``available=True`` adds an extra window on that date.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="availability_exceptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability_exceptions")
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("from"), null=True, blank=True)
    end_time = models.TimeField(_("until"), null=True, blank=True)
    available = models.BooleanField(_("available (extra window)"), default=False)
    note = models.CharField(_("note"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("availability exception")
        ordering = ["date", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(start_time__isnull=True) & Q(end_time__isnull=True) & Q(available=False))
                | (Q(start_time__isnull=False) & Q(end_time__isnull=False) & Q(end_time__gt=F("start_time"))),
                name="availabilityexception_times",
            ),
        ]
        indexes = [models.Index(fields=["organization", "user", "date"], name="availexc_user_date_idx")]

    def __str__(self) -> str:
        return f"{self.date} {'+' if self.available else '−'}"

    def clean(self) -> None:
        if (self.start_time is None) != (self.end_time is None):
            raise ValidationError(_("Give both times, or neither for the whole day."))
        if self.start_time is None and self.available:
            raise ValidationError(_("An extra window needs its times."))
        if self.start_time is not None and self.end_time is not None and self.end_time <= self.start_time:
            raise ValidationError({"end_time": _("The end must be after the start.")})


class BusyBlock(models.Model):
    """Time the user is busy (UTC): typed by hand or imported from their external calendar."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered by hand")
        ICS = "ics", _("External calendar")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="busy_blocks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="busy_blocks")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    external_uid = models.CharField(max_length=255, blank=True, editable=False)
    title = models.CharField(_("title (private)"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("busy time")
        verbose_name_plural = _("busy times")
        ordering = ["starts_at"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="busyblock_order")]
        indexes = [models.Index(fields=["user", "starts_at"], name="busyblock_user_start_idx")]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M} UTC"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must be after the start.")})


class InterviewerPool(TimeStamped):
    """A set of interviewers that can be drawn from ("any 2 of these 5 seniors")."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="interviewer_pools")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("interviewer pool")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="interviewerpool_unique_name")]

    def __str__(self) -> str:
        return self.name


class PoolMember(models.Model):
    """A user in a pool: qualified, or a trainee working towards it by shadowing."""

    class Status(models.TextChoices):
        QUALIFIED = "qualified", _("Qualified")
        TRAINEE = "trainee", _("Trainee")

    pool = models.ForeignKey(InterviewerPool, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pool_memberships")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUALIFIED)
    shadows_required = models.PositiveSmallIntegerField(_("shadow interviews to qualify"), default=2)
    reverse_shadows_required = models.PositiveSmallIntegerField(_("reverse-shadow interviews to qualify"), default=1)
    qualified_at = models.DateTimeField(_("qualified"), null=True, blank=True)

    class Meta:
        verbose_name = _("pool member")
        constraints = [models.UniqueConstraint(fields=["pool", "user"], name="poolmember_unique")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_status_display()})"


class ShadowAssignment(models.Model):
    """A trainee on an interview: a shadow observes; a reverse shadow leads while a qualified one observes."""

    class Kind(models.TextChoices):
        SHADOW = "shadow", _("Shadow (observes)")
        REVERSE_SHADOW = "reverse_shadow", _("Reverse shadow (leads, observed)")

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="shadow_assignments")
    trainee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shadow_assignments")
    pool = models.ForeignKey(InterviewerPool, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("shadowing")
        verbose_name_plural = _("shadowing")
        constraints = [models.UniqueConstraint(fields=["interview", "trainee"], name="shadow_unique")]

    def __str__(self) -> str:
        return f"{self.trainee} · {self.get_kind_display()}"


class SchedulingLink(TimeStamped):
    """A candidate's self-scheduling link: offers slots, books atomically, then reschedules or cancels."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for the candidate")
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="scheduling_links")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="scheduling_links")
    stage = models.ForeignKey(PipelineStage, on_delete=models.PROTECT, related_name="+")
    pool = models.ForeignKey(
        InterviewerPool, on_delete=models.PROTECT, null=True, blank=True, related_name="scheduling_links"
    )
    interviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("interviewers to choose from")
    )
    required_interviewers = models.PositiveSmallIntegerField(_("interviewers needed"), default=1)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=60)
    window_start = models.DateTimeField(_("offer slots from"))
    window_end = models.DateTimeField(_("offer slots until"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    interview = models.OneToOneField(
        Interview, on_delete=models.SET_NULL, null=True, blank=True, related_name="scheduling_link"
    )
    candidate_time_zone = models.CharField(_("candidate's time zone"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("self-scheduling link")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(window_end__gt=F("window_start")), name="schedlink_window"),
            models.CheckConstraint(
                condition=Q(required_interviewers__gte=1, required_interviewers__lte=5), name="schedlink_required"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} · {self.stage}"


class CalendarEvent(models.Model):
    """The iCalendar identity of an interview: a stable UID and the SEQUENCE of its last change."""

    interview = models.OneToOneField(Interview, on_delete=models.CASCADE, related_name="calendar_event")
    uid = models.CharField(max_length=255, unique=True)
    sequence = models.PositiveIntegerField(default=0)
    sent_sequence = models.IntegerField(default=-1, help_text="the last SEQUENCE whose invites went out")
    cancelled = models.BooleanField(default=False)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("calendar event")

    def __str__(self) -> str:
        return f"{self.uid} #{self.sequence}"


class CalendarFeed(models.Model):
    """A user's private ICS feed of their interviews; revoking it makes the URL stop working."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="calendarfeed_one_active_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"feed of {self.user}"


class CalDavAccount(models.Model):
    """An interviewer's CalDAV calendar that bookings are written into."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="caldav_accounts")
    calendar_url = models.URLField(_("calendar URL"), max_length=500)
    username = models.CharField(_("user name"), max_length=150, blank=True)
    password_encrypted = models.TextField(blank=True, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("CalDAV calendar")
        constraints = [models.UniqueConstraint(fields=["user", "calendar_url"], name="caldav_unique_url")]

    def __str__(self) -> str:
        return self.calendar_url


class CalDavEvent(models.Model):
    """Where an interview was written in a CalDAV calendar (for updates and deletion)."""

    account = models.ForeignKey(CalDavAccount, on_delete=models.CASCADE, related_name="events")
    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="+")
    href = models.CharField(max_length=500)
    etag = models.CharField(max_length=200, blank=True)
    sequence = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "interview"], name="caldavevent_unique")]

    def __str__(self) -> str:
        return self.href


class NotificationKind(models.TextChoices):
    INTERVIEW_SCHEDULED = "interview_scheduled", _("Interview booked")
    INTERVIEW_UPDATED = "interview_updated", _("Interview moved")
    INTERVIEW_CANCELLED = "interview_cancelled", _("Interview cancelled")
    REMINDER = "reminder", _("Interview reminder")
    SCORECARD_OVERDUE = "scorecard_overdue", _("Scorecard overdue")
    DIGEST = "digest", _("Daily recruiter digest")
    SHADOW_PROGRESS = "shadow_progress", _("Shadowing progress")


class Notification(models.Model):
    """An in-app notification (the bell); e-mail copies depend on the user's preferences."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True, max_length=2000)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_user_unread_idx")]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """Whether a user gets a kind of notification by e-mail too (no row: yes)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=NotificationKind.choices)
    email = models.BooleanField(_("by e-mail"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notificationpref_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}"


class Delivery(models.Model):
    """The ledger that makes periodic messages idempotent: one row per message key, ever.

    A sender claims the key by inserting the row (the unique key decides between racing workers
    and beat processes), sends, then stamps ``sent_at``. A claim whose send never finished may be
    taken over after a while, so a crashed worker does not lose the message.
    """

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return self.key
