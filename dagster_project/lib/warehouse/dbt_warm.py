"""A warm dbt for ``gongkai run``: a process that has imported dbt before the dbt step asks for it.

A ``dbt build`` subprocess spends ~2.3 s of its ~7 s importing dbt before it reads a file. ``gongkai run``
starts :func:`serve` in its own process at the start of the run (it imports dbt on the second core while the
run loads its definitions, scans and parses); Dagster's dbt resource runs the ``gongkai-dbt`` console script
(:func:`client`) in place of ``dbt``. The client hands its argv, environment, working folder and standard
streams (the file descriptors themselves) to the server over a Unix socket and waits for dbt's exit code, so
dagster-dbt sees an ordinary dbt subprocess: the same JSON log lines on the same pipe, the same exit code, and
SIGINT/SIGTERM forwarded to the process that runs dbt.

One server serves one invocation and exits. Without a server (the Dagster UI, a second dbt call in one run, a
server that could not start) the client execs the real ``dbt``. While it waits, the server also runs ``dbt
parse`` into the warehouse's build target (a full parse in a fresh warehouse, partial after) and hands the
manifest to the call for that target (dagster-dbt's ``$DBT_TARGET_PATH``), which then skips parsing. The server
dies with the process that started it (PR_SET_PDEATHSIG and a check of its parent), never outliving a killed
run.

Standard library only at module level: the client starts in ~50 ms.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

SERVER_ENV = "GONGKAI_DBT_SERVER"  # the socket name (Linux abstract namespace) the client connects to
SWITCH_ENV = "GONGKAI_DBT_WARM"  # "0": `gongkai run` starts no server (dbt runs as a plain subprocess)
_HEADER = struct.Struct("!I")
_CODE = struct.Struct("!i")
_MAX_MESSAGE = 16 * 2**20


def real_dbt() -> str:
    """The dbt CLI of this interpreter's environment."""
    import shutil

    candidate = Path(sys.executable).with_name("dbt")
    if candidate.exists():
        return str(candidate)
    return shutil.which("dbt") or "dbt"


def client_executable() -> str:
    """The ``gongkai-dbt`` console script next to this interpreter (the real dbt when it is not installed)."""
    candidate = Path(sys.executable).with_name("gongkai-dbt")
    return str(candidate) if candidate.exists() else real_dbt()


# ---------------------------------------------------------------- the side of `gongkai run`
class WarmDbt:
    """A started server: its socket name (exported as ``$GONGKAI_DBT_SERVER`` while the run lasts)."""

    def __init__(self, proc: subprocess.Popen, name: str):
        self.proc, self.name = proc, name
        self._previous = os.environ.get(SERVER_ENV)
        os.environ[SERVER_ENV] = name

    def stop(self) -> None:
        """Withdraw the server: unset the variable, and kill it if no dbt call reached it."""
        if self._previous is None:
            os.environ.pop(SERVER_ENV, None)
        else:
            os.environ[SERVER_ENV] = self._previous
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a kill is not refused
            pass


def start(env: dict[str, str], parse_argv: list[str] | None = None, cwd: Path | None = None) -> WarmDbt | None:
    """Start a server for one dbt call, with ``env``; it runs ``dbt parse`` (``parse_argv``) first and hands
    the manifest to that call. None when the platform has no abstract Unix sockets (the client runs dbt)."""
    if not sys.platform.startswith("linux"):
        return None
    name = f"gongkai-dbt-{os.getpid()}-{secrets.token_hex(8)}"
    # bound here, before the server starts, so that a client never finds the name missing while the server
    # imports; the server holds the only copy: when it is gone, a client's connect is refused
    try:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    except OSError:
        return None
    try:
        listener.bind("\0" + name)
        listener.listen(1)
        args = [sys.executable, "-m", "dagster_project.lib.warehouse.dbt_warm", str(listener.fileno())]
        if parse_argv:
            args.append(json.dumps(parse_argv))
        proc = subprocess.Popen(args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True, pass_fds=(listener.fileno(),))
    except OSError:  # no socket, no process: the run's dbt call runs the real dbt, only slower
        return None
    finally:
        listener.close()
    return WarmDbt(proc, name)


# ---------------------------------------------------------------- server
def _die_with_parent() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run_dbt(argv: list[str], manifest=None) -> int:
    """Run dbt's CLI in this process, as its console script would (same output, same exit code); with
    ``manifest`` (loaded by :func:`load_manifest`), dbt skips parsing the project."""
    from dbt.cli.main import cli

    sys.argv = ["dbt", *argv]  # dbt records its command line (invocation_command) from sys.argv
    extra = {"obj": {"manifest": manifest, "callbacks": []}} if manifest is not None else {}
    try:
        cli.main(args=list(argv), prog_name="dbt", standalone_mode=True, **extra)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except KeyboardInterrupt:
        return 130
    return 0


def load_manifest(parse_argv: list[str]):
    """``dbt parse`` in this process (partial when the target holds a partial_parse.msgpack): the Manifest,
    or None when the parse failed (the build then parses for itself and reports the problem)."""
    from dbt.adapters.factory import reset_adapters
    from dbt.cli.main import dbtRunner
    from dbt.contracts.graph.manifest import Manifest

    sys.argv = ["dbt", *parse_argv]
    try:
        result = dbtRunner().invoke(list(parse_argv))
    except Exception:  # noqa: BLE001 - a warm start is an optimisation: never a reason to fail the build
        return None
    finally:
        reset_adapters()  # the build registers its own adapter, from its own configuration
    return result.result if result.success and isinstance(result.result, Manifest) else None


def _flush_stdio() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nobody left to read it
            pass


def _same_target(parse_argv: list[str] | None, env: dict[str, str]) -> bool:
    """Whether a call is the one the parse was for: dagster-dbt names its target folder in $DBT_TARGET_PATH."""
    if not parse_argv or "--target-path" not in parse_argv:
        return False
    target = parse_argv[parse_argv.index("--target-path") + 1]
    return bool(env.get("DBT_TARGET_PATH")) and os.path.realpath(env["DBT_TARGET_PATH"]) == os.path.realpath(target)


def _recv_request(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _flags, _addr = socket.recv_fds(conn, 65536, 3)
    if len(data) < _HEADER.size:
        raise ValueError("short request")
    (size,) = _HEADER.unpack_from(data)
    if size > _MAX_MESSAGE:
        raise ValueError("request too large")
    body = bytearray(data[_HEADER.size:])
    while len(body) < size:
        chunk = conn.recv(min(1 << 20, size - len(body)))
        if not chunk:
            raise ValueError("truncated request")
        body += chunk
    return json.loads(body.decode("utf-8")), fds


def serve(listen_fd: int, parse_argv: list[str] | None = None, idle_timeout: float = 6 * 3600) -> int:
    """Import dbt, parse the project (``parse_argv``), then run the one dbt call a client hands over on the
    listening socket ``listen_fd`` (a client that comes early waits in its backlog meanwhile) with that
    manifest."""
    parent = os.getppid()
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the death signal was armed
        return 1
    listener = socket.socket(fileno=listen_fd)
    import dbt.adapters.duckdb  # noqa: F401 - the point of this process
    import dbt.adapters.duckdb.impl  # noqa: F401
    import dbt.cli.main  # noqa: F401
    import dbt.task.build  # noqa: F401

    manifest = load_manifest(parse_argv) if parse_argv else None
    listener.settimeout(1.0)
    deadline = time.monotonic() + idle_timeout
    while True:
        if os.getppid() != parent or time.monotonic() > deadline:
            return 1
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            continue
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", creds)
        if uid != os.getuid():  # only the user who started the run may hand it a dbt call
            conn.close()
            continue
        break
    listener.close()
    conn.settimeout(None)
    try:
        request, fds = _recv_request(conn)
    except (OSError, ValueError):
        return 1
    _flush_stdio()  # what the parse left in the buffers belongs to /dev/null
    for target, fd in zip((0, 1, 2), fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    conn.sendall(_CODE.pack(os.getpid()))

    answered = threading.Event()

    def _watch() -> None:  # the client is gone (killed) before its answer: so is this dbt call
        try:
            while conn.recv(1):
                pass
        except OSError:
            pass
        if not answered.is_set():  # after the answer the client leaves as it should: the main thread exits
            os._exit(143)

    threading.Thread(target=_watch, daemon=True).start()
    code = run_dbt(request["argv"][1:], manifest if _same_target(parse_argv, request["env"]) else None)
    _flush_stdio()
    answered.set()  # before the exit code goes out: the client may close as soon as it has it
    try:
        conn.sendall(_CODE.pack(code))
    except OSError:
        pass
    os._exit(code)


# ---------------------------------------------------------------- client (`gongkai-dbt`)
def _exec_real(argv: list[str]) -> None:
    exe = real_dbt()
    os.execv(exe, [exe, *argv[1:]])


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))  # a signal (forwarded by the handler) does not interrupt it: PEP 475
        if not chunk:
            return None
        buf += chunk
    return buf


def client(argv: list[str] | None = None) -> None:
    """``gongkai-dbt …``: run ``dbt …`` in the warm server of the current run, or exec the real dbt."""
    argv = list(sys.argv if argv is None else argv)
    name = os.environ.pop(SERVER_ENV, None)
    if not name:
        _exec_real(argv)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect("\0" + name)
    except OSError:  # no server (any more): one dbt call per server, or it could not start
        sock.close()
        _exec_real(argv)
    body = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}).encode("utf-8")
    message = _HEADER.pack(len(body)) + body
    sent = socket.send_fds(sock, [message], [0, 1, 2])
    if sent < len(message):
        sock.sendall(message[sent:])
    head = _recv_exact(sock, _CODE.size)
    if head is None:  # the server died before it took the call (and the streams) over: nothing ran yet
        sock.close()
        _exec_real(argv)
    (server_pid,) = _CODE.unpack(head)

    def _forward(signum, _frame):
        try:
            os.kill(server_pid, signum)
        except ProcessLookupError:
            pass

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _forward)
    tail = _recv_exact(sock, _CODE.size)
    if tail is None:
        print("gongkai-dbt: the dbt process ended without an exit code (killed?)", file=sys.stderr)
        sys.exit(2)
    sys.exit(_CODE.unpack(tail)[0])


if __name__ == "__main__":
    sys.exit(serve(int(sys.argv[1]), json.loads(sys.argv[2]) if len(sys.argv) > 2 else None))
