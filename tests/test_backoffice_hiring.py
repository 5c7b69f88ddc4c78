"""The recruiter back office, driven through the admin alone with the Django test client."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.factories import MembershipFactory, UserFactory
from accounts.models import AuditLog
from interviews import services
from interviews.factories import QuestionFactory, ScorecardFactory
from interviews.models import (
    Candidate,
    Interview,
    InterviewQuestion,
    Participant,
    PipelineStage,
    PipelineTemplate,
    Position,
    StageQuestion,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _url(name: str, *args: object) -> str:
    return reverse(f"admin:interviews_{name}", args=args)


def _tomorrow() -> str:
    return (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%d")


@pytest.fixture
def panel(acme):
    """A second interviewer at Acme, so interviews can have two."""
    second = UserFactory(email="second-interviewer@acme.test", full_name="Second Interviewer")
    MembershipFactory(user=second, organization=acme.org, role="interviewer")
    return [acme.users["interviewer"], second]


@pytest.fixture
def hiring(acme, panel):
    """A pipeline, a position and a candidate created through the services."""
    recruiter = acme.users["recruiter"]
    question = QuestionFactory(organization=acme.org, question_text="Design a rate limiter")
    pipeline = services.pipeline_create(
        organization=acme.org,
        name="Backend",
        actor=recruiter,
        stages=[
            {"name": "Phone screen", "stage_type": "phone_screen"},
            {"name": "Live coding", "stage_type": "technical_live", "question_ids": [question.pk]},
            {"name": "System design", "stage_type": "system_design"},
        ],
    )
    position = services.position_create(
        organization=acme.org, actor=recruiter, title="Backend engineer", pipeline=pipeline
    )
    candidate = services.candidate_create(
        organization=acme.org, actor=recruiter, full_name="Grace Hopper", email="grace@example.test", position=position
    )
    return acme, pipeline, position, candidate


def _schedule(acme, candidate, stage, interviewers):
    interview, _tokens = services.interview_schedule(
        candidate=candidate,
        stage=stage,
        scheduled_at=timezone.now() + timedelta(days=2),
        interviewers=interviewers,
        actor=acme.users["recruiter"],
    )
    return interview


def test_done_when_flow_in_the_admin_alone(acme, panel, mailoutbox, django_capture_on_commit_callbacks):
    client = acme.client("recruiter")
    # given: two questions in the bank, added in the admin
    for text in ("Reverse a linked list", "Design a URL shortener"):
        response = client.post(
            _url("interviewquestion_add"),
            {"question_text": text, "difficulty": "medium", "follow_up_questions": "[]"},
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
    q1, q2 = InterviewQuestion.objects.filter(organization=acme.org).order_by("pk")

    # when: a three-stage pipeline with questions
    stages = [("Phone screen", "phone_screen", []), ("Live coding", "technical_live", [q1.pk, q2.pk])]
    stages.append(("System design", "system_design", [q2.pk]))
    data: dict[str, object] = {
        "name": "Backend hiring",
        "description": "",
        "stages-TOTAL_FORMS": "3",
        "stages-INITIAL_FORMS": "0",
        "stages-MIN_NUM_FORMS": "1",
        "stages-MAX_NUM_FORMS": "1000",
    }
    for i, (name, kind, questions) in enumerate(stages):
        data |= {
            f"stages-{i}-order": str(i + 1),
            f"stages-{i}-name": name,
            f"stages-{i}-stage_type": kind,
            f"stages-{i}-duration_minutes": "45",
            f"stages-{i}-questions": [str(q) for q in questions],
        }
    response = client.post(_url("pipelinetemplate_add"), data)
    assert response.status_code == 302
    pipeline = PipelineTemplate.objects.get(organization=acme.org, name="Backend hiring")
    assert list(pipeline.stages.order_by("order").values_list("name", flat=True)) == [s[0] for s in stages]
    live = pipeline.stages.get(name="Live coding")
    assert list(StageQuestion.objects.filter(stage=live).values_list("question_id", flat=True)) == [q1.pk, q2.pk]

    # when: a position on that pipeline, and a candidate with a résumé
    response = client.post(
        _url("position_add"),
        {"title": "Backend engineer", "team": "Platform", "status": "open", "pipeline": pipeline.pk},
    )
    assert response.status_code == 302
    position = Position.objects.get(organization=acme.org, title="Backend engineer")
    response = client.post(
        _url("candidate_add"),
        {
            "full_name": "Ada Lovelace",
            "email": "Ada@Example.test",
            "position": position.pk,
            "source": "referral",
            "resume": SimpleUploadedFile("ada.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    candidate = Candidate.objects.get(organization=acme.org, email="ada@example.test")
    assert candidate.current_stage is not None
    assert candidate.current_stage.name == "Phone screen"
    assert candidate.resume.name.endswith(".pdf")

    # when: a live-coding interview with two interviewers
    response = client.post(
        _url("interview_add"),
        {
            "candidate": candidate.pk,
            "stage": live.pk,
            "start_0": _tomorrow(),
            "start_1": "10:30",
            "time_zone": "Europe/Berlin",
            "duration_minutes": "",
            "interviewers": [u.pk for u in panel],
        },
        follow=True,
    )
    # then: scheduled, with a plan copied from the stage and each link shown once
    interview = Interview.objects.get(candidate=candidate)
    assert interview.stage == live
    assert interview.duration_minutes == 45
    assert interview.scheduled_at.tzinfo is not None
    assert interview.scheduled_at.astimezone(timezone.get_fixed_timezone(0)).hour in (8, 9)  # 10:30 Berlin
    assert list(interview.plan.order_by("order").values_list("question_id", flat=True)) == [q1.pk, q2.pk]
    links = set(re.findall(r'href="(http[^"]+/join/[^"]+/)"', response.content.decode()))
    assert len(links) == 3  # the candidate and the two interviewers
    for link in links:  # each one opens its lobby
        assert client.get("/join/" + link.split("/join/", 1)[1]).status_code == 200
    assert "/join/" not in client.get(_url("interview_changelist")).content.decode()

    # when: join links are sent from the list
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("interview_changelist"), {"action": "send_join_links", "_selected_action": [interview.pk]}
        )
    # then
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mailoutbox) == sorted(["ada@example.test", *(u.email for u in panel)])
    assert all("/join/" in m.body for m in mailoutbox)
    actions = set(AuditLog.objects.filter(organization=acme.org).values_list("action", flat=True))
    assert {
        "pipeline.create",
        "position.create",
        "candidate.create",
        "interview.schedule",
        "interview.send_links",
    } <= actions


def test_schedule_page_from_a_candidate_offers_only_their_pipeline(hiring, globex):
    acme, pipeline, _position, candidate = hiring
    other = services.pipeline_create(
        organization=acme.org,
        name="Design",
        actor=acme.users["recruiter"],
        stages=[{"name": "Portfolio", "stage_type": "behavioral"}],
    )
    # when
    response = acme.client("recruiter").get(_url("interview_add") + f"?candidate={candidate.pk}")
    # then
    form = response.context["adminform"].form
    assert set(form.fields["stage"].queryset) == set(pipeline.stages.all())
    assert not set(form.fields["stage"].queryset) & set(other.stages.all())
    assert form.initial["stage"] == candidate.current_stage_id


def test_move_to_next_stage_action_reports_each_refusal(hiring):
    acme, pipeline, position, candidate = hiring
    last = services.candidate_create(
        organization=acme.org,
        actor=acme.users["recruiter"],
        full_name="Last",
        email="last@example.test",
        position=position,
    )
    services.candidate_move_stage(
        candidate=last, stage=pipeline.stages.order_by("order").last(), actor=acme.users["recruiter"]
    )
    # when
    response = acme.client("recruiter").post(
        _url("candidate_changelist"),
        {"action": "move_to_next_stage", "_selected_action": [candidate.pk, last.pk]},
        follow=True,
    )
    # then: one moved, one refused with its reason, no error page
    assert response.status_code == 200
    candidate.refresh_from_db()
    assert candidate.current_stage.name == "Live coding"
    texts = [str(m) for m in response.context["messages"]]
    assert any("Last" in t and "last stage" in t for t in texts)
    assert any("Moved 1 candidate" in t for t in texts)


def test_cancel_action_asks_first_then_cancels_with_a_reason(hiring):
    acme, pipeline, _position, candidate = hiring
    interview = _schedule(acme, candidate, pipeline.stages.first(), [acme.users["interviewer"]])
    client = acme.client("recruiter")
    data = {"action": "cancel_interviews", "_selected_action": [interview.pk]}
    # when: the first post only asks
    response = client.post(_url("interview_changelist"), data)
    # then
    assert response.status_code == 200
    assert "Yes, cancel them" in response.content.decode()
    interview.refresh_from_db()
    assert interview.status == "scheduled"
    # when: confirmed
    response = client.post(
        _url("interview_changelist"), {**data, "confirm": "yes", "reason": "Role filled"}, follow=True
    )
    # then
    interview.refresh_from_db()
    assert interview.status == "cancelled"
    assert AuditLog.objects.get(action="interview.cancel").changes["reason"] == "Role filled"
    # when: cancelled again, the refusal is a message, not an error page
    response = client.post(_url("interview_changelist"), {**data, "confirm": "yes"}, follow=True)
    assert response.status_code == 200
    assert any("Only a scheduled interview" in str(m) for m in response.context["messages"])


def test_send_links_for_a_cancelled_interview_is_a_message(hiring, mailoutbox):
    acme, pipeline, _position, candidate = hiring
    interview = _schedule(acme, candidate, pipeline.stages.first(), [acme.users["interviewer"]])
    services.interview_cancel(interview=interview, actor=acme.users["recruiter"])
    # when
    response = acme.client("recruiter").post(
        _url("interview_changelist"), {"action": "send_join_links", "_selected_action": [interview.pk]}, follow=True
    )
    # then
    assert response.status_code == 200
    assert mailoutbox == []
    assert any("Cancelled" in str(m) for m in response.context["messages"])


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


EXPORTS = ["position", "candidate", "interview", "scorecard", "interviewquestion"]


@pytest.mark.parametrize("model", EXPORTS)
def test_export_csv_neutralises_formulas(hiring, model):
    acme, pipeline, position, candidate = hiring
    evil = '=HYPERLINK("http://evil.test","x")'
    recruiter = acme.users["recruiter"]
    services.position_update(position=position, actor=recruiter, data={"title": evil})
    services.candidate_update(candidate=candidate, actor=recruiter, data={"full_name": "+Grace ñ"})
    interview = _schedule(acme, candidate, pipeline.stages.first(), [acme.users["interviewer"]])
    scorecard = ScorecardFactory(interview=interview, author=acme.users["interviewer"], comments="@SUM(A1:A2)")
    question = QuestionFactory(organization=acme.org, question_text="-2+3 is what?")
    selected = {"position": position, "candidate": candidate, "interview": interview, "scorecard": scorecard}
    selected["interviewquestion"] = question
    # when
    response = acme.client("recruiter").post(
        _url(f"{model}_changelist"), {"action": "export_csv", "_selected_action": [selected[model].pk]}
    )
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv_rows(response)
    assert len(rows) == 2
    cells = rows[1]
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    assert any(c.startswith("'") for c in cells), cells
    if model in ("candidate", "interview", "scorecard"):
        assert "'+Grace ñ" in cells


def test_the_plain_export_has_no_byte_order_mark_and_is_still_neutralised(hiring):
    acme, _pipeline, _position, candidate = hiring
    services.candidate_update(candidate=candidate, actor=acme.users["recruiter"], data={"full_name": "=1+1 Zoë"})
    # when
    response = acme.client("recruiter").post(
        _url("candidate_changelist"), {"action": "export_csv_plain", "_selected_action": [candidate.pk]}
    )
    # then
    assert response.status_code == 200
    assert not response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows[0][0] == "id"
    assert "'=1+1 Zoë" in rows[1]


def test_safe_cell_neutralises_every_formula_prefix():
    from interviews.exports import safe_cell

    for prefix in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(f"{prefix}1+1") == f"'{prefix}1+1"
    assert safe_cell("plain") == "plain"
    assert safe_cell(-5) == "-5"


def test_candidate_page_shows_the_timeline_newest_first(hiring):
    acme, pipeline, _position, candidate = hiring
    recruiter = acme.users["recruiter"]
    services.candidate_move_to_next_stage(candidate=candidate, actor=recruiter)
    interview = _schedule(acme, candidate, pipeline.stages.order_by("order")[1], [acme.users["interviewer"]])
    ScorecardFactory(interview=interview, author=acme.users["interviewer"], comments="Strong on testing")
    ScorecardFactory(interview=interview, author=acme.users["admin"], comments="DRAFT-NOT-SHOWN", submitted_at=None)
    services.note_add(candidate=candidate, author=recruiter, body="Wants to relocate")
    tag = services.tags_get_or_create(organization=acme.org, names=["senior"])[0]
    candidate.tags.add(tag)
    # when
    response = acme.client("recruiter").get(_url("candidate_change", candidate.pk))
    # then
    assert response.status_code == 200
    timeline = response.context["timeline"]
    kinds = [e.kind for e in timeline]
    assert sorted(kinds) == sorted(["interview", "scorecard", "note", "stage", "stage"])
    assert [e.when for e in timeline] == sorted((e.when for e in timeline), reverse=True)
    page = response.content.decode()
    assert "Strong on testing" in page
    assert "Wants to relocate" in page
    assert "DRAFT-NOT-SHOWN" not in page
    assert "senior" in page
    assert "Moved to Live coding" in page


def test_recruiter_adds_a_private_note_from_the_candidate_page(hiring):
    acme, _pipeline, _position, candidate = hiring
    client = acme.client("recruiter")
    # when: the box is ticked by default; a browser sends it as "on"
    response = client.post(
        _url("candidate_note_add", candidate.pk), {"body": "Great culture add", "is_private": "on"}, follow=True
    )
    # then
    assert response.status_code == 200
    note = candidate.notes.get()
    assert note.is_private
    assert note.author == acme.users["recruiter"]
    assert "Great culture add" in response.content.decode()
    assert AuditLog.objects.filter(action="candidate.note").exists()


def test_empty_note_is_refused_with_a_message(hiring):
    acme, _pipeline, _position, candidate = hiring
    # when
    response = acme.client("recruiter").post(_url("candidate_note_add", candidate.pk), {"body": "  "}, follow=True)
    # then
    assert response.status_code == 200
    assert not candidate.notes.exists()
    assert response.context["messages"]


def test_scorecard_list_never_shows_drafts(hiring):
    acme, pipeline, _position, candidate = hiring
    interview = _schedule(acme, candidate, pipeline.stages.first(), [acme.users["interviewer"]])
    submitted = ScorecardFactory(interview=interview, author=acme.users["interviewer"])
    draft = ScorecardFactory(interview=interview, author=acme.users["admin"], submitted_at=None)
    client = acme.client("recruiter")
    # when
    response = client.get(_url("scorecard_changelist"))
    # then
    assert list(response.context["cl"].result_list) == [submitted]
    assert client.get(_url("scorecard_change", draft.pk)).status_code == 404
    page = client.get(_url("scorecard_change", submitted.pk))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False


def test_reschedule_from_the_change_page_goes_through_the_service(hiring):
    acme, pipeline, _position, candidate = hiring
    interview = _schedule(acme, candidate, pipeline.stages.first(), [acme.users["interviewer"]])
    day = (timezone.now() + timedelta(days=5)).strftime("%Y-%m-%d")
    # when
    response = acme.client("recruiter").post(
        _url("interview_change", interview.pk),
        {
            "start_0": day,
            "start_1": "14:00",
            "time_zone": "UTC",
            "duration_minutes": "90",
            "plan-TOTAL_FORMS": "0",
            "plan-INITIAL_FORMS": "0",
            "participants-TOTAL_FORMS": "0",
            "participants-INITIAL_FORMS": "0",
        },
    )
    # then
    assert response.status_code == 302, response.context["adminform"].form.errors
    interview.refresh_from_db()
    assert interview.scheduled_at.strftime("%Y-%m-%d %H:%M") == f"{day} 14:00"
    assert interview.duration_minutes == 90
    participant = interview.participants.first()
    assert participant.token_expires_at == interview.ends_at + timedelta(hours=2)
    assert AuditLog.objects.filter(action="interview.reschedule").exists()


# --- bad input: field errors, nothing saved ---------------------------------------------------
def _schedule_post(acme, candidate, stage, people, **overrides):
    data = {
        "candidate": candidate.pk,
        "stage": stage.pk,
        "start_0": _tomorrow(),
        "start_1": "10:00",
        "time_zone": "UTC",
        "duration_minutes": "60",
        "interviewers": [u.pk for u in people],
    } | overrides
    return acme.client("recruiter").post(_url("interview_add"), data)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"time_zone": ""}, "time_zone"),  # a date and time without a zone is not a moment
        ({"start_0": "2026-13-45"}, "start"),
        ({"start_1": "25:99"}, "start"),
        ({"start_0": "2020-01-01"}, "start"),
        ({"interviewers": []}, "interviewers"),
    ],
)
def test_bad_schedule_input_gives_field_errors(hiring, panel, overrides, field):
    acme, pipeline, _position, candidate = hiring
    # when
    response = _schedule_post(acme, candidate, pipeline.stages.first(), panel, **overrides)
    # then
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Interview.objects.exists()
    assert not Participant.objects.exists()


def test_interviewer_of_another_organization_is_refused(hiring, globex):
    acme, pipeline, _position, candidate = hiring
    # when
    response = _schedule_post(acme, candidate, pipeline.stages.first(), [globex.users["interviewer"]])
    # then
    assert response.status_code == 200
    assert "interviewers" in response.context["adminform"].form.errors
    assert not Interview.objects.exists()


def test_stage_of_another_pipeline_is_refused(hiring, panel):
    acme, _pipeline, _position, candidate = hiring
    other = services.pipeline_create(
        organization=acme.org,
        name="Other",
        actor=acme.users["recruiter"],
        stages=[{"name": "X", "stage_type": "panel"}],
    )
    # when
    response = _schedule_post(acme, candidate, other.stages.get(), panel)
    # then
    assert "stage" in response.context["adminform"].form.errors
    assert not Interview.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("tools_config", '{"video": "yes"}', "true or false"),
        ("tools_config", "{not json", "valid JSON"),
        ("dsa_config", '{"timeLimitMinutes": 1}', "5 to 600"),
        ("criteria", '[""]', "1 to 12"),
    ],
)
def test_bad_stage_configuration_is_a_field_error(hiring, field, value, expected):
    acme, pipeline, _position, _candidate = hiring
    stage = pipeline.stages.order_by("order").first()
    before = (stage.tools_config, stage.dsa_config, stage.criteria)
    data = {
        "order": stage.order,
        "name": stage.name,
        "stage_type": stage.stage_type,
        "duration_minutes": stage.duration_minutes,
        "tools_config": '{"video": true}',
        "dsa_config": "{}",
        "criteria": '["Communication"]',
        "stage_questions-TOTAL_FORMS": "0",
        "stage_questions-INITIAL_FORMS": "0",
    } | {field: value}
    # when
    response = acme.client("recruiter").post(_url("pipelinestage_change", stage.pk), data)
    # then
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert expected in " ".join(errors.get(field, [])), errors
    stage.refresh_from_db()
    assert (stage.tools_config, stage.dsa_config, stage.criteria) == before


def test_good_stage_configuration_is_saved_and_audited(hiring):
    acme, pipeline, _position, _candidate = hiring
    stage = pipeline.stages.order_by("order").first()
    data = {
        "order": stage.order,
        "name": "Async coding",
        "stage_type": "technical_dsa",
        "duration_minutes": 90,
        "tools_config": '{"editor": true}',
        "dsa_config": '{"proctoringEnabled": true, "timeLimitMinutes": 90, "languages": ["python"]}',
        "criteria": '["Correctness"]',
        "stage_questions-TOTAL_FORMS": "0",
        "stage_questions-INITIAL_FORMS": "0",
    }
    # when
    response = acme.client("recruiter").post(_url("pipelinestage_change", stage.pk), data)
    # then
    assert response.status_code == 302
    stage = PipelineStage.objects.get(pk=stage.pk)
    assert stage.config.toolsConfig == {
        "video": False,
        "editor": True,
        "whiteboard": False,
        "chat": False,
        "recording": False,
    }
    assert stage.config.dsaConfig.proctoringEnabled is True
    assert AuditLog.objects.filter(action="pipeline.change_stage").exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("resume.pdf", b"MZ this is an executable"),
        ("resume.docx", b"not a zip at all"),
        ("resume.exe", PDF),
        ("resume.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024 + 1)),
    ],
)
def test_bad_resume_is_a_field_error_and_saves_nothing(hiring, name, content):
    acme, _pipeline, position, _candidate = hiring
    # when
    response = acme.client("recruiter").post(
        _url("candidate_add"),
        {
            "full_name": "Mallory",
            "email": "mallory@example.test",
            "position": position.pk,
            "source": "other",
            "resume": SimpleUploadedFile(name, content),
        },
    )
    # then
    assert response.status_code == 200
    assert "resume" in response.context["adminform"].form.errors
    assert not Candidate.objects.filter(email="mallory@example.test").exists()


def test_duplicate_candidate_email_is_a_field_error(hiring):
    acme, _pipeline, position, candidate = hiring
    # when
    response = acme.client("recruiter").post(
        _url("candidate_add"),
        {"full_name": "Grace again", "email": candidate.email.upper(), "position": position.pk, "source": "other"},
    )
    # then
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert Candidate.objects.filter(organization=acme.org).count() == 1


def test_candidate_edit_goes_through_the_service(hiring):
    acme, _pipeline, position, candidate = hiring
    tag = services.tags_get_or_create(organization=acme.org, names=["referral-bonus"])[0]
    # when
    response = acme.client("recruiter").post(
        _url("candidate_change", candidate.pk),
        {
            "full_name": "Grace B. Hopper",
            "email": candidate.email,
            "phone": "+1 555 0100",
            "position": position.pk,
            "source": "referral",
            "tags": [tag.pk],
        },
    )
    # then
    assert response.status_code == 302, response.context["adminform"].form.errors
    candidate.refresh_from_db()
    assert candidate.full_name == "Grace B. Hopper"
    assert list(candidate.tags.all()) == [tag]
    entry = AuditLog.objects.filter(action="candidate.update").latest("created_at")
    assert "full_name" in entry.changes
