from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AuditLog
from interviews import services
from interviews.factories import CandidateFactory
from interviews.models import Candidate
from talentsync.errors import NotAllowed
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db


def test_a_recruiter_decides_and_the_decision_is_dated_and_audited(acme: Tenant) -> None:
    candidate = CandidateFactory(organization=acme.org)
    # when
    services.candidate_decide(candidate=candidate, outcome="rejected", actor=acme.users["recruiter"])
    # then
    candidate.refresh_from_db()
    assert candidate.outcome == Candidate.Outcome.REJECTED
    assert candidate.decided_at is not None
    entry = AuditLog.objects.get(action="candidate.decide")
    assert entry.changes == {"outcome": ["active", "rejected"]}


def test_reopening_clears_the_decision(acme: Tenant) -> None:
    candidate = CandidateFactory(organization=acme.org)
    services.candidate_decide(candidate=candidate, outcome="hired", actor=acme.users["recruiter"])
    # when
    services.candidate_decide(candidate=candidate, outcome="active", actor=acme.users["recruiter"])
    # then
    candidate.refresh_from_db()
    assert (candidate.outcome, candidate.decided_at) == ("active", None)


def test_an_unknown_outcome_is_a_clear_error_and_changes_nothing(acme: Tenant) -> None:
    candidate = CandidateFactory(organization=acme.org)
    with pytest.raises(ValidationError, match="Choose one of"):
        services.candidate_decide(candidate=candidate, outcome="maybe", actor=acme.users["recruiter"])
    candidate.refresh_from_db()
    assert candidate.outcome == "active"


def test_an_interviewer_may_not_decide(acme: Tenant) -> None:
    candidate = CandidateFactory(organization=acme.org)
    with pytest.raises(NotAllowed):
        services.candidate_decide(candidate=candidate, outcome="hired", actor=acme.users["interviewer"])


def test_the_admin_action_marks_the_selection_hired(acme: Tenant) -> None:
    mine = CandidateFactory(organization=acme.org)
    # when
    response = acme.client("recruiter").post(
        reverse("admin:interviews_candidate_changelist"),
        {"action": "mark_hired", "_selected_action": [mine.pk]},
        follow=True,
    )
    # then
    assert response.status_code == 200
    mine.refresh_from_db()
    assert mine.outcome == "hired"
    assert any("hired" in str(m) for m in response.context["messages"])


def test_the_api_shows_the_outcome_read_only(acme: Tenant) -> None:
    candidate = CandidateFactory(organization=acme.org)
    client = acme.client("recruiter")
    url = f"/api/v1/candidates/{candidate.pk}/"
    # when
    answer = client.patch(url, {"outcome": "hired"}, content_type="application/json")
    # then
    assert answer.status_code == 400, answer.content
    candidate.refresh_from_db()
    assert candidate.outcome == "active"
    assert client.get(url).json()["outcome"] == "active"
