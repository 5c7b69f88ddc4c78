"""Guide points and their coverage: which points of a question's answer guide the candidate said.

A question's ``expected_answer_guide`` is free text. Its *points* are its lines (bullets and
numbering stripped; a heading line ending with ``:`` is skipped); a guide written as one paragraph
is split into sentences. A point's *key terms* are its words minus stop words, each reduced to a
crude stem (``hashing``/``hashed``/``hashes`` → ``hash``) so "uses a hash map" matches
"I'd hash it into a map". A point is **covered** when the candidate's words contain at least half
of its key terms (rounded up, at least one).

The candidate's words are what they said (transcript), wrote in the chat, and typed in the code
editor (identifiers split at ``camelCase`` and ``snake_case``). Hand-written because no library
we ship does this: an NLP toolkit (nltk, spaCy) would be a large download for a suffix stripper
and a stop list, and its stemmers are English-only too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_BULLET = re.compile(r"^\s*(?:[-*•·–]+|\(?\d+[.)]|\(?[a-zA-Z][.)](?=\s))\s*")
_SENTENCE = re.compile(r"(?<=[.;!?])\s+")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: leading words of a guide line that are about the answer, not in it ("Guide: …", "Expect …")
_PREFIX = re.compile(r"^\s*(?:guide|expected(?: answer)?|expect|look for|must|should|bonus|ideal(?:ly)?)\s*:\s*", re.I)

_STOP_WORDS = """
    a about above after again against all also an and any are as at be because been before being below
    between both but by can could did do does doing down during each either etc few for from further had
    has have having he her here hers him his how i if in into is it its itself just let me more most my
    no nor not now of off on once only or other our out over own same she should so some such than that
    the their them then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours e g eg ie i.e e.g via vs
    candidate candidates mention mentions mentioned explain explains explained discuss discusses discussed
    describe describes understand understands knows know note notes answer answers expected expect good
    great ideally ideal bonus point points should must might maybe use uses using used able way ways
    one two get gets make makes thing things
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())


def stem(word: str) -> str:
    """A crude English stem: enough to match plural and -ing/-ed forms of technical words."""
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("sses", "shes", "ches", "xes")):
        return w[:-2]
    if len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
        return w[:-1] if len(w) > 3 and w[-1] == w[-2] else w
    if len(w) > 4 and w.endswith("ed"):
        w = w[:-2]
        return w[:-1] if len(w) > 3 and w[-1] == w[-2] else w
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def words_of(text: str) -> set[str]:
    """The stems of the words of ``text`` (stop words kept: matching looks only for key terms)."""
    return {stem(w) for w in _WORD.findall(text)}


def identifier_words(code: str) -> set[str]:
    """The stems of the words in ``code``'s identifiers: ``binarySearch``/``binary_search`` → binary, search."""
    found: set[str] = set()
    for identifier in set(_IDENTIFIER.findall(code)):
        for part in identifier.split("_"):
            found.update(stem(p) for p in _CAMEL.findall(part) if not p.isdigit())
    return found


def identifiers(code: str) -> set[str]:
    """The distinct identifiers (and other words) of ``code``."""
    return set(_IDENTIFIER.findall(code))


def key_terms(text: str) -> list[str]:
    """A point's key terms in order, without repeats."""
    terms: list[str] = []
    for word in _WORD.findall(text):
        lowered = word.lower()
        if len(lowered) < 3 or lowered in STOP_WORDS:
            continue
        term = stem(lowered)
        if term not in terms and term not in STOP_WORDS:
            terms.append(term)
    return terms


@dataclass(frozen=True)
class GuidePoint:
    text: str
    terms: tuple[str, ...]

    @property
    def needed(self) -> int:
        """How many key terms the candidate must say for the point to be covered."""
        return max(1, math.ceil(len(self.terms) / 2))


def guide_points(guide: str) -> list[GuidePoint]:
    """The points of an answer guide (see the module docstring); points without key terms are dropped."""
    lines = [line.strip() for line in (guide or "").splitlines()]
    lines = [line for line in lines if line]
    if len(lines) == 1:
        lines = [s.strip() for s in _SENTENCE.split(lines[0]) if s.strip()]
    points: list[GuidePoint] = []
    for line in lines:
        text = _PREFIX.sub("", _BULLET.sub("", line)).strip()
        if not text or (text.endswith(":") and len(text.split()) <= 6):
            continue
        terms = key_terms(text)
        if terms:
            points.append(GuidePoint(text=text.rstrip(" ."), terms=tuple(terms)))
    return points


@dataclass
class Coverage:
    point: GuidePoint
    matched: list[str] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return len(self.matched) >= self.point.needed


def coverage(points: Iterable[GuidePoint], said: set[str]) -> list[Coverage]:
    """Each point with the key terms found in ``said`` (a set of stems)."""
    return [Coverage(point=p, matched=[t for t in p.terms if t in said]) for p in points]
