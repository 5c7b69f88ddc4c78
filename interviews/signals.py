"""Signals for apps that should not know the interviews domain's internals (STYLE rule 11)."""

from __future__ import annotations

from typing import Literal

from django.dispatch import Signal

InterviewChange = Literal["scheduled", "rescheduled", "cancelled"]

#: sent after commit, with ``interview_id: int``, ``change: InterviewChange`` and ``actor_id: int | None``;
#: scheduling listens to send calendar invites and notifications
interview_changed = Signal()


def send_interview_changed(*, interview_id: int, change: InterviewChange, actor_id: int | None) -> None:
    interview_changed.send(sender=None, interview_id=interview_id, change=change, actor_id=actor_id)


#: sent after commit when an interview ends (from its room or the back office), with
#: ``interview_id: int``; recordings listens to start transcription and the AI analysis
interview_ended = Signal()


def send_interview_ended(*, interview_id: int) -> None:
    interview_ended.send(sender=None, interview_id=interview_id)
