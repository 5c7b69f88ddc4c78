"""The analysis task and the receiver that queues it when an interview ends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from interviews.signals import interview_ended, send_interview_ended
from recordings.insights import receivers
from recordings.insights.tasks import interview_analyse_task
from recordings.models import Insight, Recording
from tests.conftest import Tenant
from tests.test_insights_fixtures import Scene, make_scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected() -> Iterator[None]:
    """The receiver connected as RecordingsConfig.ready() connects it (left as found afterwards)."""
    already = any(key[0] == receivers.DISPATCH_UID for key, *_rest in interview_ended.receivers)
    receivers.connect()
    yield
    if not already:
        interview_ended.disconnect(dispatch_uid=receivers.DISPATCH_UID)


@pytest.fixture
def scene(acme: Tenant) -> Scene:
    scene = make_scene(acme)
    scene.say(scene.candidate, 1, 3, "A hash map gives constant lookups.")
    return scene


def test_the_task_is_registered_under_its_shared_name() -> None:
    from celery import current_app

    task = current_app.tasks["recordings.analyse_interview"]
    assert task.name == interview_analyse_task.name
    assert task.soft_time_limit == 600
    assert task.time_limit == 660


def test_the_task_analyses_the_interview(scene: Scene) -> None:
    # when
    written = interview_analyse_task.delay(scene.interview.pk).get()

    # then
    assert written == 3
    assert set(Insight.objects.filter(interview=scene.interview).values_list("kind", "status")) == {
        ("summary", "ready"),
        ("engagement", "ready"),
        ("code", "ready"),
    }


def test_the_task_of_a_deleted_interview_does_nothing(scene: Scene) -> None:
    # given
    interview_id = scene.interview.pk
    scene.interview.delete()

    # then
    assert interview_analyse_task.delay(interview_id).get() == 0


def test_an_ended_interview_without_pending_transcripts_is_analysed(
    scene: Scene, connected: None, django_capture_on_commit_callbacks: Any
) -> None:
    # when
    with django_capture_on_commit_callbacks(execute=True):
        send_interview_ended(interview_id=scene.interview.pk)

    # then
    assert Insight.objects.filter(interview=scene.interview).count() == 3


def test_an_ended_interview_waiting_for_transcription_is_left_to_the_transcriber(
    scene: Scene, connected: None, django_capture_on_commit_callbacks: Any
) -> None:
    # given: a recording still to transcribe
    Recording.objects.filter(interview=scene.interview).update(transcript_status=Recording.TranscriptStatus.PENDING)

    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send_interview_ended(interview_id=scene.interview.pk)

    # then
    assert callbacks == []
    assert not Insight.objects.filter(interview=scene.interview).exists()


def test_an_ended_interview_still_being_recorded_is_left_to_the_recorder(
    scene: Scene, connected: None, django_capture_on_commit_callbacks: Any
) -> None:
    # given: the recorder has not left the room yet, so its recordings do not exist
    from recordings.factories import RecordingSessionFactory
    from recordings.models import RecordingSession

    RecordingSessionFactory(interview=scene.interview, status=RecordingSession.Status.RECORDING)

    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send_interview_ended(interview_id=scene.interview.pk)

    # then
    assert callbacks == []
    assert not Insight.objects.filter(interview=scene.interview).exists()
