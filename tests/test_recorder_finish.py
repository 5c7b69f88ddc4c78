"""A recording session that ends with no audio starts the AI analysis of an ended interview itself."""

from __future__ import annotations

from typing import Any

import pytest

from interviews.factories import InterviewFactory
from interviews.models import Interview
from recordings.models import RecordingSession
from recordings.recorder.services import recording_session_finish, recording_session_start
from tests.conftest import Tenant

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("status", "analyses"), [(Interview.Status.COMPLETED, 1), (Interview.Status.LIVE, 0)])
def test_a_session_without_audio_sends_the_analysis_only_once_the_interview_ended(
    acme: Tenant, django_capture_on_commit_callbacks: Any, status: str, analyses: int
) -> None:
    # given: the recorder was in the room, so the interview's end left the analysis to it
    interview = InterviewFactory(organization=acme.org, status=status)
    session_id = recording_session_start(interview_id=interview.pk)

    # when: it leaves having recorded nothing
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        recording_session_finish(session_id=session_id, files=[])

    # then
    assert not RecordingSession.objects.filter(pk=session_id).exists()
    assert len(callbacks) == analyses
