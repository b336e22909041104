"""List the landing folder: every entry is either a file to read or a skip with a reason.

Rules (README "The landing folder"):

* every regular file is listed, hidden ones included (``.hidden_report.htm`` is a report like any other);
* a symlink is followed only when its target is a regular file **inside** the landing folder (it is then an
  identical copy of that file); a symlink out of the folder, a dangling one, a loop or a symlinked directory is
  skipped with the reason;
* special files (FIFOs, sockets, devices) are never opened: skipped with the reason;
* a folder that cannot be listed is skipped with the reason;
* a name that is not valid UTF-8 is stored escaped (``\\xNN`` for each invalid byte) and the file is still read
  through its real name.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

FORMAT_ALIASES = {"htm": "html", "shtml": "html", "xhtml": "html", "text": "txt"}


@dataclass(frozen=True)
class FileStat:
    """One file of the landing folder.

    ``source_path`` is relative to the folder, escaped when the name is not UTF-8; ``fs_path`` is the real
    path to open (bytes-safe). ``ctime_ns`` changes with every write, also when a tool restores the mtime, so
    (size, mtime, ctime, inode) unchanged is a safe reason not to re-hash a file.
    """

    source_path: str
    size_bytes: int
    mtime_ns: int
    ctime_ns: int = 0
    inode: int = 0
    fs_path: str = ""

    def signature(self) -> tuple[int, int, int, int]:
        return (self.size_bytes, self.mtime_ns, self.ctime_ns, self.inode)


@dataclass(frozen=True)
class Skipped:
    """An entry of the landing folder that is not read, and why."""

    source_path: str
    reason: str


def ext_format(source_path: str) -> str:
    """The format named by a file's extension (``txt``, ``html``, ``docx``, ``pdf`` …)."""
    suffix = Path(source_path).suffix.lower().lstrip(".")
    return FORMAT_ALIASES.get(suffix, suffix) or "unknown"


def display_name(raw: bytes) -> str:
    """A path component as stored: UTF-8, with each invalid byte escaped as ``\\xNN``."""
    return raw.decode("utf-8", errors="backslashreplace")


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    return "special file"


def scan_landing(landing: Path) -> tuple[list[FileStat], list[Skipped]]:
    """Every readable file under ``landing`` (sorted by source_path) and every skipped entry with its reason."""
    files: list[FileStat] = []
    skipped: list[Skipped] = []
    root = os.fsencode(os.path.abspath(landing))
    if not os.path.isdir(root):
        return files, skipped
    real_root = os.path.realpath(root)
    stack: list[tuple[bytes, str]] = [(root, "")]
    while stack:
        folder, rel_folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            skipped.append(Skipped(rel_folder or ".", f"folder cannot be listed: {exc.strerror or exc}"))
            continue
        for entry in entries:
            rel = f"{rel_folder}/{display_name(entry.name)}" if rel_folder else display_name(entry.name)
            try:
                lst = entry.stat(follow_symlinks=False)
            except OSError as exc:
                skipped.append(Skipped(rel, f"cannot stat: {exc.strerror or exc}"))
                continue
            if stat.S_ISDIR(lst.st_mode):
                stack.append((entry.path, rel))
                continue
            st = lst
            if stat.S_ISLNK(lst.st_mode):
                why, st = _follow(entry.path, real_root)
                if why:
                    skipped.append(Skipped(rel, why))
                    continue
            if not stat.S_ISREG(st.st_mode):
                skipped.append(Skipped(rel, f"{_special_kind(st.st_mode)}: not a regular file, never opened"))
                continue
            files.append(FileStat(rel, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino,
                                  os.fsdecode(entry.path)))
    files.sort(key=lambda f: f.source_path)
    skipped.sort(key=lambda s: s.source_path)
    return files, skipped


def _follow(path: bytes, real_root: bytes) -> tuple[str | None, os.stat_result | None]:
    """A symlink's target stat when it may be read, else the reason it is skipped."""
    try:
        target = os.path.realpath(path, strict=True)
    except OSError as exc:
        import errno

        if exc.errno == errno.ELOOP:
            return "symlink loop", None
        return "dangling symlink (its target does not exist)", None
    if not (target == real_root or target.startswith(real_root.rstrip(b"/") + b"/")):
        return f"symlink out of the landing folder (to {os.fsdecode(target)!r}): not followed", None
    try:
        st = os.stat(target)
    except OSError as exc:
        return f"symlink target cannot be read: {exc.strerror or exc}", None
    if stat.S_ISDIR(st.st_mode):
        return "symlinked folder: not followed (its files are listed where they are)", None
    return None, st


_LISTING_SCHEMA = None


def _listing_schema():
    import pyarrow as pa

    global _LISTING_SCHEMA
    if _LISTING_SCHEMA is None:
        _LISTING_SCHEMA = pa.schema([("source_path", pa.string()), ("size_bytes", pa.int64()),
                                     ("mtime_ns", pa.int64()), ("ctime_ns", pa.int64()), ("inode", pa.int64()),
                                     ("fs_path", pa.binary()), ("skip_reason", pa.string())])
    return _LISTING_SCHEMA


def save_listing(path: Path, files: list[FileStat], skipped: list[Skipped]) -> None:
    """Hand the listing of one run to its later steps (atomically: temporary file, then rename)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [(f.source_path, f.size_bytes, f.mtime_ns, f.ctime_ns, f.inode,
             os.fsencode(f.fs_path or f.source_path), None) for f in files]
    rows += [(s.source_path, None, None, None, None, None, s.reason) for s in skipped]
    cols = list(zip(*rows)) if rows else [[] for _ in _listing_schema()]
    table = pa.Table.from_arrays([pa.array(list(c), type=f.type) for c, f in zip(cols, _listing_schema())],
                                 schema=_listing_schema())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{path.name}")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def load_listing(path: Path) -> tuple[list[FileStat], list[Skipped]]:
    import pyarrow.parquet as pq

    t = pq.read_table(path).to_pydict()
    files, skipped = [], []
    for i, sp in enumerate(t["source_path"]):
        if t["skip_reason"][i] is not None:
            skipped.append(Skipped(sp, t["skip_reason"][i]))
        else:
            files.append(FileStat(sp, t["size_bytes"][i], t["mtime_ns"][i], t["ctime_ns"][i], t["inode"][i],
                                  os.fsdecode(t["fs_path"][i])))
    return files, skipped
