"""The room's shared documents (code editor, whiteboard): access, the update log, editor state.

A document is stored as its Yjs update log, one row per update with author and time, so code
playback can rebuild it at any instant. Every ``YJS_SNAPSHOT_EVERY`` updates a snapshot (the
merged state so far) is written beside the log: loading a document reads the newest snapshot and
only the updates after it, and playback starts from the newest snapshot before the instant it
wants. Snapshots add to the log and never replace it, so no history is lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from pycrdt import Doc, Text

from accounts.services import audit_record
from interviews import events
from interviews.models import DocumentSnapshot, DocumentUpdate, Interview, Participant, RoomDocument
from interviews.services.rooms import RoomRefused, participant_is_staff, participant_may_lead, peer_id
from interviews.stage_config import LANGUAGE_CHOICES, LANGUAGES, PYGMENTS_LEXER

logger = logging.getLogger(__name__)

#: the Y.Text of the ``code`` document that holds the source
SOURCE_TEXT = "source"
#: which stage tool a document needs
DOCUMENT_TOOL = {RoomDocument.Name.CODE: "editor", RoomDocument.Name.WHITEBOARD: "whiteboard"}
LANGUAGE_LABELS = dict(LANGUAGE_CHOICES)


class EditorState(TypedDict):
    language: str
    locked: bool
    runEnabled: bool


@dataclass(frozen=True)
class DocumentAccess:
    """What a socket may do with a document, decided once at connect (the lock is live state)."""

    document_id: int
    interview_id: int
    room_id: str
    name: str
    participant_id: int
    peer: str
    display_name: str
    #: interviewers and staff write even when the editor is locked
    writes_when_locked: bool
    #: non-staff observers watch only
    read_only: bool
    locked: bool


def _state(document: RoomDocument | None) -> EditorState:
    if document is None:
        return {"language": LANGUAGES[0], "locked": False, "runEnabled": True}
    return {"language": document.language, "locked": document.locked, "runEnabled": document.run_enabled}


def editor_state_for_room(*, interview: Interview) -> EditorState:
    """The editor's shared state as the room page starts with it (defaults before first use)."""
    return _state(RoomDocument.objects.filter(interview=interview, name=RoomDocument.Name.CODE).first())


def editor_state_for_participant(*, participant: Participant) -> EditorState | None:
    """The editor state a joiner receives, or None when the stage has no editor."""
    interview = participant.interview
    if not interview.stage.config.toolsConfig.get("editor"):
        return None
    return editor_state_for_room(interview=interview)


def _document_get_or_create(*, interview: Interview, name: str) -> RoomDocument:
    document = RoomDocument.objects.filter(interview=interview, name=name).first()
    if document is not None:
        return document
    try:
        with transaction.atomic():
            return RoomDocument.objects.create(interview=interview, name=name)
    except IntegrityError:  # another socket created it first
        return RoomDocument.objects.get(interview=interview, name=name)


def document_access(*, participant: Participant, name: str) -> DocumentAccess:
    """Open one of the room's documents for a participant the room already admitted."""
    interview = participant.interview
    tool = DOCUMENT_TOOL.get(name)  # type: ignore[call-overload]
    if tool is None:
        raise RoomRefused(_("This room has no such document."), code="unknown_document")
    if not interview.stage.config.toolsConfig.get(tool):
        raise RoomRefused(_("This interview's stage does not use the %(tool)s.") % {"tool": tool}, code="tool_off")
    document = _document_get_or_create(interview=interview, name=name)
    leads = participant_may_lead(participant)
    return DocumentAccess(
        document_id=document.pk,
        interview_id=interview.pk,
        room_id=str(interview.room_id),
        name=name,
        participant_id=participant.pk,
        peer=peer_id(participant),
        display_name=participant.display_name,
        writes_when_locked=leads,
        read_only=participant.role == Participant.Role.OBSERVER and not participant_is_staff(participant),
        locked=document.locked,
    )


def _log(queryset: Any) -> list[bytes]:
    return [bytes(data) for data in queryset.order_by("pk").values_list("data", flat=True)]


def _merge(state: bytes | None, updates: list[bytes]) -> Doc:
    doc: Doc = Doc()
    if state:
        doc.apply_update(state)
    for update in updates:
        doc.apply_update(update)
    return doc


def document_state(*, document_id: int) -> bytes:
    """The document's whole state as one Yjs update: the newest snapshot plus the log after it."""
    snapshot = DocumentSnapshot.objects.filter(document_id=document_id).order_by("-upto_id").first()
    after = snapshot.upto_id if snapshot else 0
    updates = DocumentUpdate.objects.filter(document_id=document_id, pk__gt=after)
    doc = _merge(bytes(snapshot.state) if snapshot else None, _log(updates))
    return doc.get_update()


@transaction.atomic
def document_append(*, document_id: int, updates: list[tuple[int | None, datetime, bytes]]) -> list[int]:
    """Append updates ``(author participant id, time, bytes)`` to the log; snapshot when due."""
    rows = DocumentUpdate.objects.bulk_create(
        [DocumentUpdate(document_id=document_id, author_id=a, created_at=t, data=d) for a, t, d in updates]
    )
    RoomDocument.objects.filter(pk=document_id).update(
        update_count=F("update_count") + len(rows),
        byte_count=F("byte_count") + sum(len(d) for _a, _t, d in updates),
    )
    every = settings.YJS_SNAPSHOT_EVERY
    count = RoomDocument.objects.values_list("update_count", flat=True).get(pk=document_id)
    if count // every != (count - len(rows)) // every:
        document_snapshot(document_id=document_id)
    return [row.pk for row in rows]


def document_snapshot(*, document_id: int) -> DocumentSnapshot | None:
    """Checkpoint the merged state up to the newest update (the log itself is kept)."""
    last = DocumentUpdate.objects.filter(document_id=document_id).order_by("-pk").first()
    if last is None:
        return None
    previous = DocumentSnapshot.objects.filter(document_id=document_id).order_by("-upto_id").first()
    if previous is not None and previous.upto_id >= last.pk:
        return previous
    after = previous.upto_id if previous else 0
    updates = DocumentUpdate.objects.filter(document_id=document_id, pk__gt=after, pk__lte=last.pk)
    doc = _merge(bytes(previous.state) if previous else None, _log(updates))
    snapshot, _created = DocumentSnapshot.objects.get_or_create(
        document_id=document_id,
        upto_id=last.pk,
        defaults={"upto_at": last.created_at, "state": doc.get_update()},
    )
    return snapshot


def document_history(*, document: RoomDocument) -> list[DocumentUpdate]:
    """The document's whole update log in order, with authors (for playback)."""
    return list(DocumentUpdate.objects.filter(document=document).select_related("author__user", "author__candidate"))


def document_doc_at(*, document: RoomDocument, at: datetime) -> Doc:
    """The document as it was at ``at``: the newest snapshot before it plus the updates up to it."""
    snapshot = DocumentSnapshot.objects.filter(document=document, upto_at__lte=at).order_by("-upto_id").first()
    after = snapshot.upto_id if snapshot else 0
    updates = DocumentUpdate.objects.filter(document=document, pk__gt=after, created_at__lte=at)
    return _merge(bytes(snapshot.state) if snapshot else None, _log(updates))


def document_text_at(*, document: RoomDocument, at: datetime) -> str:
    """The code editor's text at ``at`` (code playback and reports)."""
    return str(document_doc_at(document=document, at=at).get(SOURCE_TEXT, type=Text))


@transaction.atomic
def editor_state_set(*, participant: Participant, changes: dict[str, Any]) -> EditorState:
    """Change the shared editor state: anyone the room admits sets the language, leaders the rest."""
    unknown = set(changes) - {"language", "locked", "runEnabled"}
    if unknown or not changes:
        raise RoomRefused(_("EDITOR_STATE takes language, locked and runEnabled."), code="bad_frame")
    interview = participant.interview
    if not interview.stage.config.toolsConfig.get("editor"):
        raise RoomRefused(_("This interview's stage does not use the editor."), code="tool_off")
    if "language" in changes and changes["language"] not in LANGUAGE_LABELS:
        raise RoomRefused(
            _("Unknown language; use one of: %(names)s.") % {"names": ", ".join(LANGUAGES)}, code="bad_frame"
        )
    for flag in ("locked", "runEnabled"):
        if flag in changes and not isinstance(changes[flag], bool):
            raise RoomRefused(_("%(flag)s must be true or false.") % {"flag": flag}, code="bad_frame")
    if ({"locked", "runEnabled"} & set(changes)) and not participant_may_lead(participant):
        raise RoomRefused(_("Only interviewers can lock the editor or allow running code."), code="forbidden")
    document = RoomDocument.objects.select_for_update().get(
        pk=_document_get_or_create(interview=interview, name=RoomDocument.Name.CODE).pk
    )
    before = _state(document)
    document.language = changes.get("language", document.language)
    document.locked = changes.get("locked", document.locked)
    document.run_enabled = changes.get("runEnabled", document.run_enabled)
    after = _state(document)
    if after != before:
        document.save(update_fields=["language", "locked", "run_enabled", "updated_at"])
        audit_record(
            action="editor.state",
            actor=participant.user,
            organization=interview.organization,
            target=interview,
            changes={key: [before[key], after[key]] for key in after if before[key] != after[key]},  # type: ignore[literal-required]
        )
    delivered = {**after, "fromId": peer_id(participant)}
    events.broadcast_on_commit(
        events.room_group(interview.room_id), {"type": "room.event", "event": events.EDITOR_STATE, "payload": delivered}
    )
    events.broadcast_on_commit(
        events.document_group(interview.room_id, RoomDocument.Name.CODE),
        {"type": "yjs.state", "locked": after["locked"]},
    )
    return after


# Which language is a pasted snippet? Pygments' own ``guess_lexer`` weighs some 500 lexers by
# their ``analyse_text`` hints, which most lexers leave at 0: on short snippets it answered None
# or a wrong language for most of our eight. So each of our eight lexers tokenises the snippet
# (keywords and types count for it, error tokens against it), plus a few telltale constructs per
# language; the best score wins if it is clear enough.
TELLTALES: dict[str, list[tuple[str, int]]] = {
    "python": [
        (r"^\s*def \w+\(.*\)\s*(->.*)?:\s*$", 10),
        (r"^\s*(from [\w.]+ )?import [\w., ]+$", 4),
        (r"\bself\b", 3),
    ],
    "go": [(r"^\s*package \w+\s*$", 12), (r"\bfunc\s+(\(\w+ \*?\w+\)\s*)?\w+\(", 10), (r":=", 4)],
    "rust": [(r"\bfn \w+(<.*>)?\(", 10), (r"\blet mut\b", 6), (r"\w+!\(", 4), (r"\bimpl\b", 6)],
    "java": [(r"\bpublic static void main\b", 12), (r"\bSystem\.out\.", 8), (r"\b(public|private) class\b", 6)],
    "c++": [(r"#include <(iostream|vector|string|map|algorithm)>", 12), (r"\bstd::", 8), (r"\bcout\b", 4)],
    "c": [(r"#include <(stdio|stdlib|string)\.h>", 8), (r"\bprintf\(", 4), (r"\bmalloc\(", 4)],
    "typescript": [(r":\s*(string|number|boolean|void)\b", 8), (r"^\s*(export )?interface \w+", 8)],
    "javascript": [(r"\bconsole\.log\(", 2), (r"\bfunction\b", 2), (r"=>", 1)],
}
GUESS_MIN_CHARACTERS = 20
GUESS_MIN_SCORE = 8


def _language_score(language: str, code: str) -> float:
    import re

    from pygments.lexers import get_lexer_by_name
    from pygments.token import Error, Keyword, Name

    lexer = get_lexer_by_name(PYGMENTS_LEXER[language])
    score = 20.0 * lexer.analyse_text(code)
    for token, _value in lexer.get_tokens(code):
        if token in Error:
            score -= 4
        elif token in Keyword.Type or token in Keyword.Declaration:
            score += 3
        elif token in Keyword:
            score += 2
        elif token in Name.Builtin:
            score += 1
    for pattern, weight in TELLTALES[language]:
        if re.search(pattern, code, re.MULTILINE):
            score += weight
    return score


def language_guess(*, code: Any) -> str | None:
    """The room language a pasted snippet most likely is, or None when unsure."""
    if not isinstance(code, str):
        raise RoomRefused(_("code must be a string."), code="bad_frame")
    if len(code.strip()) < GUESS_MIN_CHARACTERS:
        return None
    sample = code[:8000]  # the first lines tell; the rest only costs time
    scores = sorted(((_language_score(lang, sample), lang) for lang in LANGUAGES), reverse=True)
    (best, language), (second, _other) = scores[0], scores[1]
    if best < GUESS_MIN_SCORE or best == second:
        return None
    return language
