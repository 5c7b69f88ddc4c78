"""Follow-up suggestions in the room: what they say, and that only the interviewers get them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.factories import MembershipFactory, UserFactory
from accounts.models import Role
from interviews.factories import ParticipantFactory
from interviews.models import Interview, Participant
from recordings.models import MediaSettings
from tests.conftest import Tenant
from tests.test_insights_fixtures import FOLLOW_UPS, Scene, make_scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(acme: Tenant) -> Scene:
    return make_scene(acme, status=Interview.Status.LIVE)


def url(scene: Scene) -> str:
    return reverse("room_followups", kwargs={"room_id": scene.interview.room_id})


def ask(scene: Scene, *, token: str | None = None, client: Client | None = None, question: Any = None) -> Any:
    client = client or Client()
    headers = {"X-Room-Token": token} if token else {}
    return client.get(url(scene), {"question": scene.question.pk if question is None else question}, headers=headers)


def lead_token(scene: Scene) -> str:
    return f"lead-{scene.interview.room_id.hex}"


def candidate_token(scene: Scene) -> str:
    return f"candidate-{scene.interview.room_id.hex}"


def test_suggestions_start_with_follow_ups_about_what_is_not_covered_yet(scene: Scene) -> None:
    # given: the candidate has covered the hash-map point in the chat, nothing else
    scene.chat(scene.candidate, 5, "I'd keep a hash map of the lookups")

    # when
    response = ask(scene, token=lead_token(scene))

    # then
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    answer = response.json()
    assert answer["label"] == "AI-generated"
    assert (answer["status"], answer["covered"], answer["total"]) == ("ready", 1, 3)
    assert answer["suggestions"] == [
        {"text": FOLLOW_UPS[0], "source": "follow_up"},  # about duplicates, not covered yet
        {"text": "Not covered yet: Linear overall complexity", "source": "guide"},
        {"text": "Not covered yet: Handle duplicate values", "source": "guide"},
        {"text": FOLLOW_UPS[1], "source": "follow_up"},
    ]


def test_code_in_the_editor_counts_as_covering(scene: Scene) -> None:
    # given
    scene.type(scene.candidate, 5, "def linear_overall(values):\n    duplicate_values = set()\n")

    # when
    answer = ask(scene, token=lead_token(scene)).json()

    # then
    assert answer["covered"] == 2
    assert [s["text"] for s in answer["suggestions"] if s["source"] == "guide"] == [
        "Not covered yet: Use a hash map for constant-time lookups"
    ]


def test_words_said_before_the_question_was_asked_do_not_count(scene: Scene) -> None:
    # given: the hash map was mentioned before the question was pushed
    scene.chat(scene.candidate, -60, "hash map lookups everywhere")

    # when
    answer = ask(scene, token=lead_token(scene)).json()

    # then
    assert answer["covered"] == 0


def test_a_signed_in_interviewer_needs_no_token(scene: Scene, acme: Tenant) -> None:
    # when
    response = ask(scene, client=acme.client("interviewer"))

    # then
    assert response.status_code == 200
    assert response.json()["questionId"] == scene.question.pk


def test_the_candidate_is_refused(scene: Scene) -> None:
    # when
    response = ask(scene, token=candidate_token(scene))

    # then
    assert response.status_code == 403
    assert "suggestions" not in response.json()


def test_an_observer_is_refused(scene: Scene, acme: Tenant) -> None:
    # given: a non-staff observer on the panel
    user = UserFactory()
    MembershipFactory(user=user, organization=acme.org, role=Role.INTERVIEWER)
    ParticipantFactory(interview=scene.interview, user=user, role=Participant.Role.OBSERVER, token="observer-tok-1")

    # when
    response = ask(scene, token="observer-tok-1")

    # then
    assert response.status_code == 403


def test_a_token_of_another_interview_is_not_found(scene: Scene, acme: Tenant) -> None:
    # given
    other = make_scene(acme, status=Interview.Status.LIVE)

    # when
    response = ask(scene, token=lead_token(other))

    # then
    assert response.status_code == 404


def test_a_question_of_another_interview_is_not_found(scene: Scene, acme: Tenant) -> None:
    # given
    other = make_scene(acme, status=Interview.Status.LIVE)

    # when
    response = ask(scene, token=lead_token(scene), question=other.question.pk)

    # then
    assert response.status_code == 404


def test_another_organization_is_not_found(scene: Scene, globex: Tenant) -> None:
    # when
    response = ask(scene, client=globex.client("admin"))

    # then
    assert response.status_code == 404


def test_a_member_not_on_the_panel_is_refused(scene: Scene, acme: Tenant) -> None:
    # when
    response = ask(scene, client=acme.client("recruiter"))

    # then
    assert response.status_code == 403


def test_nobody_signed_in_without_a_token_is_unauthenticated(scene: Scene) -> None:
    # when
    response = ask(scene)

    # then
    assert response.status_code == 401


@pytest.mark.parametrize("question", ["one", "-3", "0", "9" * 25, "١٢"])
def test_a_bad_question_parameter_is_a_bad_request(scene: Scene, question: str) -> None:
    # when: not a number, not positive, beyond any row id (would overflow the query), not ASCII digits
    response = ask(scene, token=lead_token(scene), question=question)

    # then
    assert response.status_code == 400


def test_an_organization_without_ai_gets_no_suggestions(scene: Scene, acme: Tenant) -> None:
    # given
    MediaSettings.objects.update_or_create(organization=acme.org, defaults={"ai_enabled": False})

    # when
    answer = ask(scene, token=lead_token(scene)).json()

    # then
    assert (answer["status"], answer["suggestions"]) == ("disabled", [])


def test_the_candidates_room_page_has_no_follow_ups_or_guide(scene: Scene) -> None:
    # given
    client = Client()

    # when
    candidate_page = client.get(reverse("interview_join", args=[candidate_token(scene)])).content.decode()
    lead_page = client.get(reverse("interview_join", args=[lead_token(scene)])).content.decode()

    # then: the interviewer's page shows them, the candidate's page has none of it
    assert FOLLOW_UPS[0] in lead_page.replace("&#x27;", "'")
    assert "constant-time lookups" in lead_page
    for secret in (*FOLLOW_UPS, "constant-time lookups", "duplicate values", url(scene)):
        assert secret not in candidate_page.replace("&#x27;", "'")


def test_the_partial_renders_nothing_for_someone_who_may_not_lead(scene: Scene) -> None:
    # given
    from django.template.loader import render_to_string

    # when
    for_candidate = render_to_string("recordings/_followups.html", {"interview": scene.interview, "may_lead": False})
    for_lead = render_to_string("recordings/_followups.html", {"interview": scene.interview, "may_lead": True})

    # then
    assert for_candidate.strip() == ""
    assert url(scene) in for_lead
    assert "AI-generated" in for_lead
