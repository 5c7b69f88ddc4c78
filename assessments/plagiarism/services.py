"""Compare a new submission with other candidates' latest submissions and store the matches."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from assessments.models import PlagiarismMatch, Submission
from assessments.plagiarism.compare import compare

#: pairs sharing less than this are not worth a row (the list shows what is worth a look)
MIN_RECORDED_SIMILARITY = 0.1
#: compare with at most this many other candidates' submissions (the most recent ones)
MAX_COMPARISONS = 500


def _latest_per_session(submission: Submission) -> list[Submission]:
    """Other candidates' latest submissions for the same problem, same organization and language."""
    latest = (
        Submission.objects.filter(session=OuterRef("session"), problem=submission.problem)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    session = submission.session
    others = (
        Submission.objects.filter(
            problem=submission.problem,
            language=submission.language,
            session__interview__organization_id=session.interview.organization_id,
        )
        .exclude(session=session)
        .exclude(session__interview__candidate_id=session.interview.candidate_id)
        .filter(pk=Subquery(latest))
        .select_related("session__interview__candidate")
        .order_by("-created_at")
    )
    return list(others[:MAX_COMPARISONS])


@transaction.atomic
def submission_plagiarism_check(*, submission_id: int) -> list[PlagiarismMatch]:
    """Compare one submission's code with the others' and store a match per overlapping pair.

    Idempotent: a pair is updated, not duplicated. The same candidate's earlier submissions for
    the problem are superseded, so their matches are dropped.
    """
    submission = Submission.objects.select_related("session__interview", "problem").filter(pk=submission_id).first()
    if submission is None:
        return []
    problem = submission.problem
    older = Submission.objects.filter(session=submission.session, problem=problem).exclude(pk=submission.pk)
    PlagiarismMatch.objects.filter(Q(first__in=older) | Q(second__in=older)).delete()
    starter = str((problem.starter_code or {}).get(submission.language, ""))
    threshold = settings.PLAGIARISM_FLAG_THRESHOLD
    matches: list[PlagiarismMatch] = []
    for other in _latest_per_session(submission):
        # the earlier submission is "first", so a pair has one row whichever side came in last
        first, second = (
            (other, submission)
            if (other.created_at, other.pk) <= (submission.created_at, submission.pk)
            else (submission, other)
        )
        overlap = compare(first.code, second.code, language=submission.language, boilerplate=starter)
        if overlap.similarity < MIN_RECORDED_SIMILARITY:
            PlagiarismMatch.objects.filter(first=first, second=second).delete()
            continue
        match, _created = PlagiarismMatch.objects.update_or_create(
            first=first,
            second=second,
            defaults={
                "problem": problem,
                "similarity": overlap.similarity,
                "first_overlap": overlap.first_overlap,
                "second_overlap": overlap.second_overlap,
                "first_ranges": overlap.first_ranges,
                "second_ranges": overlap.second_ranges,
                "flagged": overlap.similarity >= threshold,
                "computed_at": timezone.now(),
            },
        )
        matches.append(match)
    return matches
