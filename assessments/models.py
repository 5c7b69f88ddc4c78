"""Coding problems and their test cases, async DSA sessions, submissions, live-room code runs,
proctoring snapshots, integrity events and plagiarism matches."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, TimeStamped
from interviews.models import Interview, Participant
from interviews.querysets import OrgQuerySet


class Problem(TimeStamped):
    """A coding problem of an organization's bank: statement, starter code, limits and checker."""

    class Difficulty(models.TextChoices):
        EASY = "easy", _("Easy")
        MEDIUM = "medium", _("Medium")
        HARD = "hard", _("Hard")

    class Checker(models.TextChoices):
        EXACT = "exact", _("Exact match (trailing newline ignored)")
        WHITESPACE = "whitespace", _("Whitespace-insensitive")
        FLOAT = "float", _("Numbers within a tolerance")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="problems")
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80)
    statement = models.TextField(_("statement (Markdown)"), max_length=50000)
    difficulty = models.CharField(_("difficulty"), max_length=8, choices=Difficulty.choices, default=Difficulty.MEDIUM)
    # {"python": "def solve():\n    ...", "java": "..."}: languages without an entry start empty.
    starter_code = models.JSONField(_("starter code per language"), default=dict, blank=True)
    cpu_time_limit_ms = models.PositiveIntegerField(
        _("CPU time limit (ms)"), default=2000, validators=[MinValueValidator(100), MaxValueValidator(20000)]
    )
    memory_limit_mb = models.PositiveIntegerField(
        _("memory limit (MB)"), default=256, validators=[MinValueValidator(16), MaxValueValidator(2048)]
    )
    checker = models.CharField(_("checker"), max_length=12, choices=Checker.choices, default=Checker.EXACT)
    float_tolerance = models.FloatField(
        _("float tolerance"), default=1e-6, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = OrgQuerySet.as_manager()

    class Meta:
        verbose_name = _("coding problem")
        ordering = ("title", "pk")
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="problem_unique_slug"),
            models.CheckConstraint(
                condition=Q(checker__in=["exact", "whitespace", "float"]), name="problem_checker_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class TestCase(models.Model):
    """One input/expected-output pair; hidden ones are never shown to candidates."""

    __test__ = False  # not a pytest test class

    MAX_BYTES = 1024 * 1024

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="test_cases")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=120, blank=True)
    input = models.TextField(_("input (stdin)"), blank=True, max_length=MAX_BYTES)
    expected_output = models.TextField(_("expected output"), blank=True, max_length=MAX_BYTES)
    hidden = models.BooleanField(_("hidden"), default=False, help_text=_("Hidden cases are never shown to candidates."))

    class Meta:
        verbose_name = _("test case")
        ordering = ("problem", "order", "pk")
        indexes = [models.Index(fields=["problem", "hidden"], name="testcase_problem_hidden_idx")]

    def __str__(self) -> str:
        label = self.name or f"#{self.order}"
        return f"{label} ({_('hidden') if self.hidden else _('visible')})"


class DsaSession(TimeStamped):
    """A candidate's async coding assessment: opened by token link, closed by deadline or finish."""

    interview = models.OneToOneField(Interview, on_delete=models.CASCADE, related_name="dsa_session")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="dsa_sessions")
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("coding assessment session")

    def __str__(self) -> str:
        return f"{self.interview}"

    @property
    def organization(self) -> Organization:
        return self.interview.organization

    def is_over(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.finished_at is not None or (self.deadline is not None and now >= self.deadline)


class Submission(models.Model):
    """Code a candidate submitted for grading against every test case. Results keep hidden data
    (for recruiters); candidate-facing answers are built from them with hidden cases redacted."""

    session = models.ForeignKey(DsaSession, on_delete=models.CASCADE, related_name="submissions")
    problem = models.ForeignKey(Problem, on_delete=models.PROTECT, related_name="submissions")
    language = models.CharField(_("language"), max_length=16)
    code = models.TextField(_("code"))
    compile_ok = models.BooleanField(default=True)
    compile_stderr = models.TextField(blank=True)
    results = models.JSONField(default=list, blank=True)  # [{testCaseId, hidden, passed, verdict, ...}]
    passed = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    score = models.FloatField(_("score (% of cases passed)"), default=0.0)
    created_at = models.DateTimeField(_("submitted"), default=timezone.now)

    class Meta:
        verbose_name = _("submission")
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["problem", "-created_at"], name="submission_problem_time_idx")]

    def __str__(self) -> str:
        return f"{self.problem} · {self.language} · {self.score:.0f}%"

    @property
    def organization(self) -> Organization:
        return self.session.interview.organization


class CodeRun(models.Model):
    """One run of code from a live room or a DSA session's Run button, kept for history/playback."""

    class Source(models.TextChoices):
        ROOM = "room", _("Live room")
        ROOM_TESTS = "room_tests", _("Live room, against test cases")
        DSA_RUN = "dsa_run", _("Assessment run")

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="code_runs")
    participant = models.ForeignKey(Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    problem = models.ForeignKey(Problem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    source = models.CharField(max_length=12, choices=Source.choices)
    language = models.CharField(max_length=16)
    code = models.TextField()
    stdin = models.TextField(blank=True)
    verdict = models.CharField(max_length=16)
    stdout = models.TextField(blank=True)
    stderr = models.TextField(blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    wall_ms = models.PositiveIntegerField(default=0)
    passed = models.PositiveIntegerField(null=True, blank=True)
    total = models.PositiveIntegerField(null=True, blank=True)
    results = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("code run")
        ordering = ("interview", "created_at", "pk")
        indexes = [models.Index(fields=["interview", "participant", "created_at"], name="coderun_hist_idx")]

    def __str__(self) -> str:
        return f"{self.language} {self.verdict} at {self.created_at:%H:%M:%S}"


def snapshot_path(instance: ProctoringSnapshot, filename: str) -> str:
    return f"proctoring/{instance.session.interview.organization_id}/{instance.session_id}/{uuid.uuid4().hex}.jpg"


def private_storage():  # type: ignore[no-untyped-def]
    from django.core.files.storage import storages

    return storages["private"]


class ProctoringSnapshot(models.Model):
    """A webcam frame uploaded by the candidate's page; stored outside MEDIA_ROOT, never public."""

    MAX_BYTES = 512 * 1024

    session = models.ForeignKey(DsaSession, on_delete=models.CASCADE, related_name="snapshots")
    image = models.FileField(storage=private_storage, upload_to=snapshot_path)
    size = models.PositiveIntegerField(default=0)
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("proctoring snapshot")
        ordering = ("session", "taken_at", "pk")

    def __str__(self) -> str:
        return f"{self.session} {self.taken_at:%H:%M:%S}"


class IntegrityEvent(models.Model):
    """Something the candidate's page saw that recruiters may want to know (tab hidden, paste…)."""

    class Kind(models.TextChoices):
        TAB_HIDDEN = "tab_hidden", _("Tab hidden")
        TAB_VISIBLE = "tab_visible", _("Tab visible again")
        WINDOW_BLUR = "window_blur", _("Window lost focus")
        WINDOW_FOCUS = "window_focus", _("Window focused again")
        PASTE = "paste", _("Paste")
        FULLSCREEN_EXIT = "fullscreen_exit", _("Left full screen")
        FULLSCREEN_ENTER = "fullscreen_enter", _("Entered full screen")
        CAMERA_DENIED = "camera_denied", _("Camera unavailable")

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="integrity_events")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.JSONField(default=dict, blank=True)  # {"length": 120} for a paste
    occurred_at = models.DateTimeField(default=timezone.now)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("integrity event")
        ordering = ("interview", "occurred_at", "pk")
        indexes = [models.Index(fields=["interview", "occurred_at"], name="integrity_time_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.occurred_at:%H:%M:%S}"


class PlagiarismMatch(models.Model):
    """Two submissions for one problem whose code overlaps; flagged above the threshold."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="plagiarism_matches")
    first = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField()  # the larger of the two directed overlaps, 0..1
    first_overlap = models.FloatField(default=0.0)
    second_overlap = models.FloatField(default=0.0)
    # Character ranges [[start, end], ...] of each side's copied parts, for highlighting.
    first_ranges = models.JSONField(default=list, blank=True)
    second_ranges = models.JSONField(default=list, blank=True)
    flagged = models.BooleanField(default=False)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("plagiarism match")
        verbose_name_plural = _("plagiarism matches")
        ordering = ("-similarity", "pk")
        constraints = [models.UniqueConstraint(fields=["first", "second"], name="plagiarism_unique_pair")]

    def __str__(self) -> str:
        return f"{self.problem}: {self.similarity:.0%}"
