"""Offline speech-to-text with PocketSphinx and its bundled US English model.

PocketSphinx's own ``Endpointer`` (voice activity detection) splits the stream into utterances
on silence; each utterance goes through the ``Decoder`` as it arrives, so memory stays flat
however long the recording is. A segment's times come from the decoder's word alignment (its
frames, 100 per second) offset by where the utterance started in the stream, so leading and
trailing silence that the endpointer keeps around speech is not counted as speech.

Confidence is the mean posterior probability of the segment's words from the decoder's
lattice (0..1). It is a rough guide, not a calibrated score.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from pocketsphinx import Decoder, Endpointer

from recordings.transcription.audio import SAMPLE_BYTES, SAMPLE_RATE, FrameReader
from recordings.transcription.engines import Segment

logger = logging.getLogger(__name__)

# An utterance longer than this (a monologue with no pause the endpointer accepts) is cut, to
# bound the decoder's lattice and keep segments short enough to cite and seek to.
MAX_UTTERANCE_SECONDS = 30.0
# Silence appended after the stream so the endpointer closes an utterance that runs to the end.
_TAIL_SILENCE_SECONDS = 1.0
_PRONUNCIATION_VARIANT = re.compile(r"\(\d+\)$")


def _is_filler(word: str) -> bool:
    # <s>, </s>, <sil>, [NOISE], [SPEECH]... are the model's non-words.
    return word.startswith(("<", "["))


class PocketSphinxEngine:
    """The offline default: PocketSphinx's bundled ``en-us`` acoustic model, language model and dictionary."""

    name = "pocketsphinx-en-us"

    def __init__(self, *, max_utterance_seconds: float = MAX_UTTERANCE_SECONDS) -> None:
        self.max_utterance_seconds = max_utterance_seconds

    def transcribe(self, pcm: Iterable[bytes]) -> list[Segment]:
        endpointer = Endpointer(sample_rate=SAMPLE_RATE)
        decoder = Decoder(samprate=SAMPLE_RATE, loglevel="ERROR")
        frate = int(decoder.config["frate"])
        tail = bytes(int(_TAIL_SILENCE_SECONDS * SAMPLE_RATE) * SAMPLE_BYTES)
        reader = FrameReader(_chained(pcm, tail), endpointer.frame_bytes)
        max_samples = int(self.max_utterance_seconds * SAMPLE_RATE)

        segments: list[Segment] = []
        in_utterance = False
        utterance_start = 0  # samples from the start of the stream
        utterance_samples = 0
        for frame in reader:
            was_in_speech = endpointer.in_speech
            speech = endpointer.process(frame)
            if speech is None or not speech:
                continue
            if not in_utterance:
                decoder.start_utt()
                in_utterance = True
                utterance_samples = 0
                if not was_in_speech:
                    utterance_start = round(endpointer.speech_start * SAMPLE_RATE)
            decoder.process_raw(speech)
            utterance_samples += len(speech) // SAMPLE_BYTES
            if not endpointer.in_speech or utterance_samples >= max_samples:
                decoder.end_utt()
                segment = _segment_of(decoder, utterance_start, frate)
                if segment is not None:
                    segments.append(segment)
                in_utterance = False
                # A cut monologue goes on right after the samples decoded so far.
                utterance_start += utterance_samples
        if in_utterance:
            decoder.end_utt()
            segment = _segment_of(decoder, utterance_start, frate)
            if segment is not None:
                segments.append(segment)
        return segments


def _chained(pcm: Iterable[bytes], tail: bytes) -> Iterable[bytes]:
    yield from pcm
    yield tail


def _segment_of(decoder: Decoder, offset_samples: int, frate: int) -> Segment | None:
    words = [s for s in decoder.seg() if not _is_filler(s.word)]
    if not words:
        return None
    offset_ms = offset_samples * 1000 // SAMPLE_RATE
    start_ms = offset_ms + words[0].start_frame * 1000 // frate
    end_ms = offset_ms + (words[-1].end_frame + 1) * 1000 // frate
    text = " ".join(_PRONUNCIATION_VARIANT.sub("", s.word) for s in words)
    confidence = sum(min(max(float(s.prob), 0.0), 1.0) for s in words) / len(words)
    return Segment(start_ms=start_ms, end_ms=max(end_ms, start_ms), text=text, confidence=round(confidence, 4))
