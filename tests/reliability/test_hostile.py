"""A hostile landing folder (issue 7): every entry ends up in `reports` or in the run summary with the reason, no
special file is opened, and the run succeeds."""

from __future__ import annotations

import io
import os
import re
import resource
import shutil
import subprocess
import zipfile

import pytest

from tests.integration.conftest import ANSHAN, GONGKAI, REPO
from tests.reliability.conftest import env, read

pytestmark = pytest.mark.integration
MEMORY_LIMIT = 8 * 2**30  # address space of the whole run: /dev/zero behind a symlink would blow through it


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _generated(fmt: str, seed: int) -> bytes:
    from devtools.synth.case import make_case

    return make_case(seed, fmt, "gov2021").data


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    land = root / "landing"
    land.mkdir()
    outside = root / "outside.html"
    outside.write_bytes(_generated("html", 1))
    shutil.copyfile(ANSHAN, land / "anshan-2023.txt")
    (land / "plain.html").write_bytes(_generated("html", 2))
    (land / ".hidden_report.htm").write_bytes(_generated("html", 3))
    (land / ".hiddendir").mkdir()
    (land / ".hiddendir" / "report.txt").write_bytes(_generated("txt_lines", 4))
    with open(os.fsencode(land) + b"/\xb1\xa8\xb8\xe6-gbk-name.txt", "wb") as fh:  # 报告 in GBK: not UTF-8
        fh.write(_generated("txt_lines", 5))
    os.mkfifo(land / "pipe.txt")
    os.symlink("/dev/zero", land / "zero.txt")
    os.symlink(land / "loop-b.txt", land / "loop-a.txt")
    os.symlink(land / "loop-a.txt", land / "loop-b.txt")
    os.symlink(land / "gone.txt", land / "dangling.txt")
    os.symlink(outside, land / "outside-link.html")
    (land / "empty.txt").write_bytes(b"")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:  # 1 MB that would unpack to 1 GB
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("word/document.xml", b"\0" * 2**30)
    (land / "bomb.docx").write_bytes(buf.getvalue())
    html = _generated("html", 6).decode("utf-8")
    body = html.index("<body")
    deep = html[:body] + "<div>" * 300 + html[body:].replace("</body>", "</div>" * 300 + "</body>", 1)
    (land / "deep.html").write_text(deep, encoding="utf-8")
    noyear = re.sub(r"(19|20)\d\d", "", _generated("txt_lines", 7).decode("utf-8"))
    (land / "noyear.txt").write_text(noyear, encoding="utf-8")
    lines = _generated("txt_lines", 8).decode("utf-8").splitlines()
    k = next(i for i, ln in enumerate(lines) if ln.strip().isdigit() and i > 40)
    lines[k] = "1234567890123456789"  # a 19-digit cell
    (land / "long-cell.txt").write_text("\n".join(lines), encoding="utf-8")

    wh = root / "wh"
    proc = subprocess.run([str(GONGKAI), "run", "--landing", str(land), "--warehouse", str(wh)], capture_output=True,
                          text=True, env=env(), cwd=REPO, timeout=900, preexec_fn=_limit_memory)
    return land, wh, proc


def test_the_run_succeeds_and_accounts_for_every_entry(hostile):
    land, wh, proc = hostile
    assert proc.returncode == 0, proc.stdout + proc.stderr
    status = dict(read(wh, "select source_path, status from reports"))
    skipped = dict(re.findall(r"^  skipped (.+?): (.+)$", proc.stdout, re.M))
    entries = {os.fsdecode(e).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
               for e in os.listdir(os.fsencode(land)) if e != b".hiddendir"} | {".hiddendir/report.txt"}
    assert entries == set(status) | set(skipped)
    assert not set(status) & set(skipped)
    assert set(skipped) == {"pipe.txt", "zero.txt", "loop-a.txt", "loop-b.txt", "dangling.txt", "outside-link.html"}
    assert skipped["pipe.txt"].startswith("FIFO") and skipped["zero.txt"].startswith("symlink out of the landing")
    assert skipped["loop-a.txt"] == "symlink loop" and skipped["dangling.txt"].startswith("dangling symlink")


def test_hidden_and_non_utf8_named_reports_are_read(hostile):
    _, wh, _ = hostile
    status = dict(read(wh, "select source_path, status from reports"))
    assert status[".hidden_report.htm"] == "published"
    assert status[".hiddendir/report.txt"] == "published"
    assert status["\\xb1\\xa8\\xb8\\xe6-gbk-name.txt"] == "published"  # stored escaped, parsed


def test_bad_files_are_unreadable_or_quarantined_with_the_reason(hostile):
    _, wh, _ = hostile
    rows = {r[0]: r[1:] for r in read(wh, "select source_path, status, error from reports")}
    assert rows["empty.txt"] == ("unreadable", "empty file")
    assert rows["bomb.docx"][0] == "unreadable" and rows["bomb.docx"][1].startswith("archive expands to")
    errors = dict(read(wh, "select r.source_path, list(c.check_id order by c.check_seq) from check_results c "
                           "join reports r using (report_id) where c.severity = 'error' group by 1"))
    assert rows["noyear.txt"][0] == "quarantined" and "P.YEAR" in errors["noyear.txt"]
    assert rows["long-cell.txt"][0] == "quarantined"
    assert read(wh, "select max(count) from fct_outcomes")[0][0] < 10**9


def test_deep_html_is_read_as_the_report_it_is(hostile):
    _, wh, _ = hostile
    assert read(wh, "select status from reports where source_path = 'deep.html'") == [("published",)]
