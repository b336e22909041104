"""Progress of a long step: a live bar on a terminal, and a line every few seconds for logs.

``Progress(stage, total, log)`` is given to the pure code as a plain callable (``progress.update(n)``); the
Dagster asset passes a ``log`` that writes to the run log (``context.log.info``) and to the ``gongkai`` Python
logger (``<warehouse>/logs/last_run.log``). The bar (tqdm) goes to the terminal's stderr only when stderr is
one, and can be turned off with ``GONGKAI_PROGRESS=off``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

LOG_EVERY_S = 5.0


def _fmt_secs(s: float) -> str:
    s = int(round(s))
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


class Progress:
    """Files done / total, rate and ETA; ``update`` is cheap enough to call per chunk."""

    def __init__(self, stage: str, total: int, log: Callable[[str], None] | None = None, unit: str = "files",
                 every: float = LOG_EVERY_S, bar: bool | None = None):
        self.stage, self.total, self.log, self.unit, self.every = stage, total, log, unit, every
        self.done = 0
        self.t0 = self._last = time.perf_counter()
        show = bar if bar is not None else (os.environ.get("GONGKAI_PROGRESS", "").lower() != "off"
                                            and _stderr_is_tty())
        self._bar = None
        if show and total > 0:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=stage, unit=unit.rstrip("s") or "item", file=sys.__stderr__,
                             dynamic_ncols=True, leave=False)

    def line(self) -> str:
        elapsed = time.perf_counter() - self.t0
        rate = self.done / elapsed if elapsed > 0 else 0.0
        pct = 100.0 * self.done / self.total if self.total else 100.0
        eta = (self.total - self.done) / rate if rate > 0 else float("nan")
        eta_s = _fmt_secs(eta) if eta == eta else "?"
        return (f"{self.stage}: {self.done:,}/{self.total:,} {self.unit} ({pct:.1f}%), {rate:,.0f} {self.unit}/s, "
                f"elapsed {_fmt_secs(elapsed)}, ETA {eta_s}")

    def update(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        now = time.perf_counter()
        if self.log and now - self._last >= self.every:
            self._last = now
            self.log(self.line())

    def close(self) -> str:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elapsed = time.perf_counter() - self.t0
        rate = self.done / elapsed if elapsed > 0 else 0.0
        msg = f"{self.stage}: {self.done:,} {self.unit} in {_fmt_secs(elapsed)} ({rate:,.0f} {self.unit}/s)"
        if self.log:
            self.log(msg)
        return msg

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _stderr_is_tty() -> bool:
    try:
        return sys.__stderr__ is not None and sys.__stderr__.isatty()
    except (AttributeError, ValueError):
        return False
