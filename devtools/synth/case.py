"""One reproducible synthetic case: seed → truth (optionally with an injected error) → file bytes."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from devtools.synth.render import render
from devtools.synth.truth import InjectedError, Truth, inject_error, make_truth


# formats that are documents, not pages: they print no publish date (the sign-off date is not one)
NO_PUBLISH_DATE = frozenset({"pdf_word"})


@dataclass
class Case:
    """A rendered synthetic report and the truth it must parse back to."""

    seed: int
    fmt: str
    truth: Truth  # with the injected error applied, when there is one
    data: bytes
    name: str
    injected: InjectedError | None = None
    options: dict | None = None  # renderer options passed to make_case
    args: dict = field(default_factory=dict)  # the make_case keyword arguments (for repro)

    def __post_init__(self) -> None:
        if self.fmt in NO_PUBLISH_DATE and self.truth.publish_date is not None:
            self.truth = self.truth.copy()
            self.truth.publish_date = None  # the file carries no page field: nothing to read a publish date from

    def repro(self) -> str:
        """Python that rebuilds this case (for failure messages and bug reports)."""
        if not self.args:
            return f"# seed {self.seed}, {self.fmt}, {self.truth.version} (built outside make_case)"
        kw = ", ".join(f"{k}={v!r}" for k, v in self.args.items())
        return f"from devtools.synth.case import make_case; c = make_case({kw})"


def make_case(seed: int, fmt: str, version: str | None = None, *, scale: str = "mixed", inject: bool = False,
              options: dict | None = None, year: int | None = None, agency: str | None = None) -> Case:
    """Build the case for ``seed``: the same arguments always give the same bytes."""
    args = dict(seed=seed, fmt=fmt, version=version, scale=scale, inject=inject, options=options, year=year,
                agency=agency)
    args = {k: v for k, v in args.items() if v is not None and not (k == "inject" and not v)}
    rng = random.Random(seed)
    truth = make_truth(rng, version, scale=scale, year=year, agency=agency)
    info = None
    if inject:
        truth, info = inject_error(truth, rng)
    data, name = render(truth, fmt, rng, **(options or {}))
    return Case(seed=seed, fmt=fmt, truth=truth, data=data, name=name, injected=info, options=options, args=args)
