"""Code playback: who may watch it, what the page embeds, the empty case, and the rebuilt text."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role, User
from interviews.factories import ParticipantFactory
from interviews.models import DocumentSnapshot, DocumentUpdate, Participant, RoomDocument
from interviews.services import documents
from tests.conftest import Tenant
from tests.test_pages_fixtures import add_member
from tests.test_playback_fixtures import PASTE, START, Recorder, Session, record_session, session, store

__all__ = ["session"]  # the fixture, imported for pytest

EMPTY_TITLE = "No code was written in this interview"


def playback_url(session: Session) -> str:
    return reverse("interview_playback", args=[session.interview.pk])


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def embedded(content: bytes, element_id: str) -> dict:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', content.decode(), re.S)
    assert match, f"no {element_id} json_script in the page"
    return json.loads(match.group(1))


@pytest.fixture
def recorded(session: Session) -> tuple[Recorder, RoomDocument]:
    recorder = record_session(session)
    return recorder, store(recorder, session.interview)


# --- who may watch ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("panel interviewer", 200),
        ("panel observer", 200),
        ("acme recruiter", 200),
        ("acme admin", 200),
        ("acme interviewer not on the panel", 404),
        ("acme candidate (this interview's)", 403),
        ("acme candidate (another one)", 403),
        ("globex admin", 404),
        ("globex recruiter", 404),
        ("globex interviewer", 404),
        ("globex candidate", 403),
    ],
)
def test_playback_opens_only_for_the_panel_and_the_organizations_hiring_staff(
    acme: Tenant, globex: Tenant, session: Session, recorded, who: str, status: int
) -> None:
    # given
    users = {
        "panel interviewer": session.interviewer,
        "acme recruiter": acme.users[Role.RECRUITER],
        "acme admin": acme.users[Role.ADMIN],
        "acme candidate (this interview's)": session.candidate_user,
        "globex admin": globex.users[Role.ADMIN],
        "globex recruiter": globex.users[Role.RECRUITER],
        "globex interviewer": globex.users[Role.INTERVIEWER],
        "globex candidate": globex.users[Role.CANDIDATE],
    }
    if who == "panel observer":
        users[who] = add_member(acme, Role.INTERVIEWER, "watcher@acme.test")
        ParticipantFactory(interview=session.interview, user=users[who], role=Participant.Role.OBSERVER)
    if who == "acme interviewer not on the panel":
        users[who] = add_member(acme, Role.INTERVIEWER, "bystander@acme.test")
    if who == "acme candidate (another one)":
        users[who] = add_member(acme, Role.CANDIDATE, "someone-else@acme.test")
    # when
    response = logged_in(users[who]).get(playback_url(session))
    # then
    assert response.status_code == status
    if status == 200:
        assert embedded(response.content, "playback-log")["updates"]
    else:
        assert b"playback-log" not in response.content
        assert b"Grace Hopper" not in response.content


def test_an_unknown_interview_answers_the_same_404_as_another_organizations(session: Session, recorded) -> None:
    response = logged_in(session.interviewer).get(reverse("interview_playback", args=[session.interview.pk + 999]))
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(session: Session, recorded) -> None:
    response = Client().get(playback_url(session))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_staff_who_are_the_interviews_candidate_cannot_watch_it(acme: Tenant, session: Session, recorded) -> None:
    # given a recruiter interviewing for another job at their own company
    recruiter = acme.users[Role.RECRUITER]
    candidate = session.interview.candidate
    candidate.user = recruiter
    candidate.save(update_fields=["user"])
    # when they open the playback of their own interview
    response = logged_in(recruiter).get(playback_url(session))
    # then
    assert response.status_code == 404


# --- what the page embeds --------------------------------------------------------------------
def test_the_page_embeds_the_stored_update_log_in_order_with_authors(session: Session, recorded) -> None:
    # given
    recorder, document = recorded
    stored = list(DocumentUpdate.objects.filter(document=document).order_by("pk"))
    # when
    response = logged_in(session.interviewer).get(playback_url(session))
    # then the log is the stored one, update for update
    log = embedded(response.content, "playback-log")
    assert [base64.b64decode(data) for _ms, _a, data in log["updates"]] == [bytes(row.data) for row in stored]
    assert [ms for ms, _a, _d in log["updates"]] == recorder.instants
    assert log["updates"][0][0] == 0
    # and each update names its author; the candidate comes first (first colour)
    names = [(a["name"], a["role"]) for a in log["authors"]]
    assert names == [("Grace Hopper", "Candidate"), (session.interviewer.full_name, "Interviewer")]
    by_participant = {session.candidate.pk: 0, session.lead.pk: 1}
    assert [a for _ms, a, _d in log["updates"]] == [by_participant[row.author_id] for row in stored]
    assert {a["colour"] for a in log["authors"]} == {0, 1}
    assert log["language"] == "Python"
    assert log["pasteChars"] == 80
    assert log["idleMs"] == 60_000
    # and the script's strings come along, translated on the server
    assert embedded(response.content, "playback-i18n")["play"] == "Play"


def test_updates_of_a_removed_participant_are_kept_without_an_author(acme: Tenant, session: Session, recorded) -> None:
    # given the interviewer's participant row is gone (the log keeps their updates, author NULL)
    session.lead.delete()
    # when
    response = logged_in(acme.users[Role.ADMIN]).get(playback_url(session))
    # then
    log = embedded(response.content, "playback-log")
    assert [a["name"] for a in log["authors"]] == ["Grace Hopper"]
    assert None in [a for _ms, a, _d in log["updates"]]
    assert "A former participant" in response.content.decode()


def test_the_page_loads_its_script_and_styles_from_files_under_the_csp(session: Session, recorded) -> None:
    response = logged_in(session.interviewer).get(playback_url(session))
    html = response.content.decode()
    assert '<script type="module" src="/static/dist/playback.js"></script>' in html
    assert '<link rel="stylesheet" href="/static/css/playback.css">' in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    # no inline code: every script element is either a file or JSON data
    for attributes in re.findall(r"<script([^>]*)>", html):
        assert "src=" in attributes or 'type="application/json"' in attributes
    assert " style=" not in html


def test_the_page_costs_the_same_queries_whatever_the_log_length(
    session: Session, recorded, django_assert_num_queries
) -> None:
    # given the queries of the page with the recorded log
    client = logged_in(session.interviewer)
    with CaptureQueriesContext(connection) as first:
        client.get(playback_url(session))
    # when ten times as many updates are stored (by a third author)
    _recorder, document = recorded
    observer = ParticipantFactory(interview=session.interview, role=Participant.Role.OBSERVER)
    documents.document_append(
        document_id=document.pk,
        updates=[(observer.pk, START + timedelta(minutes=10, seconds=i), b"\x00\x00") for i in range(300)],
    )
    # then the page still runs the same number of queries
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(playback_url(session))
    assert len(embedded(response.content, "playback-log")["authors"]) == 3


# --- nothing written -------------------------------------------------------------------------
@pytest.mark.parametrize("document", ["none", "opened but empty"])
def test_an_interview_without_code_shows_a_clear_page(session: Session, document: str) -> None:
    # given
    if document == "opened but empty":
        RoomDocument.objects.create(interview=session.interview, name=RoomDocument.Name.CODE)
    # when
    response = logged_in(session.interviewer).get(playback_url(session))
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert EMPTY_TITLE in html
    assert "playback-log" not in html
    assert "dist/playback.js" not in html


def test_a_whiteboard_alone_is_no_code(session: Session) -> None:
    # given only the whiteboard was used
    whiteboard = RoomDocument.objects.create(interview=session.interview, name=RoomDocument.Name.WHITEBOARD)
    documents.document_append(document_id=whiteboard.pk, updates=[(session.lead.pk, START, b"\x00\x00")])
    # when
    response = logged_in(session.interviewer).get(playback_url(session))
    # then
    assert EMPTY_TITLE in response.content.decode()


# --- links to it -----------------------------------------------------------------------------
def test_the_interview_page_links_to_the_playback_once_code_was_written(session: Session) -> None:
    # given no code yet
    client = logged_in(session.interviewer)
    detail = reverse("interview_detail", args=[session.interview.pk])
    assert playback_url(session) not in client.get(detail).content.decode()
    # when code is written
    store(record_session(session), session.interview)
    # then
    assert f'href="{playback_url(session)}"' in client.get(detail).content.decode()


def test_the_back_office_interview_page_links_to_the_playback_once_code_was_written(
    acme: Tenant, session: Session
) -> None:
    # given
    client = acme.client(Role.RECRUITER)
    change = reverse("admin:interviews_interview_change", args=[session.interview.pk])
    assert playback_url(session) not in client.get(change).content.decode()
    # when
    store(record_session(session), session.interview)
    # then
    response = client.get(change)
    assert response.status_code == 200
    assert f'href="{playback_url(session)}"' in response.content.decode()


# --- the rebuilt text ------------------------------------------------------------------------
@pytest.mark.parametrize("snapshot_every", [3, 1000])
def test_document_text_at_rebuilds_the_exact_text_at_each_recorded_instant(
    session: Session, settings, snapshot_every: int
) -> None:
    # given a session stored one update at a time, with a snapshot every few updates
    settings.YJS_SNAPSHOT_EVERY = snapshot_every
    recorder = record_session(session)
    document = store(recorder, session.interview)
    snapshots = DocumentSnapshot.objects.filter(document=document).count()
    assert snapshots == len(recorder.updates) // snapshot_every
    # when / then: at each update's instant the text is the one its author saw
    for (_author, at, _update), expected in zip(recorder.updates, recorder.texts, strict=True):
        assert documents.document_text_at(document=document, at=at) == expected
        assert documents.document_text_at(document=document, at=at + timedelta(microseconds=500)) == expected
    # and before the first update there is nothing
    assert documents.document_text_at(document=document, at=START - timedelta(milliseconds=1)) == ""
    assert PASTE in recorder.texts[-1]
