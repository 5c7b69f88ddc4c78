"""Writes of the hiring domain, one module per area; import the functions from here."""

from interviews.services.candidates import (
    candidate_create,
    candidate_delete,
    candidate_move_stage,
    candidate_move_to_next_stage,
    candidate_update,
    note_add,
)
from interviews.services.feedback import scorecard_save
from interviews.services.interviews import (
    interview_cancel,
    interview_plan_set,
    interview_reschedule,
    interview_schedule,
    interview_send_join_links,
    join_link_send,
    join_token_hash,
    join_url,
    participant_issue_link,
    participant_revoke_link,
)
from interviews.services.pipelines import (
    pipeline_create,
    position_create,
    position_delete,
    position_update,
    question_create,
    question_delete,
    question_update,
    stage_add,
    tags_get_or_create,
)

__all__ = [
    "candidate_create",
    "candidate_delete",
    "candidate_move_stage",
    "candidate_move_to_next_stage",
    "candidate_update",
    "interview_cancel",
    "interview_plan_set",
    "interview_reschedule",
    "interview_schedule",
    "interview_send_join_links",
    "join_link_send",
    "join_token_hash",
    "join_url",
    "note_add",
    "participant_issue_link",
    "participant_revoke_link",
    "pipeline_create",
    "position_create",
    "position_delete",
    "position_update",
    "question_create",
    "question_delete",
    "question_update",
    "scorecard_save",
    "stage_add",
    "tags_get_or_create",
]
