"""The sandbox page's commands (docs/sandbox.md), run verbatim (apart from the port)."""

from __future__ import annotations

import json
import socket
import subprocess
import time

import pytest

from tests.readme import readme_block

from .conftest import ROOT

pytestmark = pytest.mark.e2e


def sandbox_block() -> list[str]:
    return [line.split("  #")[0].strip() for line in readme_block("sandbox").splitlines()]


def free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def test_given_the_readme_sandbox_commands_when_run_then_each_does_what_it_says() -> None:
    start, help_command, advance = sandbox_block()
    port = free_port()
    with subprocess.Popen(
        start.replace("8765", port).split(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as server:
        try:
            assert server.stdout is not None
            banner = server.stdout.readline() + server.stdout.readline()
            assert f"listening on http://127.0.0.1:{port}" in banner
            assert "sandbox-full-key" in banner
            shown = subprocess.run(
                help_command.split(), cwd=ROOT, capture_output=True, text=True, check=True
            )
            assert "--run-seconds" in shown.stdout
            time.sleep(0.2)
            advanced = subprocess.run(
                ["bash", "-c", advance.replace("8765", port)],
                capture_output=True,
                text=True,
                check=True,
            )
            assert json.loads(advanced.stdout)["now"].startswith("2026-05-02T12:29")
        finally:
            server.terminate()
