"""Index saves from several processes: each touches only its own temporary files (issue 11,
item 10)."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from index.store import storage


def _files(meta: dict[str, int]) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        (folder / "data.json").write_text(json.dumps(meta), encoding="utf-8")

    return write


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_save_leaves_other_live_writers_files_alone(tmp_path: Path) -> None:
    storage.save_generation(tmp_path, {"n": 0}, _files({"n": 0}))
    # pid 1 is always alive: a save in progress there, and the generation it just wrote
    theirs = [tmp_path / "tmp-1-aaaa", tmp_path / "gen-1-bbbb"]
    for folder in theirs:
        folder.mkdir()
    (tmp_path / "CURRENT.tmp-1-cccc").write_text("gen-1-bbbb", encoding="utf-8")
    dead = _dead_pid()
    leftovers = [tmp_path / f"tmp-{dead}-dddd", tmp_path / "tmp-0123456789abcdef"]
    for folder in leftovers:
        folder.mkdir()
    gen = storage.save_generation(tmp_path, {"n": 1}, _files({"n": 1}))
    assert storage.current_dir(tmp_path) == gen
    assert all(folder.is_dir() for folder in theirs)
    assert (tmp_path / "CURRENT.tmp-1-cccc").read_text(encoding="utf-8") == "gen-1-bbbb"
    assert not any(folder.exists() for folder in leftovers)
    own = [p for p in tmp_path.iterdir() if p.name.startswith("gen-") and p not in theirs]
    assert own == [gen]  # this process's older generation is gone


def _save_many(folder: str, n: int) -> None:
    for i in range(n):
        storage.save_generation(Path(folder), {"n": i}, _files({"n": i}))
        assert storage.read_meta(Path(folder)) is not None


def test_two_processes_saving_at_once_always_leave_a_readable_index(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_save_many, args=(str(tmp_path), 30)) for _ in range(2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [proc.exitcode for proc in procs] == [0, 0]
    gen = storage.current_dir(tmp_path)
    assert gen is not None and json.loads((gen / "data.json").read_text())["n"] == 29
    storage.save_generation(tmp_path, {"n": 99}, _files({"n": 99}))
    names = sorted(p.name.split("-")[0] for p in tmp_path.iterdir())
    assert names == ["CURRENT", "gen"]  # the writers are gone: nothing of theirs is left
