"""Encryption at rest of recordings: a seekable, chunked AEAD file format (docs/recording-storage.md).

Why this is written by hand: the replay streams recordings with HTTP Range requests and PyAV
seeks in them, so any byte range must be decryptable without reading the file from the start.
``cryptography`` gives the primitives (AES-256-GCM, HKDF) but no file format; Fernet and the
other one-shot AEADs need the whole message in memory and cannot be read from the middle; Tink's
Python streaming AEAD decrypts sequentially only, and ``age`` has no maintained Python library
with random access. So this module implements a small format in the spirit of Tink's
AES-GCM-HKDF streaming AEAD, from ``cryptography``'s primitives only:

    header  = magic "TSREC" | version (1) | chunk size (u32) | key id (8) | salt (32)
    chunk i = AES-256-GCM(file key, nonce_i, plaintext_i, associated data = header)
    file key = HKDF-SHA256(master key, salt, "talentsync.recordings.chunk-key.v1")
    nonce_i  = i as 11 bytes big-endian | 0x01 for the last chunk, else 0x00

Every chunk holds ``chunk size`` bytes of plaintext (the last one may hold fewer, or none) plus
a 16-byte tag. A fresh random salt gives every file its own key, so chunk counters never repeat
a (key, nonce) pair across files. The chunk index and the last-chunk flag are part of the nonce,
so a reordered, dropped or duplicated chunk fails to decrypt, and a file cut at a chunk boundary
is caught because its new last chunk was not sealed as the last; the header is the associated
data of every chunk, so it cannot be edited either. Opening a file checks its last chunk, so a
truncated file is refused before the first byte is served.

Keys: ``settings.RECORDING_KEY`` (32 random bytes, base64; ``manage.py generate_recording_key``)
encrypts new files. ``settings.RECORDING_OLD_KEYS`` (optional, a list or comma-separated string)
still decrypts files written under earlier keys; the key id in each header says which key to use.
With ``DEBUG`` on and no key set, a key is derived from ``SECRET_KEY`` with HKDF and a purpose
label (as ``scheduling.calendar.crypto`` does), so it is never the secret key itself; production
refuses to encrypt without ``RECORDING_KEY`` (and ``check --deploy`` says so).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import secrets
import struct
from collections.abc import Iterator, Mapping
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAGIC = b"TSREC"
VERSION = 1
CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
KEY_SIZE = 32
SALT_SIZE = 32
KEY_ID_SIZE = 8
_HEADER = struct.Struct(f">{len(MAGIC)}sBI{KEY_ID_SIZE}s{SALT_SIZE}s")
HEADER_SIZE = _HEADER.size
_MIN_CHUNK, _MAX_CHUNK = 1024, 16 * 1024 * 1024
_CHUNK_KEY_INFO = b"talentsync.recordings.chunk-key.v1"
_KEY_ID_LABEL = b"talentsync.recordings.key-id.v1"
_DEBUG_KEY_INFO = b"talentsync.recordings.master-key.v1"


class RecordingCryptoError(ValueError):
    """A recording file cannot be decrypted: not ours, tampered with, truncated, or unknown key."""


class UnknownKeyError(RecordingCryptoError):
    """The file was encrypted under a key that is neither the current one nor an old one."""


# --- keys ------------------------------------------------------------------------------------
def key_generate() -> str:
    """A new master key, as the base64 text ``RECORDING_KEY`` expects."""
    return base64.b64encode(secrets.token_bytes(KEY_SIZE)).decode()


def key_parse(value: str) -> bytes:
    """The 32 bytes of a base64 (standard or URL-safe) key; ValueError when it is anything else."""
    text = value.strip()
    try:
        raw = base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("RECORDING_KEY is not valid base64.") from exc
    if len(raw) != KEY_SIZE:
        raise ValueError(f"RECORDING_KEY must decode to {KEY_SIZE} bytes, not {len(raw)}.")
    return raw


def key_id(key: bytes) -> bytes:
    """A short public name of a key (a hash with a label: it reveals nothing about the key)."""
    return hashlib.sha256(_KEY_ID_LABEL + key).digest()[:KEY_ID_SIZE]


def _debug_key() -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=None, info=_DEBUG_KEY_INFO)
    return hkdf.derive(settings.SECRET_KEY.encode())


def _old_key_values() -> list[str]:
    value: Any = settings.RECORDING_OLD_KEYS
    if isinstance(value, str):
        value = value.split(",")
    return [v for v in (str(item).strip() for item in value or []) if v]


def _development() -> bool:
    """Whether the SECRET_KEY-derived key may stand in for (and decrypt besides) RECORDING_KEY.

    With DEBUG on, and only then: with DEBUG off a key is never derived silently, whatever the
    SECRET_KEY. The test run sets a fixed RECORDING_KEY in its environment (pytest-env in
    pyproject.toml), so the test process, where pytest-django turns DEBUG off, and the DEBUG
    servers it starts share one real key and read each other's files.
    """
    return bool(settings.DEBUG)


def current_key() -> bytes:
    """The key new files are encrypted with."""
    if settings.RECORDING_KEY:
        return key_parse(settings.RECORDING_KEY)
    if _development():
        return _debug_key()
    raise ImproperlyConfigured("RECORDING_KEY must be set when DEBUG is off (manage.py generate_recording_key).")


def keyring() -> dict[bytes, bytes]:
    """Every key that may decrypt a stored file, by key id (current key, old keys, DEBUG's key)."""
    keys = [current_key(), *(key_parse(v) for v in _old_key_values())]
    if _development():
        keys.append(_debug_key())
    return {key_id(k): k for k in keys}


def _chunk_cipher(master: bytes, salt: bytes) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=salt, info=_CHUNK_KEY_INFO)
    return AESGCM(hkdf.derive(master))


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


# --- writing ---------------------------------------------------------------------------------
def encrypt_stream(src: IO[bytes], dst: IO[bytes], *, key: bytes | None = None, chunk_size: int = CHUNK_SIZE) -> int:
    """Encrypt everything ``src`` yields into ``dst``; returns the number of plaintext bytes.

    Reads one chunk ahead, so the last chunk is known when it is sealed; memory stays at two chunks.
    """
    if not _MIN_CHUNK <= chunk_size <= _MAX_CHUNK:
        raise ValueError("chunk_size out of range")
    master = key if key is not None else current_key()
    salt = secrets.token_bytes(SALT_SIZE)
    header = _HEADER.pack(MAGIC, VERSION, chunk_size, key_id(master), salt)
    cipher = _chunk_cipher(master, salt)
    dst.write(header)
    total = 0
    index = 0
    current = _read_full(src, chunk_size)
    while True:
        following = _read_full(src, chunk_size) if len(current) == chunk_size else b""
        last = not following
        dst.write(cipher.encrypt(_nonce(index, last), current, header))
        total += len(current)
        if last:
            return total
        current = following
        index += 1


def _read_full(src: IO[bytes], size: int) -> bytes:
    parts: list[bytes] = []
    wanted = size
    while wanted:
        part = src.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def encrypt_bytes(plain: bytes, *, key: bytes | None = None, chunk_size: int = CHUNK_SIZE) -> bytes:
    """The encrypted form of ``plain`` (small data and tests; files go through ``encrypt_stream``)."""
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(plain), out, key=key, chunk_size=chunk_size)
    return out.getvalue()


# --- reading ---------------------------------------------------------------------------------
class DecryptingReader(io.RawIOBase):
    """A read-only, seekable view of the plaintext of an encrypted file; decrypts only the chunks read.

    It owns ``raw`` (a seekable binary file) and closes it. PyAV can ``av.open()`` it, and
    ``iter_range`` feeds HTTP Range responses. Raises :class:`RecordingCryptoError` when the file
    is not a recording, was tampered with or truncated, or needs a key that is not configured.
    """

    def __init__(self, raw: IO[bytes], *, keys: Mapping[bytes, bytes] | None = None) -> None:
        super().__init__()
        self._raw = raw
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None
        try:
            self._open(keys if keys is not None else keyring())
        except BaseException:
            raw.close()
            raise

    def _open(self, keys: Mapping[bytes, bytes]) -> None:
        self._raw.seek(0)
        header = self._raw.read(HEADER_SIZE)
        if len(header) != HEADER_SIZE:
            raise RecordingCryptoError("not an encrypted recording (too short)")
        magic, version, chunk_size, kid, salt = _HEADER.unpack(header)
        if magic != MAGIC:
            raise RecordingCryptoError("not an encrypted recording (bad magic)")
        if version != VERSION:
            raise RecordingCryptoError(f"unsupported recording format version {version}")
        if not _MIN_CHUNK <= chunk_size <= _MAX_CHUNK:
            raise RecordingCryptoError("corrupt header (chunk size)")
        master = keys.get(kid)
        if master is None:
            raise UnknownKeyError("encrypted with a key that is not configured (RECORDING_OLD_KEYS?)")
        self._header = header
        self._chunk = chunk_size
        self._cipher = _chunk_cipher(master, salt)
        self.key_id: bytes = kid
        body = self._raw.seek(0, os.SEEK_END) - HEADER_SIZE
        stride = chunk_size + TAG_SIZE
        self._chunks = max(1, -(-body // stride))
        last_len = body - (self._chunks - 1) * stride
        if last_len < TAG_SIZE:
            raise RecordingCryptoError("truncated recording")
        self.size: int = (self._chunks - 1) * chunk_size + last_len - TAG_SIZE
        self._plain_chunk(self._chunks - 1)  # a cut or extended file fails here, before any byte is served

    def _plain_chunk(self, index: int) -> bytes:
        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        stride = self._chunk + TAG_SIZE
        last = index == self._chunks - 1
        self._raw.seek(HEADER_SIZE + index * stride)
        sealed = self._raw.read(stride)
        try:
            plain = self._cipher.decrypt(_nonce(index, last), sealed, self._header)
        except InvalidTag as exc:
            raise RecordingCryptoError(
                f"recording chunk {index} failed authentication (tampered or truncated)"
            ) from exc
        if (not last and len(plain) != self._chunk) or len(plain) > self._chunk:
            raise RecordingCryptoError(f"recording chunk {index} has the wrong length")
        self._cached = (index, plain)
        return plain

    # io.RawIOBase
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def tell(self) -> int:
        self._check_open()
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self._check_open()
        if whence == os.SEEK_SET:
            target = offset
        elif whence == os.SEEK_CUR:
            target = self._pos + offset
        elif whence == os.SEEK_END:
            target = self.size + offset
        else:
            raise ValueError(f"invalid whence ({whence})")
        if target < 0:
            raise ValueError("negative seek position")
        self._pos = target
        return target

    def readinto(self, buffer: Any) -> int:
        self._check_open()
        view = memoryview(buffer).cast("B")
        written = 0
        while written < len(view) and self._pos < self.size:
            index, offset = divmod(self._pos, self._chunk)
            plain = self._plain_chunk(index)
            n = min(len(plain) - offset, len(view) - written)
            view[written : written + n] = plain[offset : offset + n]
            written += n
            self._pos += n
        return written

    def readall(self) -> bytes:
        return self.read(max(0, self.size - self._pos)) or b""

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
            self._cached = None
        super().close()

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file.")

    def iter_range(self, start: int, stop: int, *, block: int | None = None) -> Iterator[bytes]:
        """Plaintext bytes ``[start, stop)`` in pieces of at most ``block`` (one chunk by default)."""
        step = block or self._chunk
        position = start
        while position < stop:
            self.seek(position)
            piece = self.read(min(step, stop - position)) or b""
            if not piece:
                return
            position += len(piece)
            yield piece


def open_decrypted(path: str | os.PathLike[str], *, keys: Mapping[bytes, bytes] | None = None) -> DecryptingReader:
    """Open an encrypted file for random-access reading of its plaintext."""
    return DecryptingReader(open(path, "rb"), keys=keys)  # the reader owns and closes it


def decrypt_bytes(sealed: bytes, *, keys: Mapping[bytes, bytes] | None = None) -> bytes:
    """The plaintext of an encrypted blob (tests and small data)."""
    with DecryptingReader(io.BytesIO(sealed), keys=keys) as reader:
        return reader.readall()
