"""Real parts: the Meltano CLI, target-postgres, the machine's PostgreSQL, the sandbox."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from psycopg import sql

from emailgistics_sandbox import Sandbox, SandboxControl, SandboxSettings

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).parents[2]
MELTANO = str(Path(sys.executable).parent / "meltano")
PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
START, END = "2026-04-24", "2026-05-08"  # as in meltano.yml's `test` environment


@pytest.fixture(scope="session")
def postgres() -> Iterator[psycopg.Connection[Any]]:
    try:
        connection = psycopg.connect(PG_DSN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        message = (
            f"PostgreSQL is not reachable on 127.0.0.1:5432 ({error}). Start it "
            "(e.g. `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main "
            "start`) or install it (`apt-get install postgresql`, trust auth for user "
            "postgres, database test)."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with connection:
        yield connection


@pytest.fixture(scope="session")
def meltano_installed() -> None:
    """The project's plugins, installed once per test run however many workers ask."""
    folder = ROOT / ".meltano"
    folder.mkdir(exist_ok=True)
    this_run = os.environ.get("PYTEST_XDIST_TESTRUNUID", uuid.uuid4().hex)
    marker = folder / "tests-installed-for"
    with (folder / "tests-install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two `meltano install`s in one project collide
        if marker.exists() and marker.read_text() == this_run:
            return
        done = subprocess.run(
            [MELTANO, "install"], cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
        )
        assert done.returncode == 0, done.stderr[-3000:]
        compile_bytecode(folder)
        marker.write_text(this_run)


def compile_bytecode(folder: Path) -> None:
    """Compile the plugin venvs under ``folder``, as scripts/bootstrap.sh does .venv.

    uv compiles a venv as it installs it (``UV_COMPILE_BYTECODE``), but `meltano install`
    leaves a venv it installed before alone; with PYTHONDONTWRITEBYTECODE set, every
    plugin process of every test would compile all it imports again. The exit code is
    not checked: some packages ship templates that are not Python.
    """
    libs = sorted(str(lib) for lib in folder.glob("*/*/venv/lib"))
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", *libs],
        capture_output=True,
        timeout=900,
        check=False,
    )


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxSettings(run_seconds=0.05)) as running:
        yield running


@pytest.fixture
def control(sandbox: Sandbox) -> SandboxControl:
    return SandboxControl(sandbox.base_url)


def own_sys_dir(folder: Path) -> Path:
    """A Meltano system directory for one pipeline, sharing the project's installed plugins.

    `meltano run` writes a plugin's catalog and config to `.meltano/run/<plugin>/`, one
    directory per plugin name, so two runs of one plugin in one project at once (tests on
    parallel workers) can overwrite or remove each other's files ("Invalid catalog"); and
    each pipeline gets its own system database (state and run records) too.
    """
    folder.mkdir(parents=True)
    # Installed once, by `meltano install`.
    for plugins in ("extractors", "loaders", "transformers"):
        (folder / plugins).symlink_to(ROOT / ".meltano" / plugins)
    return folder


@dataclass
class Pipeline:
    """One isolated pipeline: its own target schema, Meltano state id and system directory."""

    sandbox: Sandbox
    schema: str
    suffix: str
    sys_dir: Path
    #: The loader of its `meltano run` (Meltano names the state id after the pair).
    loader: str = "target-postgres"

    @property
    def state_id(self) -> str:
        return f"test:tap-emailgistics-to-{self.loader}:{self.suffix}"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            # The tap's other settings live in meltano.yml's `test` environment.
            "MELTANO_ENVIRONMENT": "test",
            "TAP_EMAILGISTICS_BASE_URL": self.sandbox.base_url,
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": self.schema,
            "MELTANO_SYS_DIR_ROOT": str(self.sys_dir),
            **extra,
        }

    def meltano(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [MELTANO, *args],
            cwd=ROOT,
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    def run(
        self, loader: str = "target-postgres", **extra: str
    ) -> subprocess.CompletedProcess[str]:
        return self.meltano(
            "run", "--state-id-suffix", self.suffix, "tap-emailgistics", loader, **extra
        )

    def state(self) -> dict[str, Any]:
        done = self.meltano("state", "get", self.state_id)
        assert done.returncode == 0, done.stderr[-2000:]
        return dict(json.loads(done.stdout))


@pytest.fixture
def pipeline(
    sandbox: Sandbox,
    postgres: psycopg.Connection[Any],
    meltano_installed: None,  # noqa: ARG001 - installs the plugins first
    tmp_path: Path,
) -> Iterator[Pipeline]:
    name = f"e2e_{uuid.uuid4().hex[:10]}"
    yield Pipeline(sandbox, name, name, own_sys_dir(tmp_path / "meltano"))
    postgres.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
