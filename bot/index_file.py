"""The index file: one NumPy `.npz` (the arrays of bot.index_format, and its JSON header as one
more), written safely and mapped into memory when read.

The file is written to a temporary file and renamed into place, so a crash mid-write leaves the
old index intact. A writer holds a lock (flock) on its temporary file until it is renamed; one
left by a writer that was killed is unlocked, and the next save or load removes it. Reading maps
the arrays from the file with pickling disabled, checked against their CRCs, and `Index` checks
that they fit together: a damaged file is an IndexFileError, never a crash later.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import logging
import math
import os
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .errors import IndexFileError
from .index import Index
from .index_format import INDEX_FORMAT

log = logging.getLogger(__name__)

INDEX_FILE = "citebot-index.npz"
_TEMPORARY = (".citebot-index-", ".tmp")  # a temporary file's name begins and ends so
_ALIGN = 64  # bytes; what .npy headers pad to, and where load() can map an array from
_PADDING_FIELD = 0xCB01  # a zip "extra field" id of our own, holding only padding


def save(index: Index, folder: Path) -> Path:
    """Write the index atomically into folder; returns the file written.

    The index is written to a temporary file, flushed to disk and renamed over the old one, so a
    crash or a full disk at any point leaves either the old index or the new one, whole. The
    temporary file is locked while it is written; temporaries of writers that were killed are
    removed first.
    """
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(folder)
    header, arrays = index.saved_form
    arrays = {"header": np.frombuffer(json.dumps(header, ensure_ascii=False).encode("utf-8"), dtype=np.uint8), **arrays}
    target = folder / INDEX_FILE
    handle, temporary = _locked_temporary(folder)
    try:
        with os.fdopen(handle, "wb", closefd=False) as stream:
            _write_aligned_npz(stream, arrays)
            stream.flush()
            os.fsync(handle)
        os.replace(temporary, target)  # while still locked: cleanup elsewhere must not take it first
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    finally:
        os.close(handle)
    _sync_folder(folder)
    return target


def _locked_temporary(folder: Path) -> tuple[int, str]:
    """A new temporary file in folder, open and locked, and its path.

    The lock (flock, held until the file is closed, also by a killed process's kernel) tells
    `remove_stale_temporaries` in any process that the file is being written. Another process's
    cleanup could open the file between its creation and the lock, and remove it: then it is made
    again."""
    while True:
        handle, temporary = tempfile.mkstemp(prefix=_TEMPORARY[0], suffix=_TEMPORARY[1], dir=folder)
        fcntl.flock(handle, fcntl.LOCK_EX)
        with contextlib.suppress(FileNotFoundError):
            if os.path.samestat(os.fstat(handle), os.stat(temporary)):
                return handle, temporary
        os.close(handle)


def remove_stale_temporaries(folder: Path) -> None:
    """Remove the temporary files of index writers that were killed (kill -9, a power cut): those
    no process holds locked. A file being written by another process, or thread, stays.

    flock, not fcntl's record locks: those belong to a process, so a thread of the writer's own
    process would take a lock it holds (on NFS, where Linux emulates flock with them, only other
    processes' writers are told apart). Nothing here fails a load: a folder it cannot change is
    left as it is."""
    try:
        names = [entry.name for entry in os.scandir(folder)]
    except OSError:
        return
    for name in names:
        if not (name.startswith(_TEMPORARY[0]) and name.endswith(_TEMPORARY[1])):
            continue
        path = folder / name
        try:
            handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.path.samestat(os.fstat(handle), os.lstat(path)):
                size = os.fstat(handle).st_size
                path.unlink()
                log.info("removed %s (%d bytes), left by an index writer that was stopped", path, size)
        except OSError:  # locked: being written; or gone, or not ours to remove
            pass
        finally:
            os.close(handle)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (the folder's entry on disk), as SQLite does; where a file system
    cannot sync a folder, the rename is already atomic for every reader."""
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def load(folder: Path) -> Index:
    """Read the index in folder; IndexFileError when it is missing, damaged or of another format.
    Temporary files that killed writers left there are removed."""
    remove_stale_temporaries(folder)
    path = folder / INDEX_FILE
    if not path.is_file():
        raise IndexFileError(f"no index at {path}")
    try:
        arrays = _mapped_npz(path)
        header = json.loads(arrays.pop("header").tobytes().decode("utf-8"))
        if not isinstance(header, dict) or header.get("format") != INDEX_FORMAT:
            found = header.get("format") if isinstance(header, dict) else None
            raise IndexFileError(f"index {path} is format {found}, this citebot reads {INDEX_FORMAT}")
        index = Index(header, arrays)
    except IndexFileError:
        raise
    except (
        OSError,
        ValueError,
        KeyError,
        TypeError,
        IndexError,
        AttributeError,
        zipfile.BadZipFile,
        EOFError,
        struct.error,
    ) as error:
        raise IndexFileError(f"index {path} is damaged ({type(error).__name__}: {error})") from None
    return index


def _write_aligned_npz(stream: BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    """What np.savez writes (np.load reads it), except that each array's data starts at a multiple
    of _ALIGN bytes in the file, so that load() can map it instead of reading and copying it."""
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            # The local header: 30 bytes, the name, then extra fields (ours, and the 20-byte zip64
            # one that force_zip64 adds); the .npy header that follows pads itself to _ALIGN.
            before_padding = stream.tell() + 30 + len(info.filename.encode("utf-8")) + 4 + 20
            info.extra = struct.pack("<HH", _PADDING_FIELD, -before_padding % _ALIGN) + bytes(-before_padding % _ALIGN)
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
            info.extra = b""  # the padding belongs to the local header only, not the central directory


def _mapped_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an index file, mapped from it rather than read where they lie aligned (as
    save() writes them), else copied. Each is checked against its CRC, as np.load would."""
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    mapped = np.memmap(path, dtype=np.uint8, mode="r")
    arrays = {}
    for member in members:
        if member.compress_type != zipfile.ZIP_STORED or not member.filename.endswith(".npy"):
            raise ValueError(f"{member.filename} is not a stored array")
        local = mapped[member.header_offset : member.header_offset + 30].tobytes()
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise ValueError(f"{member.filename} has no local header")
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        begin = member.header_offset + 30 + name_length + extra_length
        data = mapped[begin : begin + member.file_size]
        if len(data) != member.file_size or zlib.crc32(data) != member.CRC:
            raise ValueError(f"{member.filename} fails its checksum")
        arrays[member.filename[: -len(".npy")]] = _npy_array(data)
    return arrays


def _npy_array(data: np.ndarray) -> np.ndarray:
    header = io.BytesIO(data[: min(len(data), 65_536)].tobytes())
    version = np.lib.format.read_magic(header)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran_order, dtype = read_header(header)
    if dtype.hasobject or fortran_order:
        raise ValueError("an array of objects or in Fortran order")
    start = header.tell()
    size = math.prod(shape) * dtype.itemsize
    if start + size != len(data):
        raise ValueError("an array of another size than its header says")
    array = data[start:].view(dtype).reshape(shape) if size else np.empty(shape, dtype)
    return np.asarray(array if array.flags.aligned else array.copy())
