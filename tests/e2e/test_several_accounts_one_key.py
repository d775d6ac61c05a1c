"""Issue "What an operator sees under Meltano": a second account whose key was forgotten.

docs/several-accounts.md warns that an inherited extractor inherits `api_key` (and
`base_url`): this follows its accounts block without the second account's two `config
set` lines, in a new project of its own (the README's adopt block), and shows the second
pair loading the *first* account. Its own module, so that it runs beside the module
fixture of test_several_accounts.py instead of after it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from emailgistics_sandbox import Sandbox, SandboxControl, SandboxSettings
from tests.readme import readme_block

from .readme_project import (
    ADOPT_SCHEMA,
    SECOND_SCHEMA,
    adopt,
    assert_holds_the_account,
    drop,
    loaded_rows,
    localised,
    meltano,
    own_schemas,
    run_bash,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import psycopg

pytestmark = pytest.mark.e2e


@pytest.fixture
def schemas(postgres: psycopg.Connection[Any]) -> Iterator[dict[str, str]]:
    names = own_schemas()
    yield names
    drop(postgres, names.values())


def test_given_no_second_api_key_when_its_pair_runs_then_it_loads_the_first_account_by_its_key(
    tmp_path: Path, schemas: dict[str, str], postgres: psycopg.Connection[Any]
) -> None:
    # Two accounts in one region share base_url; leaving out the second account's
    # settings leaves it both the first's base_url and the first's key.
    lines = readme_block("accounts").splitlines(keepends=True)
    forgotten = [
        line for line in lines if line.startswith("meltano config set tap-emailgistics--eu ")
    ]
    assert [line.split()[4] for line in forgotten] == ["base_url", "api_key"]
    block = localised(
        "".join(line for line in lines if line not in forgotten),
        {SECOND_SCHEMA: schemas[SECOND_SCHEMA]},
    )
    with Sandbox(SandboxSettings(run_seconds=0.05)) as first:
        project = adopt(tmp_path, first.base_url, schemas[ADOPT_SCHEMA])
        done = run_bash(block, project)
        assert done.returncode == 0, done.stderr[-4000:]
        loaded = loaded_rows(postgres, schemas[SECOND_SCHEMA])
        assert_holds_the_account(loaded, SandboxControl(first.base_url))
    listed = meltano(project, "config", "list", "tap-emailgistics--eu")
    [api_key] = [line for line in listed.stdout.splitlines() if line.startswith("api_key ")]
    assert api_key.endswith("(inherited from 'tap-emailgistics')")
