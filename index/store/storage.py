"""Crash-safe index files: each save writes a new generation folder, then swaps a pointer."""

from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

POINTER = "CURRENT"
META = "meta.json"
FORMAT_VERSION = 1
_LOCK = threading.Lock()
_WRITING: set[str] = set()  # this process's saves in progress (several engines may save)


class IndexCorrupt(Exception):
    """The saved index cannot be read; it will be rebuilt."""


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def current_dir(index_dir: Path) -> Path | None:
    """The generation folder the pointer names, if there is a complete one."""
    pointer = index_dir / POINTER
    if not pointer.exists():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    gen = index_dir / name
    if not name or not (gen / META).exists():
        return None
    return gen


def read_meta(index_dir: Path) -> dict[str, Any] | None:
    """The metadata of the current generation, if any."""
    gen = current_dir(index_dir)
    if gen is None:
        return None
    try:
        meta: dict[str, Any] = json.loads((gen / META).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(str(exc)) from exc
    return meta


def save_generation(
    index_dir: Path, meta: dict[str, Any], write_files: Callable[[Path], None]
) -> Path:
    """Write files + meta into a fresh folder, fsync, then atomically repoint CURRENT."""
    index_dir.mkdir(parents=True, exist_ok=True)
    tag = _own_tag()
    tmp, gen = index_dir / f"tmp-{tag}", index_dir / f"gen-{tag}"
    pointer_tmp = index_dir / f"{POINTER}.tmp-{tag}"
    names = {tmp.name, gen.name, pointer_tmp.name}
    with _LOCK:  # another engine of this process cleaning up leaves these alone
        _WRITING.update(names)
    try:
        tmp.mkdir()
        write_files(tmp)
        (tmp / META).write_text(json.dumps({**meta, "format": FORMAT_VERSION}), encoding="utf-8")
        for f in tmp.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, gen)
        _fsync_dir(index_dir)
        pointer_tmp.write_text(gen.name, encoding="utf-8")
        with open(pointer_tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(pointer_tmp, index_dir / POINTER)
        _fsync_dir(index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        pointer_tmp.unlink(missing_ok=True)
        raise
    finally:
        with _LOCK:
            _WRITING.difference_update(names)
    _cleanup(index_dir, keep=gen.name)
    return gen


def _own_tag() -> str:
    """A name part no other writer uses: this process's id, then a random part."""
    return f"{os.getpid()}-{uuid.uuid4().hex[:12]}"


def _owner_alive(name: str) -> bool:
    """Whether the process that made `name` (tmp-PID-..., gen-PID-...) may still be using it."""
    parts = name.split("-")
    if len(parts) < 3 or not parts[1].isdigit():
        return False  # an older version's name: nobody writes it any more
    pid = int(parts[1])
    if pid == os.getpid():
        with _LOCK:
            return name in _WRITING
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _cleanup(index_dir: Path, keep: str) -> None:
    """Remove this process's older generations and what dead processes left behind.

    Another live process's folders stay: it may be writing its temporary folder, or about to
    point CURRENT at the generation it just wrote.
    """
    current = current_dir(index_dir)  # another writer may have repointed it since
    spare = {keep, POINTER, current.name if current else keep}
    for child in index_dir.iterdir():
        if child.name in spare or _owner_alive(child.name):
            continue
        if child.is_dir() and child.name.startswith(("gen-", "tmp-")):
            shutil.rmtree(child, ignore_errors=True)
        elif child.name.startswith(f"{POINTER}.tmp-"):
            child.unlink(missing_ok=True)


def exists(index_dir: Path) -> bool:
    """Whether a complete saved index is there."""
    return current_dir(index_dir) is not None
