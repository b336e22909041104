"""One writer per warehouse: an exclusive ``flock`` on ``<warehouse>/gongkai.lock``.

``gongkai run`` takes it before anything touches the warehouse and holds it to the end; a run started from the
Dagster UI takes it in its first step (``WarehouseResource.paths``). The kernel releases it when the process
ends, however it ends (``kill -9`` included), so a lock is never left behind. The file names the holder (PID,
start time, command) for the message the next run prints.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import sys
import time
from pathlib import Path

LOCK_NAME = "gongkai.lock"
_HELD: dict[str, int] = {}  # warehouse root -> fd held by this process


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse."""

    def __init__(self, root: Path, holder: dict):
        self.root, self.holder = root, holder
        pid = holder.get("pid", "?")
        if re.search(r"gongkai\S*\s+docs\b", holder.get("command", "")):  # docs hold it only to copy the database
            msg = (f"gongkai docs (PID {pid}) is copying the database of {root} for the docs site; "
                   "try again in a few seconds")
        else:
            msg = f"another gongkai run (PID {pid}) is using {root}; wait for it to finish or stop it"
        super().__init__(msg)


def holder(root: Path) -> dict:
    try:
        return json.loads((root / LOCK_NAME).read_text() or "{}")
    except (OSError, ValueError):
        return {}


def acquire(root: Path) -> None:
    """Hold the warehouse for this process (reentrant: a no-op when this process holds it already)."""
    key = str(root.resolve())
    if key in _HELD:
        return
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise WarehouseBusy(root, holder(root)) from None
    info = {"pid": os.getpid(), "since": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "command": " ".join(sys.argv)[:300]}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(info).encode(), 0)
    _HELD[key] = fd


def release(root: Path) -> None:
    fd = _HELD.pop(str(root.resolve()), None)
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def held(root: Path) -> bool:
    return str(root.resolve()) in _HELD
