from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from interviews import services
from interviews.factories import PipelineFactory, PositionFactory, ScorecardFactory, StageFactory
from interviews.models import Candidate
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db


def _names(response) -> set[str]:
    return {str(row) for row in response.context["cl"].result_list}


@pytest.fixture
def hiring(acme: Tenant):
    pipeline = PipelineFactory(organization=acme.org)
    stages = [StageFactory(pipeline=pipeline, order=n) for n in (1, 2, 3)]
    position = PositionFactory(organization=acme.org, pipeline=pipeline)
    recruiter = acme.users["recruiter"]
    people = {}
    for name, upto in (("Stays", 0), ("Second", 1), ("Last", len(stages) - 1)):
        candidate = services.candidate_create(
            organization=acme.org, actor=recruiter, full_name=name, email=f"{name.lower()}@x.test", position=position
        )
        for stage in stages[1 : upto + 1]:
            services.candidate_move_stage(candidate=candidate, stage=stage, actor=recruiter)
        people[name] = candidate
    # "Last" then leaves the pipeline: they still reached every stage
    services.candidate_move_stage(candidate=people["Last"], stage=None, actor=recruiter)
    return acme, stages, people


def test_reached_stage_lists_who_entered_it_or_a_later_one(hiring) -> None:
    acme, stages, _people = hiring
    url = reverse("admin:interviews_candidate_changelist")
    client = acme.client("recruiter")
    assert _names(client.get(url, {"reached": stages[0].pk})) == {"Stays", "Second", "Last"}
    assert _names(client.get(url, {"reached": stages[1].pk})) == {"Second", "Last"}
    assert _names(client.get(url, {"reached": stages[-1].pk})) == {"Last"}


def test_reached_stage_of_another_organization_shows_nothing(hiring, globex: Tenant) -> None:
    acme, _stages, _people = hiring
    foreign = StageFactory(pipeline=PipelineFactory(organization=globex.org))
    response = acme.client("recruiter").get(reverse("admin:interviews_candidate_changelist"), {"reached": foreign.pk})
    assert response.status_code == 200
    assert _names(response) == set()


def test_the_interviewer_filter_lists_their_interviews_and_the_candidate_filter_their_scorecards(hiring) -> None:
    acme, stages, people = hiring
    recruiter, interviewer, admin_user = acme.users["recruiter"], acme.users["interviewer"], acme.users["admin"]
    when = timezone.now() + timedelta(days=1)
    mine, _ = services.interview_schedule(
        candidate=people["Stays"], stage=stages[0], scheduled_at=when, interviewers=[interviewer], actor=recruiter
    )
    other, _ = services.interview_schedule(
        candidate=people["Second"], stage=stages[1], scheduled_at=when, interviewers=[admin_user], actor=recruiter
    )
    client = acme.client("recruiter")
    # when
    interviews = client.get(reverse("admin:interviews_interview_changelist"), {"interviewer": interviewer.pk})
    ScorecardFactory(interview=mine, author=interviewer)
    ScorecardFactory(interview=other, author=admin_user)
    cards = client.get(reverse("admin:interviews_scorecard_changelist"), {"candidate": people["Second"].pk})
    # then
    assert [i.pk for i in interviews.context["cl"].result_list] == [mine.pk]
    assert [c.interview_id for c in cards.context["cl"].result_list] == [other.pk]
    assert "Second" in cards.content.decode()


def test_a_bad_filter_value_shows_no_rows_rather_than_an_error(hiring) -> None:
    acme, _stages, _people = hiring
    client = acme.client("recruiter")
    assert _names(client.get(reverse("admin:interviews_candidate_changelist"), {"reached": "x"})) == set()
    response = client.get(reverse("admin:interviews_scorecard_changelist"), {"candidate": "x"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    assert Candidate.objects.count() == 3
