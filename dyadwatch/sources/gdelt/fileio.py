"""Open a GDELT file and cut it into blocks of whole lines: the reader's I/O.

A file is either a zip holding one member or the member itself. :func:`open_member` gives
its bytes (a truncated, corrupt or CRC-failing zip is an
:class:`~dyadwatch.errors.ArtifactError`); :func:`iter_mapped_blocks` cuts a plain file into
views of a memory map and :func:`iter_blocks` reads a stream (a zip member) into blocks, both
of about :data:`BLOCK_BYTES` and ending at a line end; :func:`read_head` reads the first
lines for sniffing the format. :func:`content_checksum` fingerprints the *uncompressed*
content, so the same data zipped or not is one artifact.
"""

from __future__ import annotations

import contextlib
import mmap
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from dyadwatch.errors import ArtifactError

BLOCK_BYTES = 16 << 20
"""Bytes parsed at a time (cut at a line end): the reader's memory bound, with the kept rows."""

HEAD_BYTES = 1 << 16
"""Bytes read first to sniff a file's layout (more, up to :data:`BLOCK_BYTES`, when its first
lines are longer)."""

HEAD_LINES = 2
"""Whole lines :func:`read_head` tries to include."""

BytesLike = bytes | memoryview
"""A block: bytes read from a stream, or a view of a memory-mapped file."""


def is_zip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


@contextlib.contextmanager
def open_member(path: Path) -> Iterator[IO[bytes]]:
    """The file's bytes: the single member of a zip, or the file itself.

    Raises :class:`ArtifactError` for a truncated or corrupt zip (reading a member to its end
    also checks its CRC-32, which :func:`iter_blocks` does).
    """
    if not is_zip(path):
        with path.open("rb") as fh:
            yield fh
        return
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArtifactError(
            f"truncated or corrupt zip ({exc}); delete it and download it again."
        ) from None
    with zf:
        members = [i for i in zf.infolist() if not i.is_dir()]
        if len(members) != 1:
            raise ArtifactError(f"a GDELT zip holds one file, this one holds {len(members)}.")
        try:
            with zf.open(members[0]) as fh:
                yield fh
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ArtifactError(f"corrupt zip ({exc}); delete it and download it again.") from None


def content_checksum(path: Path) -> str:
    """A fingerprint of the *uncompressed* content: the same data zipped or not gives the same.

    For a zip it is the member's CRC-32 and size from the zip directory (no decompression);
    otherwise the CRC-32 and size of the file. A file that cannot be read as a zip falls back
    to the CRC-32 of its raw bytes, which is never equal to a good copy's.

    >>> content_checksum(Path("20151027220000.export.CSV"))  # doctest: +SKIP
    'crc32:1a2b3c4d:843446'
    """
    if is_zip(path):
        try:
            with zipfile.ZipFile(path) as zf:
                infos = [i for i in zf.infolist() if not i.is_dir()]
                if len(infos) == 1:
                    return f"crc32:{infos[0].CRC:08x}:{infos[0].file_size}"
        except (zipfile.BadZipFile, OSError):
            pass
        return f"raw-crc32:{_crc_file(path)[0]:08x}:{path.stat().st_size}"
    crc, size = _crc_file(path)
    return f"crc32:{crc:08x}:{size}"


def _crc_file(path: Path) -> tuple[int, int]:
    size = path.stat().st_size
    if size == 0:
        return 0, 0
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as view:
        return zlib.crc32(view), size


def iter_blocks(fh: IO[bytes], size: int = BLOCK_BYTES) -> Iterator[bytes]:
    """Blocks of about ``size`` bytes, each ending at a line end (the last one perhaps not).

    A block is read, then completed with the rest of its last line, so no block is copied
    to join a carried-over tail.
    """
    while True:
        try:
            data = fh.read(size)
            if data and not data.endswith(b"\n"):
                tail = fh.readline()
                if tail:
                    data += tail
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ArtifactError(
                f"corrupt or truncated compressed data ({exc}); download the file again."
            ) from None
        if not data:
            return
        yield data


def iter_mapped_blocks(path: Path, size: int = BLOCK_BYTES) -> Iterator[memoryview]:
    """Blocks of an uncompressed file as views of a memory map (no copies), cut at line ends.

    The map is released when the last view is garbage-collected.
    """
    with path.open("rb") as fh:
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    view = memoryview(mm)
    total = len(mm)
    start = 0
    while start < total:
        end = min(start + size, total)
        if end < total:
            newline = mm.find(b"\n", end - 1)
            end = total if newline < 0 else newline + 1
        yield view[start:end]
        # Done with these pages: drop them from this process (they stay in the page cache),
        # so memory does not grow with the file.
        lo = start - start % mmap.PAGESIZE
        hi = end - end % mmap.PAGESIZE
        if hi > lo and hasattr(mm, "madvise"):
            mm.madvise(mmap.MADV_DONTNEED, lo, hi - lo)
        start = end


def read_head(fh: IO[bytes]) -> bytes:
    r"""The first bytes of a stream, extended until they hold :data:`HEAD_LINES` whole lines.

    Reads :data:`HEAD_BYTES`, then more while fewer than :data:`HEAD_LINES` lines are complete
    and less than :data:`BLOCK_BYTES` were read, so that one very long first line (a field of
    megabytes) does not leave the sniffer only a fragment of a line to judge the file by.

    Examples
    --------
    >>> import io
    >>> long = b"x" * (HEAD_BYTES + 10)
    >>> head = read_head(io.BytesIO(long + b"\n" + b"a\tb\n" + b"c" * HEAD_BYTES))
    >>> head.count(b"\n"), len(head) < BLOCK_BYTES
    (2, True)
    """
    head = fh.read(HEAD_BYTES)
    while len(head) < BLOCK_BYTES and head.count(b"\n") < HEAD_LINES:
        more = fh.read(HEAD_BYTES)
        if not more:
            break
        head += more
    return head
