"""The hiring back office is one organization's: no other rows, choices or objects, and only staff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.factories import MembershipFactory, UserFactory
from interviews import services
from interviews.factories import (
    CandidateFactory,
    InterviewFactory,
    ParticipantFactory,
    PositionFactory,
    QuestionFactory,
    ScorecardFactory,
    StageFactory,
)
from interviews.models import Tag

MODELS = [
    "position",
    "pipelinetemplate",
    "pipelinestage",
    "candidate",
    "interviewquestion",
    "interview",
    "scorecard",
    "tag",
]


def _world(tenant) -> dict[str, object]:
    """One row of every hiring model in ``tenant``'s organization, named after it."""
    org, slug = tenant.org, tenant.org.slug
    recruiter = tenant.users["recruiter"]
    question = QuestionFactory(organization=org, question_text=f"{slug}-question")
    pipeline = services.pipeline_create(
        organization=org,
        name=f"{slug}-pipeline",
        actor=recruiter,
        stages=[{"name": f"{slug}-stage", "stage_type": "technical_live", "question_ids": [question.pk]}],
    )
    position = services.position_create(organization=org, actor=recruiter, title=f"{slug}-position", pipeline=pipeline)
    candidate = services.candidate_create(
        organization=org, actor=recruiter, full_name=f"{slug}-candidate", email=f"c@{slug}.example", position=position
    )
    interview, _tokens = services.interview_schedule(
        candidate=candidate,
        stage=pipeline.stages.get(),
        scheduled_at=timezone.now() + timedelta(days=1),
        interviewers=[tenant.users["interviewer"]],
        actor=recruiter,
    )
    scorecard = ScorecardFactory(interview=interview, author=tenant.users["interviewer"])
    tag = services.tags_get_or_create(organization=org, names=[f"{slug}-tag"])[0]
    return {
        "position": position,
        "pipelinetemplate": pipeline,
        "pipelinestage": pipeline.stages.get(),
        "candidate": candidate,
        "interviewquestion": question,
        "interview": interview,
        "scorecard": scorecard,
        "tag": tag,
    }


@pytest.fixture
def worlds(acme, globex):
    return acme, _world(acme), globex, _world(globex)


@pytest.mark.parametrize("role", ["admin", "recruiter"])
@pytest.mark.parametrize("model", MODELS)
def test_lists_show_only_own_rows(worlds, role, model):
    acme, mine, _globex, _theirs = worlds
    # when
    response = acme.client(role).get(reverse(f"admin:interviews_{model}_changelist"))
    # then
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mine[model]]
    assert "globex" not in response.content.decode().lower()


@pytest.mark.parametrize("model", MODELS)
def test_other_organization_objects_are_404(worlds, model):
    acme, _mine, _globex, theirs = worlds
    client = acme.client("recruiter")
    pk = theirs[model].pk  # type: ignore[attr-defined]
    # when / then
    assert client.get(reverse(f"admin:interviews_{model}_change", args=[pk])).status_code == 404
    assert client.post(reverse(f"admin:interviews_{model}_change", args=[pk]), {}).status_code == 404


def test_other_organization_candidate_note_url_is_404(worlds):
    acme, _mine, _globex, theirs = worlds
    # when
    response = acme.client("recruiter").post(
        reverse("admin:interviews_candidate_note_add", args=[theirs["candidate"].pk]), {"body": "x"}
    )
    # then
    assert response.status_code == 404
    assert not theirs["candidate"].notes.exists()


def test_actions_ignore_ids_of_another_organization(worlds):
    acme, _mine, _globex, theirs = worlds
    # when
    acme.client("recruiter").post(
        reverse("admin:interviews_interview_changelist"),
        {"action": "cancel_interviews", "_selected_action": [theirs["interview"].pk], "confirm": "yes"},
    )
    # then
    theirs["interview"].refresh_from_db()
    assert theirs["interview"].status == "scheduled"


def _choices(form, name) -> set[str]:
    return {str(label) for _value, label in form.fields[name].choices}


def test_schedule_form_offers_only_own_candidates_stages_and_people(worlds):
    acme, _mine, _globex, _theirs = worlds
    # when
    response = acme.client("recruiter").get(reverse("admin:interviews_interview_add"))
    # then
    form = response.context["adminform"].form
    for name in ("candidate", "stage", "interviewers", "observers"):
        labels = " ".join(_choices(form, name)).lower()
        assert labels, name
        assert "globex" not in labels, name
    people = _choices(form, "interviewers")
    assert any("interviewer@acme.test" in p for p in people)
    assert not any("candidate@acme.test" in p for p in people)  # candidates do not interview


@pytest.mark.parametrize(
    ("url_name", "fields"),
    [
        ("admin:interviews_candidate_add", ["position", "tags"]),
        ("admin:interviews_position_add", ["pipeline", "hiring_manager"]),
        ("admin:interviews_pipelinestage_add", ["pipeline"]),
        ("admin:interviews_interviewquestion_add", ["tags"]),
    ],
)
def test_add_forms_offer_only_own_choices(worlds, url_name, fields):
    acme, _mine, _globex, _theirs = worlds
    # when
    response = acme.client("recruiter").get(reverse(url_name))
    # then
    form = response.context["adminform"].form
    for name in fields:
        labels = " ".join(_choices(form, name)).lower()
        assert "globex" not in labels, name
    assert "globex" not in response.content.decode().lower()


def test_stage_question_inline_offers_only_own_questions(worlds):
    acme, mine, _globex, _theirs = worlds
    # when
    response = acme.client("recruiter").get(
        reverse("admin:interviews_pipelinestage_change", args=[mine["pipelinestage"].pk])
    )
    # then
    page = response.content.decode()
    assert "acme-question" in page
    assert "globex-question" not in page


def test_list_filters_offer_only_own_values(worlds):
    acme, _mine, _globex, _theirs = worlds
    # when
    page = acme.client("recruiter").get(reverse("admin:interviews_candidate_changelist")).content.decode()
    # then: position, stage and tag filters
    assert "acme-stage" in page
    assert "globex" not in page.lower()


@pytest.mark.parametrize("role", ["interviewer", "candidate"])
@pytest.mark.parametrize("model", MODELS)
def test_interviewers_and_candidates_never_reach_the_back_office(worlds, role, model):
    acme, mine, _globex, _theirs = worlds
    client = acme.client(role)
    for url in (
        reverse(f"admin:interviews_{model}_changelist"),
        reverse(f"admin:interviews_{model}_change", args=[mine[model].pk]),  # type: ignore[attr-defined]
    ):
        # when
        response = client.get(url)
        # then
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("back_office_denied"))


def test_anonymous_visitors_are_sent_to_log_in(db):
    # when
    response = Client().get(reverse("admin:interviews_candidate_changelist"))
    # then
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_recruiter_cannot_edit_or_delete_scorecards(worlds):
    acme, mine, _globex, _theirs = worlds
    scorecard = mine["scorecard"]
    client = acme.client("recruiter")
    # when
    response = client.post(reverse("admin:interviews_scorecard_change", args=[scorecard.pk]), {"comments": "tampered"})
    # then
    assert response.status_code == 403
    scorecard.refresh_from_db()
    assert scorecard.comments != "tampered"
    assert client.get(reverse("admin:interviews_scorecard_delete", args=[scorecard.pk])).status_code == 403
    assert client.get(reverse("admin:interviews_scorecard_add")).status_code == 403


# --- constant query counts --------------------------------------------------------------------
def _rows(model: str, org, count: int, users) -> None:
    """``count`` more rows for ``model``'s change list (with the relations its columns show)."""
    for i in range(count):
        if model in ("position", "pipelinetemplate"):
            position = PositionFactory(organization=org, hiring_manager=users["recruiter"])
            StageFactory(pipeline=position.pipeline)
        elif model == "pipelinestage":
            StageFactory(pipeline=PositionFactory(organization=org).pipeline)
        elif model == "candidate":
            candidate = CandidateFactory(organization=org)
            candidate.current_stage = StageFactory(pipeline=candidate.position.pipeline)
            candidate.save()
            candidate.tags.add(Tag.objects.create(organization=org, name=f"t{model}{i}-{candidate.pk}"))
        elif model == "interviewquestion":
            QuestionFactory(organization=org).tags.add(
                Tag.objects.create(organization=org, name=f"q{i}-{org.pk}-{count}")
            )
        elif model == "tag":
            Tag.objects.create(organization=org, name=f"tag-{i}-{count}")
        elif model in ("interview", "scorecard"):
            interview = InterviewFactory(organization=org)
            ParticipantFactory(interview=interview, user=users["interviewer"])
            ParticipantFactory(interview=interview, user=UserFactory())
            if model == "scorecard":
                ScorecardFactory(interview=interview, author=users["interviewer"])


@pytest.mark.parametrize("model", MODELS)
def test_change_lists_run_a_constant_number_of_queries(acme, model, django_assert_num_queries):
    # given
    client = acme.client("recruiter")
    url = reverse(f"admin:interviews_{model}_changelist")
    _rows(model, acme.org, 5, acme.users)
    client.get(url)  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as five:
        assert client.get(url).status_code == 200
    _rows(model, acme.org, 45, acme.users)
    # when / then
    with django_assert_num_queries(len(five.captured_queries)):
        response = client.get(url)
    assert response.context["cl"].result_count >= 50


def test_members_from_another_role_are_not_offered_as_interviewers(acme):
    # given: a candidate membership is not a panel member
    outsider = UserFactory(email="outsider@acme.test")
    MembershipFactory(user=outsider, organization=acme.org, role="candidate")
    # when
    form = acme.client("recruiter").get(reverse("admin:interviews_interview_add")).context["adminform"].form
    # then
    assert outsider not in form.fields["interviewers"].queryset
