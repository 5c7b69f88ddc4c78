"""Compare two pieces of code with copydetect's winnowing fingerprints (no database, no settings)."""

from __future__ import annotations

import io
import warnings
import zlib
from dataclasses import dataclass, field
from typing import Any

import copydetect.utils
from copydetect import CodeFingerprint, compare_files

from interviews.stage_config import PYGMENTS_LEXER


def _stable_hash(kgram: str) -> int:
    return zlib.crc32(kgram.encode("utf-8", "surrogatepass"))


# copydetect hashes k-grams with the built-in hash(), which Python salts per process: which
# fingerprints winnowing keeps then changes from one worker to the next, so the same two
# submissions (and how much starter code is discounted) scored differently after a restart. A
# fixed hash makes every comparison reproducible; it shadows the name in that module only.
copydetect.utils.hash = _stable_hash  # type: ignore[attr-defined]

#: fingerprints are k-grams of the tokenised code (copydetect's "noise threshold"): shorter
#: common runs are ignored...
NOISE_THRESHOLD = 25
#: ...and any common run this long is guaranteed to be found (window = guarantee - noise + 1)
GUARANTEE_THRESHOLD = 30


@dataclass
class Overlap:
    """How much of each side is shared with the other (0..1) and where (character ranges)."""

    first_overlap: float = 0.0
    second_overlap: float = 0.0
    first_ranges: list[list[int]] = field(default_factory=list)
    second_ranges: list[list[int]] = field(default_factory=list)

    @property
    def similarity(self) -> float:
        return max(self.first_overlap, self.second_overlap)


def _fingerprint(code: str, language: str, boilerplate: Any = None) -> CodeFingerprint:
    window = GUARANTEE_THRESHOLD - NOISE_THRESHOLD + 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CodeFingerprint(
            f"submission.{language}",
            NOISE_THRESHOLD,
            window,
            boilerplate=boilerplate,
            language=PYGMENTS_LEXER.get(language),
            fp=io.StringIO(code),
        )


def _ranges(slices: Any, length: int) -> list[list[int]]:
    """copydetect's 2×N slice array as merged, sorted ``[[start, end], ...]`` within the code."""
    if slices is None or len(slices) != 2 or len(slices[0]) == 0:
        return []
    pairs = sorted((max(0, int(s)), min(length, int(e))) for s, e in zip(slices[0], slices[1], strict=True))
    merged: list[list[int]] = []
    for start, end in pairs:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def compare(first: str, second: str, *, language: str, boilerplate: str = "") -> Overlap:
    """The overlap of two submissions in ``language``; code shared with ``boilerplate`` (the
    problem's starter code) does not count."""
    if not first.strip() or not second.strip():
        return Overlap()
    base = sorted(_fingerprint(boilerplate, language).hashes) if boilerplate.strip() else None
    a, b = _fingerprint(first, language, base), _fingerprint(second, language, base)
    if not a.token_coverage or not b.token_coverage:
        return Overlap()
    _tokens, (sim_a, sim_b), (slices_a, slices_b) = compare_files(a, b)
    return Overlap(
        first_overlap=round(min(1.0, float(sim_a)), 4),
        second_overlap=round(min(1.0, float(sim_b)), 4),
        first_ranges=_ranges(slices_a, len(first)),
        second_ranges=_ranges(slices_b, len(second)),
    )
