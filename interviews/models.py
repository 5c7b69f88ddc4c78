"""The hiring domain: positions, pipelines, candidates, interviews, questions and feedback."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, TimeStamped
from interviews import stage_config
from interviews.querysets import InterviewQuerySet, OrgQuerySet
from interviews.validators import validate_resume


class Tag(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("name"), max_length=40)

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ("name",)
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="tag_unique_name")]

    def __str__(self) -> str:
        return self.name


class PipelineTemplate(TimeStamped):
    """An ordered list of stages that positions follow."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="pipelines")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        verbose_name = _("pipeline")
        ordering = ("name",)
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="pipeline_unique_name")]

    def __str__(self) -> str:
        return self.name


class PipelineStage(models.Model):
    """One step of a pipeline, with its room tools, DSA settings and scorecard criteria."""

    class Type(models.TextChoices):
        PHONE_SCREEN = stage_config.StageType.PHONE_SCREEN, _("Phone screen")
        TECHNICAL_LIVE = stage_config.StageType.TECHNICAL_LIVE, _("Technical (live coding)")
        TECHNICAL_DSA = stage_config.StageType.TECHNICAL_DSA, _("Technical (async coding)")
        SYSTEM_DESIGN = stage_config.StageType.SYSTEM_DESIGN, _("System design")
        BEHAVIORAL = stage_config.StageType.BEHAVIORAL, _("Behavioral")
        PANEL = stage_config.StageType.PANEL, _("Panel")

    pipeline = models.ForeignKey(PipelineTemplate, on_delete=models.CASCADE, related_name="stages")
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=120)
    stage_type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), default=60, validators=[MinValueValidator(10), MaxValueValidator(480)]
    )
    tools_config = models.JSONField(_("room tools"), default=dict, blank=True)
    dsa_config = models.JSONField(_("async coding settings"), default=dict, blank=True)
    criteria = models.JSONField(_("scorecard criteria"), default=list, blank=True)

    class Meta:
        verbose_name = _("stage")
        ordering = ("pipeline", "order")
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "order"], name="stage_unique_order"),
            models.CheckConstraint(condition=Q(stage_type__in=stage_config.STAGE_TYPES), name="stage_type_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"

    @property
    def organization(self) -> Organization:
        return self.pipeline.organization

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if not self.tools_config:
            self.tools_config = stage_config.default_tools(self.stage_type)
        if not self.criteria:
            self.criteria = list(stage_config.DEFAULT_CRITERIA.get(self.stage_type, ["Overall"]))
        for attr, parse in (
            ("tools_config", stage_config.parse_tools_config),
            ("criteria", stage_config.parse_criteria),
        ):
            try:
                setattr(self, attr, parse(getattr(self, attr)))
            except ValidationError as exc:
                errors[attr] = exc.messages
        try:
            self.dsa_config = asdict(stage_config.parse_dsa_config(self.dsa_config))
        except ValidationError as exc:
            errors["dsa_config"] = exc.messages
        if errors:
            raise ValidationError(errors)

    @property
    def config(self) -> stage_config.StageTypeConfig:
        return stage_config.StageTypeConfig(
            toolsConfig=stage_config.parse_tools_config(
                self.tools_config or stage_config.default_tools(self.stage_type)
            ),
            dsaConfig=stage_config.parse_dsa_config(self.dsa_config),
        )


class Position(TimeStamped):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="positions")
    title = models.CharField(_("title"), max_length=160)
    team = models.CharField(_("team"), max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    hiring_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hiring manager"),
    )
    pipeline = models.ForeignKey(
        PipelineTemplate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="positions",
        verbose_name=_("pipeline"),
    )
    description = models.TextField(_("description"), blank=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        verbose_name = _("position")
        ordering = ("-created_at",)
        indexes = [models.Index(fields=["organization", "status"], name="position_org_status_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.team})" if self.team else self.title


def resume_path(instance: Candidate, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "pdf"
    return f"resumes/{instance.organization_id}/{uuid.uuid4().hex}.{ext}"


class Candidate(TimeStamped):
    class Source(models.TextChoices):
        CAREERS_SITE = "careers_site", _("Careers site")
        REFERRAL = "referral", _("Referral")
        LINKEDIN = "linkedin", _("LinkedIn")
        AGENCY = "agency", _("Agency")
        SOURCED = "sourced", _("Sourced")
        OTHER = "other", _("Other")

    class Outcome(models.TextChoices):
        """The hiring decision: ``active`` while in process; the others are final (``decided_at``)."""

        ACTIVE = "active", _("In process")
        HIRED = "hired", _("Hired")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrew")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="candidates")
    full_name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(
        _("phone"),
        max_length=32,
        blank=True,
        validators=[RegexValidator(r"^\+?[0-9 ()./-]{6,32}$", _("Enter a phone number like +49 30 1234567."))],
    )
    resume = models.FileField(_("résumé"), upload_to=resume_path, blank=True, validators=[validate_resume])
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.CAREERS_SITE)
    position = models.ForeignKey(
        Position, on_delete=models.PROTECT, null=True, blank=True, related_name="candidates", verbose_name=_("position")
    )
    current_stage = models.ForeignKey(
        PipelineStage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current stage"),
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.ACTIVE)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="candidates", verbose_name=_("tags"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="candidacies",
        help_text=_("The candidate's own account, when they have one."),
    )

    objects = OrgQuerySet.as_manager()

    class Meta:
        verbose_name = _("candidate")
        ordering = ("-created_at",)
        constraints = [models.UniqueConstraint(fields=["organization", "email"], name="candidate_unique_email")]
        indexes = [models.Index(fields=["organization", "position"], name="candidate_org_position_idx")]

    def __str__(self) -> str:
        return self.full_name

    def clean(self) -> None:
        super().clean()
        self.email = (self.email or "").strip().lower()
        position, stage = self.position, self.current_stage
        if position is not None and position.organization_id != self.organization_id:
            raise ValidationError({"position": _("Choose a position of this organization.")})
        if stage is not None and (position is None or stage.pipeline_id != position.pipeline_id):
            raise ValidationError({"current_stage": _("The stage must belong to the position's pipeline.")})


class CandidateNote(models.Model):
    """A recruiter's note on a candidate; private notes are for admins and recruiters only."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(_("note"), max_length=5000)
    is_private = models.BooleanField(_("private (recruiters only)"), default=True)
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        verbose_name = _("note")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.body[:60]


class StageMove(models.Model):
    """A candidate moving from one stage to another (the timeline's spine)."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="stage_moves")
    from_stage = models.ForeignKey(PipelineStage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    to_stage = models.ForeignKey(PipelineStage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    moved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-moved_at",)

    def __str__(self) -> str:
        return f"{self.candidate}: {self.from_stage or '—'} → {self.to_stage or '—'}"


class InterviewQuestion(TimeStamped):
    """A question of the bank. Hints and the answer guide never reach a candidate."""

    class Difficulty(models.TextChoices):
        EASY = "easy", _("Easy")
        MEDIUM = "medium", _("Medium")
        HARD = "hard", _("Hard")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="questions")
    question_text = models.TextField(_("question"), max_length=10000)
    interviewer_hints = models.TextField(_("hints for the interviewer"), blank=True, max_length=10000)
    expected_answer_guide = models.TextField(_("expected answer guide"), blank=True, max_length=20000)
    difficulty = models.CharField(_("difficulty"), max_length=10, choices=Difficulty.choices, default=Difficulty.MEDIUM)
    tags = models.ManyToManyField(Tag, blank=True, related_name="questions", verbose_name=_("tags"))
    follow_up_questions = models.JSONField(_("follow-up questions"), default=list, blank=True)
    # A coding question names its problem: in the live room the interviewer can then run the
    # candidate's code against the problem's test cases, hidden ones included.
    problem = models.ForeignKey(
        "assessments.Problem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions",
        verbose_name=_("coding problem"),
        help_text=_("Lets the interviewer run the candidate's code against this problem's test cases."),
    )

    objects = OrgQuerySet.as_manager()

    class Meta:
        verbose_name = _("question")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.question_text[:80]

    def clean(self) -> None:
        super().clean()
        follow = self.follow_up_questions
        if (
            not isinstance(follow, list)
            or not all(isinstance(q, str) and q.strip() for q in follow)
            or len(follow) > 20
        ):
            raise ValidationError({"follow_up_questions": _("Follow-up questions must be a list of up to 20 texts.")})
        if self.problem is not None and self.problem.organization_id != self.organization_id:
            raise ValidationError({"problem": _("Choose a problem of this organization.")})


class StageQuestion(models.Model):
    """The questions a pipeline stage asks, in order; copied into each interview's plan."""

    stage = models.ForeignKey(PipelineStage, on_delete=models.CASCADE, related_name="stage_questions")
    question = models.ForeignKey(InterviewQuestion, on_delete=models.CASCADE, related_name="+")
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ("stage", "order", "pk")
        constraints = [models.UniqueConstraint(fields=["stage", "question"], name="stage_question_unique")]

    def __str__(self) -> str:
        return f"{self.stage}: {self.question}"


class Interview(TimeStamped):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        LIVE = "live", _("Live")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No show")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="interviews")
    candidate = models.ForeignKey(
        Candidate, on_delete=models.CASCADE, related_name="interviews", verbose_name=_("candidate")
    )
    position = models.ForeignKey(
        Position, on_delete=models.PROTECT, related_name="interviews", verbose_name=_("position")
    )
    stage = models.ForeignKey(
        PipelineStage, on_delete=models.PROTECT, related_name="interviews", verbose_name=_("stage")
    )
    scheduled_at = models.DateTimeField(_("starts (UTC)"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), default=60, validators=[MinValueValidator(10), MaxValueValidator(480)]
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    stage_data = models.JSONField(_("stage results"), default=dict, blank=True)
    room_id = models.UUIDField(_("room"), default=uuid.uuid4, unique=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Empty when an integration (API key) scheduled it.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = InterviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("interview")
        ordering = ("-scheduled_at",)
        indexes = [
            models.Index(fields=["organization", "scheduled_at"], name="interview_org_time_idx"),
            models.Index(fields=["organization", "status"], name="interview_org_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "live", "completed", "cancelled", "no_show"]),
                name="interview_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} · {self.stage.name} · {self.scheduled_at:%Y-%m-%d %H:%M} UTC"

    @property
    def ends_at(self) -> datetime:
        return self.scheduled_at + timedelta(minutes=self.duration_minutes)


class Participant(models.Model):
    """Someone who may enter an interview's room, with a personal join token (only its hash kept)."""

    class Role(models.TextChoices):
        INTERVIEWER = "interviewer", _("Interviewer")
        CANDIDATE = "candidate", _("Candidate")
        OBSERVER = "observer", _("Observer")

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="participations"
    )
    candidate = models.ForeignKey(
        Candidate, on_delete=models.CASCADE, null=True, blank=True, related_name="participations"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    peer_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_expires_at = models.DateTimeField(_("link expires"))
    revoked_at = models.DateTimeField(_("link revoked"), null=True, blank=True)
    links_sent_at = models.DateTimeField(_("link sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("participant")
        ordering = ("interview", "role", "pk")
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(candidate__isnull=True))
                | (Q(user__isnull=True) & Q(candidate__isnull=False)),
                name="participant_user_xor_candidate",
            ),
            models.UniqueConstraint(fields=["interview", "user"], name="participant_unique_user"),
            models.UniqueConstraint(fields=["interview", "candidate"], name="participant_unique_candidate"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_role_display()})"

    @property
    def display_name(self) -> str:
        if self.user_id:
            return str(self.user)
        return str(self.candidate)

    @property
    def email(self) -> str:
        return self.user.email if self.user_id else self.candidate.email  # type: ignore[union-attr]

    @property
    def organization(self) -> Organization:
        return self.interview.organization

    def token_usable(self) -> bool:
        return (
            self.revoked_at is None
            and self.token_expires_at > timezone.now()
            and self.interview.status in (Interview.Status.SCHEDULED, Interview.Status.LIVE)
        )


class InterviewQuestionPlan(models.Model):
    """The ordered questions of one interview."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="plan")
    question = models.ForeignKey(InterviewQuestion, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    asked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("planned question")
        ordering = ("interview", "order", "pk")
        constraints = [models.UniqueConstraint(fields=["interview", "question"], name="plan_unique_question")]

    def __str__(self) -> str:
        return f"{self.order}. {self.question}"


class Scorecard(TimeStamped):
    """One interviewer's structured feedback on one interview."""

    class Recommendation(models.TextChoices):
        STRONG_NO = "strong_no", _("Strong no")
        NO = "no", _("No")
        YES = "yes", _("Yes")
        STRONG_YES = "strong_yes", _("Strong yes")

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="scorecards")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scorecards")
    ratings = models.JSONField(_("ratings (1–4 per criterion)"), default=dict)
    recommendation = models.CharField(_("recommendation"), max_length=12, choices=Recommendation.choices, blank=True)
    comments = models.TextField(_("comments"), blank=True, max_length=20000)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        verbose_name = _("scorecard")
        ordering = ("-submitted_at", "-updated_at")
        constraints = [models.UniqueConstraint(fields=["interview", "author"], name="scorecard_unique_author")]

    def __str__(self) -> str:
        return f"{self.author} on {self.interview}"

    @property
    def organization(self) -> Organization:
        return self.interview.organization


class RoomPresence(models.Model):
    """Who is connected to an interview's room right now, shared by every web process.

    One row per participant: a second connection of the same participant replaces the first.
    ``seen_at`` is refreshed while the socket lives, so a row left behind by a process that died
    without running ``disconnect()`` is ignored once it is stale.
    """

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="presence")
    participant = models.OneToOneField(Participant, on_delete=models.CASCADE, related_name="presence")
    channel_name = models.CharField(max_length=200)
    connected_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("room presence")
        indexes = [models.Index(fields=["interview", "seen_at"], name="presence_room_seen_idx")]

    def __str__(self) -> str:
        return f"{self.participant} in {self.interview.room_id}"


class ChatMessage(models.Model):
    """A chat line of an interview room, to everyone or privately to one participant."""

    MAX_LENGTH = 2000

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="chat_messages")
    sender = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(Participant, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    text = models.TextField(_("text"), max_length=MAX_LENGTH)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("chat message")
        ordering = ("interview", "sent_at", "pk")
        indexes = [models.Index(fields=["interview", "sent_at"], name="chat_room_time_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="chat_text_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.text[:40]}"

    @property
    def organization(self) -> Organization:
        return self.interview.organization


class RoomDocument(TimeStamped):
    """A shared Yjs document of an interview room: the code editor or the whiteboard.

    The document itself is its update log (``DocumentUpdate``) with checkpoints
    (``DocumentSnapshot``); this row holds what the room shares about it (the editor's language,
    whether it is locked for the candidate, whether the candidate may run code).
    """

    class Name(models.TextChoices):
        CODE = "code", _("Code editor")
        WHITEBOARD = "whiteboard", _("Whiteboard")

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="documents")
    name = models.CharField(_("document"), max_length=20, choices=Name.choices)
    language = models.CharField(
        _("language"), max_length=20, choices=stage_config.LANGUAGE_CHOICES, default=stage_config.LANGUAGES[0]
    )
    locked = models.BooleanField(_("locked for the candidate"), default=False)
    run_enabled = models.BooleanField(_("candidate may run code"), default=True)
    update_count = models.PositiveIntegerField(_("updates"), default=0, editable=False)
    byte_count = models.PositiveBigIntegerField(_("bytes"), default=0, editable=False)

    class Meta:
        verbose_name = _("room document")
        constraints = [
            models.UniqueConstraint(fields=["interview", "name"], name="room_document_unique_name"),
            models.CheckConstraint(condition=Q(name__in=["code", "whiteboard"]), name="room_document_name_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_name_display()} · {self.interview_id}"


class DocumentUpdate(models.Model):
    """One Yjs update of a room document, with who made it and when (code playback reads these)."""

    document = models.ForeignKey(RoomDocument, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    data = models.BinaryField()

    class Meta:
        verbose_name = _("document update")
        ordering = ("document", "pk")
        indexes = [models.Index(fields=["document", "created_at"], name="docupdate_doc_time_idx")]

    def __str__(self) -> str:
        return f"update {self.pk} of {self.document_id}"


class DocumentSnapshot(models.Model):
    """The merged state of a document up to and including update ``upto_id``: loads skip the log."""

    document = models.ForeignKey(RoomDocument, on_delete=models.CASCADE, related_name="snapshots")
    upto_id = models.BigIntegerField()
    upto_at = models.DateTimeField()
    state = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("document snapshot")
        ordering = ("document", "-upto_id")
        constraints = [models.UniqueConstraint(fields=["document", "upto_id"], name="docsnapshot_unique_upto")]

    def __str__(self) -> str:
        return f"snapshot of {self.document_id} at update {self.upto_id}"
