"""Per-stage configuration: which room tools are on, and how an async coding stage runs.

Stored as two JSON objects on each pipeline stage (``toolsConfig`` and ``dsaConfig`` in the API,
the names the room and the assessment code rely on), validated here into a typed value.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# "recording": the recorder peer records the room once every participant has consented
# (docs/recordings.md); off unless a stage turns it on.
TOOLS = ("video", "editor", "whiteboard", "chat", "recording")
LANGUAGES = ("python", "javascript", "typescript", "c", "c++", "java", "go", "rust")
LANGUAGE_CHOICES = [
    ("python", "Python"),
    ("javascript", "JavaScript"),
    ("typescript", "TypeScript"),
    ("c", "C"),
    ("c++", "C++"),
    ("java", "Java"),
    ("go", "Go"),
    ("rust", "Rust"),
]

#: each language's Pygments lexer (the paste guess, the plagiarism tokeniser)
PYGMENTS_LEXER = {
    "python": "python",
    "javascript": "javascript",
    "typescript": "typescript",
    "c": "c",
    "c++": "cpp",
    "java": "java",
    "go": "go",
    "rust": "rust",
}


class StageType:
    PHONE_SCREEN = "phone_screen"
    TECHNICAL_LIVE = "technical_live"
    TECHNICAL_DSA = "technical_dsa"
    SYSTEM_DESIGN = "system_design"
    BEHAVIORAL = "behavioral"
    PANEL = "panel"


STAGE_TYPES = [
    StageType.PHONE_SCREEN,
    StageType.TECHNICAL_LIVE,
    StageType.TECHNICAL_DSA,
    StageType.SYSTEM_DESIGN,
    StageType.BEHAVIORAL,
    StageType.PANEL,
]

DEFAULT_TOOLS: dict[str, dict[str, bool]] = {
    StageType.PHONE_SCREEN: {"video": True, "editor": False, "whiteboard": False, "chat": True, "recording": False},
    StageType.TECHNICAL_LIVE: {"video": True, "editor": True, "whiteboard": True, "chat": True, "recording": False},
    StageType.TECHNICAL_DSA: {"video": False, "editor": True, "whiteboard": False, "chat": False, "recording": False},
    StageType.SYSTEM_DESIGN: {"video": True, "editor": False, "whiteboard": True, "chat": True, "recording": False},
    StageType.BEHAVIORAL: {"video": True, "editor": False, "whiteboard": False, "chat": True, "recording": False},
    StageType.PANEL: {"video": True, "editor": True, "whiteboard": True, "chat": True, "recording": False},
}


@dataclass(frozen=True)
class DsaConfig:
    proctoringEnabled: bool = False
    problems: list[int] = field(default_factory=list)
    timeLimitMinutes: int = 60
    languages: list[str] = field(default_factory=lambda: list(LANGUAGES))
    maxSubmissions: int = 20


@dataclass(frozen=True)
class StageTypeConfig:
    """A stage's room tools and DSA settings, validated."""

    toolsConfig: dict[str, bool]
    dsaConfig: DsaConfig

    def as_json(self) -> dict[str, Any]:
        return {"toolsConfig": dict(self.toolsConfig), "dsaConfig": asdict(self.dsaConfig)}


def default_tools(stage_type: str) -> dict[str, bool]:
    return dict(DEFAULT_TOOLS.get(stage_type, DEFAULT_TOOLS[StageType.TECHNICAL_LIVE]))


def parse_tools_config(value: Any) -> dict[str, bool]:
    """Validate ``toolsConfig``: exactly the known tools, each a boolean (missing ones are off)."""
    if not isinstance(value, dict):
        raise ValidationError(_('toolsConfig must be an object like {"video": true, "editor": false}.'))
    unknown = sorted(set(value) - set(TOOLS))
    if unknown:
        raise ValidationError(
            _("Unknown tools: %(names)s (known: %(known)s).") % {"names": ", ".join(unknown), "known": ", ".join(TOOLS)}
        )
    tools: dict[str, bool] = {}
    for name in TOOLS:
        flag = value.get(name, False)
        if not isinstance(flag, bool):
            raise ValidationError(_("toolsConfig.%(name)s must be true or false.") % {"name": name})
        tools[name] = flag
    return tools


def parse_dsa_config(value: Any) -> DsaConfig:
    """Validate ``dsaConfig``; unknown keys and wrong types are errors, not silently dropped."""
    if value in (None, {}):
        return DsaConfig()
    if not isinstance(value, dict):
        raise ValidationError(_("dsaConfig must be an object."))
    known = {"proctoringEnabled", "problems", "timeLimitMinutes", "languages", "maxSubmissions"}
    unknown = sorted(set(value) - known)
    if unknown:
        raise ValidationError(_("Unknown dsaConfig keys: %(names)s.") % {"names": ", ".join(unknown)})
    proctoring = value.get("proctoringEnabled", False)
    if not isinstance(proctoring, bool):
        raise ValidationError(_("dsaConfig.proctoringEnabled must be true or false."))
    problems = value.get("problems", [])
    if not isinstance(problems, list) or not all(
        isinstance(p, int) and not isinstance(p, bool) and p > 0 for p in problems
    ):
        raise ValidationError(_("dsaConfig.problems must be a list of problem ids."))
    minutes = value.get("timeLimitMinutes", 60)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 5 <= minutes <= 600:
        raise ValidationError(_("dsaConfig.timeLimitMinutes must be a whole number from 5 to 600."))
    languages = value.get("languages", list(LANGUAGES))
    if not isinstance(languages, list) or not languages or not all(lang in LANGUAGES for lang in languages):
        raise ValidationError(
            _("dsaConfig.languages must be a non-empty list of: %(known)s.") % {"known": ", ".join(LANGUAGES)}
        )
    max_submissions = value.get("maxSubmissions", 20)
    if not isinstance(max_submissions, int) or isinstance(max_submissions, bool) or not 1 <= max_submissions <= 200:
        raise ValidationError(_("dsaConfig.maxSubmissions must be a whole number from 1 to 200."))
    return DsaConfig(
        proctoringEnabled=proctoring,
        problems=list(problems),
        timeLimitMinutes=minutes,
        languages=list(languages),
        maxSubmissions=max_submissions,
    )


def parse_criteria(value: Any) -> list[str]:
    """Scorecard criteria of a stage: 1 to 12 distinct, non-empty names."""
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= 12
        or not all(isinstance(c, str) and c.strip() for c in value)
    ):
        raise ValidationError(_('Criteria must be a list of 1 to 12 names, e.g. ["Problem solving", "Communication"].'))
    names = [c.strip()[:80] for c in value]
    if len(set(names)) != len(names):
        raise ValidationError(_("Criteria names must be distinct."))
    return names


DEFAULT_CRITERIA: dict[str, list[str]] = {
    StageType.PHONE_SCREEN: ["Motivation", "Communication", "Role fit"],
    StageType.TECHNICAL_LIVE: ["Problem solving", "Coding", "Testing", "Communication"],
    StageType.TECHNICAL_DSA: ["Correctness", "Efficiency", "Code quality"],
    StageType.SYSTEM_DESIGN: ["Requirements", "Architecture", "Trade-offs", "Communication"],
    StageType.BEHAVIORAL: ["Ownership", "Collaboration", "Communication"],
    StageType.PANEL: ["Technical depth", "Collaboration", "Communication"],
}
