"""The recruiter back office for hiring: positions, pipelines, candidates, interviews, feedback.

Every write goes through ``interviews.services`` (so it is validated once and audited): forms only
parse and check what a form can know, ``save_model``/``save_related``/actions call a service, and
an ``ApplicationError`` or ``ValidationError`` a service raises late becomes an admin message
instead of a server error. Rows, choices and list filters are those of the current organization.

One module per area (``base`` holds what they share); importing them here registers their
``ModelAdmin`` classes on the admin site.
"""

from interviews.admin.base import HiringAdmin, HiringInline, OrgForm, adopt, error_text, formset_saved
from interviews.admin.candidates import CandidateAdmin
from interviews.admin.interviews import InterviewAdmin, ScorecardAdmin
from interviews.admin.pipelines import PipelineStageAdmin, PipelineTemplateAdmin, PositionAdmin
from interviews.admin.questions import InterviewQuestionAdmin, TagAdmin

__all__ = [
    "CandidateAdmin",
    "HiringAdmin",
    "HiringInline",
    "InterviewAdmin",
    "InterviewQuestionAdmin",
    "OrgForm",
    "PipelineStageAdmin",
    "PipelineTemplateAdmin",
    "PositionAdmin",
    "ScorecardAdmin",
    "TagAdmin",
    "adopt",
    "error_text",
    "formset_saved",
]
