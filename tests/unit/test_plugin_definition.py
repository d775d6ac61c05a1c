"""Every setting appears identically in --about, plugin/tap-emailgistics.yml and meltano.yml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tap_emailgistics.plugin_definition import meltano_settings, plugin_definition
from tap_emailgistics.tap import TapEmailgistics
from tests.readme import readme_block

ROOT = Path(__file__).parents[2]


def test_given_the_generator_when_run_then_the_committed_plugin_file_is_identical() -> None:
    generated = subprocess.run(
        [sys.executable, "-m", "tap_emailgistics.plugin_definition"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    committed = (ROOT / "plugin" / "tap-emailgistics.yml").read_text(encoding="utf-8")
    assert committed == generated, "regenerate plugin/tap-emailgistics.yml (see its header)"


def test_given_meltano_yml_when_read_then_the_extractor_matches_the_plugin_definition() -> None:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    extractor = project["plugins"]["extractors"][0]
    assert extractor["settings"] == meltano_settings()
    assert extractor["capabilities"] == plugin_definition()["capabilities"]
    assert next(s for s in extractor["settings"] if s["name"] == "api_key")["sensitive"]
    assert all(s["label"] and s["description"] and s["kind"] for s in extractor["settings"])
    assert "version" not in project
    assert {e["name"] for e in project["environments"]} >= {"dev", "prod"}


def test_given_meltano_yml_when_read_then_select_rules_are_the_default_selected_streams() -> None:
    from tap_emailgistics.plugin_definition import default_selection  # noqa: PLC0415

    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    assert project["plugins"]["extractors"][0]["select"] == default_selection()
    assert default_selection()[-1] == "finality_watermarks.*"


def test_given_the_readme_when_it_names_the_text_numbers_then_they_are_the_fraction_settings() -> (
    None
):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sentence = readme.split("The settings that may take a fraction (", 1)[1].split(")", 1)[0]
    named = [name.strip("` ") for name in sentence.replace("\n", " ").split(",")]
    as_text = {s["name"] for s in meltano_settings() if s["kind"] == "string"}
    numbers = {
        name
        for name, prop in TapEmailgistics.config_jsonschema["properties"].items()
        if "number" in prop["type"]
    }
    assert as_text >= numbers
    assert {n for n in numbers if not n.startswith("poll_")} == {
        n for n in named if not n.startswith("poll_")
    }
    assert {n for n in numbers if n.startswith("poll_")} == {
        "poll_initial_seconds",
        "poll_max_seconds",
        "poll_jitter",
    }


def test_given_the_users_snowflake_definition_when_the_project_inherits_it_then_the_same() -> None:
    # The Snowflake end-to-end test's loader inherits meltano.yml's target-snowflake:
    # what it proves holds for the definition users copy only if the two are one.
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    [loader] = [p for p in project["plugins"]["loaders"] if p["name"] == "target-snowflake"]
    users = (ROOT / "plugin" / "target-snowflake.yml").read_text(encoding="utf-8")
    assert loader == yaml.safe_load(users)


def test_given_the_snowflake_page_when_it_adds_the_loader_then_from_the_users_definition() -> None:
    command = readme_block("snowflake-add", "bash")
    assert command.startswith("meltano add --plugin-type loader target-snowflake --from-ref ")
    assert command.split()[-1] == "/path/to/tap-emailgistics/plugin/target-snowflake.yml"


@pytest.mark.parametrize("name", ["dbt-postgres", "dbt-snowflake"])
def test_given_the_users_dbt_definition_when_the_project_defines_it_then_the_same(
    name: str,
) -> None:
    # The dbt tests run meltano.yml's transformers (dbt-snowflake-emulated inherits
    # dbt-snowflake); the users add plugin/<name>.yml: they must be one definition.
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    [plugin] = [p for p in project["plugins"]["transformers"] if p["name"] == name]
    users = (ROOT / "plugin" / f"{name}.yml").read_text(encoding="utf-8")
    assert plugin == yaml.safe_load(users)
