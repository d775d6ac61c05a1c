"""The wheel works outside the repository: schemas inside, both commands installed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tap_emailgistics.catalog.registry import stream_definitions

ROOT = Path(__file__).parents[2]
UV = str(Path(sys.executable).parent / "uv")
# One worker runs the module: its tests share one expensive module fixture.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("packaging")]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [UV, "build", "--wheel", "--out-dir", str(work / "dist"), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next((work / "dist").glob("tap_emailgistics-*.whl"))
    venv = work / "venv"
    subprocess.run([UV, "venv", "--quiet", str(venv)], check=True, timeout=120)
    install = subprocess.run(
        [UV, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    return venv / "bin"


def run(binary: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Run from a folder outside the repository so nothing can be read from the checkout.
    return subprocess.run(
        [str(binary), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=binary.parent.parent,
    )


def test_given_the_installed_wheel_when_asked_about_then_it_answers(installed: Path) -> None:
    about = run(installed / "tap-emailgistics", "--about", "--format=json")
    assert about.returncode == 0, about.stderr
    assert "api_key" in json.loads(about.stdout)["settings"]["properties"]


def test_given_the_installed_wheel_when_discovering_then_every_stream_has_its_schema(
    installed: Path,
) -> None:
    discover = run(installed / "tap-emailgistics", "--discover")
    assert discover.returncode == 0, discover.stderr
    catalog = {s["tap_stream_id"]: s for s in json.loads(discover.stdout)["streams"]}
    expected = {
        "mailboxes",
        "mailbox_users",
        "mailbox_tags",
        *(d.name for d in stream_definitions()),
        "finality_watermarks",
    }
    assert set(catalog) == expected
    assert all(len(s["schema"]["properties"]) > 3 for s in catalog.values())
    schemas = list(installed.parent.glob("lib/python*/site-packages/tap_emailgistics/schemas/*"))
    assert len(schemas) == len(expected)


def test_given_the_installed_wheel_when_asking_the_sandbox_for_help_then_it_answers(
    installed: Path,
) -> None:
    done = run(installed / "emailgistics-sandbox", "--help")
    assert done.returncode == 0
    assert "--run-seconds" in done.stdout
