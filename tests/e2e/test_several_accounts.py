"""Issue "What an operator sees under Meltano": several accounts in one project, as the docs say.

Two sandboxes are two accounts (seeds 7 and 8: other data under the same keys, and the
documentation's example mailbox in both). A new project follows "Adding it to your
Meltano project" for the first and docs/several-accounts.md for the second,
verbatim apart from ports and schemas; PostgreSQL is checked against each sandbox's
ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from emailgistics_sandbox import Sandbox, SandboxControl, SandboxSettings
from tap_emailgistics.plugin_definition import default_selection
from tests.readme import readme_block

from .readme_project import (
    ADOPT_SCHEMA,
    SECOND_BASE_URL,
    SECOND_SCHEMA,
    SHARED_SCHEMA,
    adopt,
    assert_holds_the_account,
    drop,
    loaded_rows,
    localised,
    meltano,
    own_schemas,
    run_bash,
    table_names,
    truth_until_now,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import psycopg

# One worker runs the module: its tests share one expensive module fixture.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("several-accounts")]


@dataclass
class Accounts:
    """The project after the README's accounts block, and the two accounts it loads."""

    project: Path
    first: SandboxControl
    second: SandboxControl
    schemas: dict[str, str]
    #: ``meltano state list`` right after the block (other tests add state ids later).
    state_ids: list[str]


@pytest.fixture(scope="module")
def accounts(
    tmp_path_factory: pytest.TempPathFactory, postgres: psycopg.Connection[Any]
) -> Iterator[Accounts]:
    # Module-scoped: building the project is most of these tests' time, and each test's
    # assertions hold whichever of the others ran before it.
    names = own_schemas()
    with (
        Sandbox(SandboxSettings(run_seconds=0.05)) as first,
        Sandbox(SandboxSettings(run_seconds=0.05, seed=8)) as second,
    ):
        try:
            project = adopt(
                tmp_path_factory.mktemp("accounts"), first.base_url, names[ADOPT_SCHEMA]
            )
            block = localised(
                readme_block("accounts"),
                {SECOND_BASE_URL: second.base_url, SECOND_SCHEMA: names[SECOND_SCHEMA]},
            )
            done = run_bash(block, project)
            assert done.returncode == 0, done.stderr[-4000:]
            listed = meltano(project, "state", "list")
            assert listed.returncode == 0, listed.stderr[-3000:]
            yield Accounts(
                project,
                SandboxControl(first.base_url),
                SandboxControl(second.base_url),
                names,
                sorted(listed.stdout.split()),
            )
        finally:
            drop(postgres, names.values())


def test_given_two_accounts_per_the_readme_when_run_together_then_each_schema_holds_its_account(
    accounts: Accounts, postgres: psycopg.Connection[Any]
) -> None:
    first_ids = {m["mailboxId"] for m in accounts.first.mailboxes()}
    assert first_ids != {m["mailboxId"] for m in accounts.second.mailboxes()}
    for schema, control in (
        (accounts.schemas[ADOPT_SCHEMA], accounts.first),
        (accounts.schemas[SECOND_SCHEMA], accounts.second),
    ):
        selected = sorted(s.removesuffix(".*") for s in default_selection())
        assert table_names(postgres, schema) == selected, schema
        assert_holds_the_account(loaded_rows(postgres, schema), control)


def test_given_two_accounts_per_the_readme_when_run_together_then_there_is_a_state_id_per_pair(
    accounts: Accounts,
) -> None:
    assert accounts.state_ids == [
        "dev:tap-emailgistics--eu-to-target-postgres--eu",
        "dev:tap-emailgistics-to-target-postgres",
    ]


def test_given_the_two_account_job_when_its_schedule_runs_then_both_schemas_catch_up(
    accounts: Accounts, postgres: psycopg.Connection[Any]
) -> None:
    for control in (accounts.first, accounts.second):
        control.advance(days=1)  # a new day for both, and yesterday settles
    done = run_bash("meltano schedule run emailgistics-daily", accounts.project)
    assert done.returncode == 0, done.stderr[-4000:]
    for schema, control in (
        (accounts.schemas[ADOPT_SCHEMA], accounts.first),
        (accounts.schemas[SECOND_SCHEMA], accounts.second),
    ):
        assert_holds_the_account(loaded_rows(postgres, schema), control)


def test_given_the_readme_account_maps_when_both_load_one_schema_then_their_rows_stay_apart(
    accounts: Accounts, postgres: psycopg.Connection[Any]
) -> None:
    first = truth_until_now(accounts.first, "mailbox_performance")
    second = truth_until_now(accounts.second, "mailbox_performance")
    shared = first.keys() & second.keys()  # the documentation's mailbox, in both accounts
    assert any(first[key]["received"] != second[key]["received"] for key in shared)
    schema = accounts.schemas[SHARED_SCHEMA]
    add_to_meltano_yml(
        accounts.project, localised(readme_block("accounts-map", "yaml"), {SHARED_SCHEMA: schema})
    )
    done = run_bash(readme_block("accounts-one-schema"), accounts.project)
    assert done.returncode == 0, done.stderr[-4000:]
    everything = loaded_rows(postgres, schema)
    assert {row["account"] for rows in everything.values() for row in rows} == {"us", "eu"}
    assert_holds_the_account(loaded_rows(postgres, schema, "us"), accounts.first)
    assert_holds_the_account(loaded_rows(postgres, schema, "eu"), accounts.second)


def add_to_meltano_yml(project: Path, fragment: str) -> None:
    """What the README asks for: the fragment's plugins added to the project's ``meltano.yml``."""
    path = project / "meltano.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    for kind, plugins in yaml.safe_load(fragment)["plugins"].items():
        known = {plugin["name"] for plugin in config["plugins"].get(kind, [])}
        assert known.isdisjoint(plugin["name"] for plugin in plugins)
        config["plugins"].setdefault(kind, []).extend(plugins)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
