"""The command line's shape: one program under two names, settings, output modes, exit codes, schema."""

from __future__ import annotations

import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from fastgpt_oapi import __version__
from fastgpt_oapi.testing import FakeFastGPT

from ._support import cli_env
from .conftest import Cli


def test_version_and_the_console_script_are_one_program(cli: Cli, tmp_path: Path) -> None:
    run = cli("--version")
    assert (run.code, run.stdout) == (0, f"fastgpt-oapi {__version__}\n")
    script = Path(sys.executable).with_name("fastgpt-oapi")
    assert script.exists(), "the project's install provides the console script"
    direct = subprocess.run([str(script), "--version"], capture_output=True, text=True, env=cli_env(tmp_path))
    assert (direct.returncode, direct.stdout) == (0, run.stdout)


def test_help_lists_the_commands_and_loads_no_request_model(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from fastgpt_oapi.cli.app import run\n"
        "code = run(['--help'])\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('fastgpt_oapi.api', 'httpx', 'fastgpt_oapi.client')))\n"
        "print('LOADED', loaded, code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=cli_env(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    assert "LOADED [] 0" in done.stdout
    for command in ("chat", "completion", "config", "emulator", "kb", "schema"):
        assert f"  {command} " in done.stdout


def test_without_the_extra_the_program_says_how_to_install_it(tmp_path: Path) -> None:
    # `None` in sys.modules makes the import fail as if the package were not installed.
    probe = "import sys; sys.modules['typer'] = None; from fastgpt_oapi.cli import main; main(['--help'])"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=cli_env(tmp_path)
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == "fastgpt-oapi: the command line needs its extra: pip install 'fastgpt-oapi[cli]'\n"


def test_a_wrong_flag_is_a_usage_error(cli: Cli) -> None:
    run = cli("kb", "list", "--no-such-flag")
    assert run.code == 2
    assert "No such option" in run.stderr
    assert "--no-such-flag" in run.stderr
    assert cli("config", "set", "colour", "blue").code == 2


# ---- settings ----


def test_config_set_writes_a_private_file_and_show_masks_the_key(cli: Cli, tmp_path: Path) -> None:
    key = "fastgpt-" + "k" * 28 + "wxyz"
    assert cli("config", "set", "base_url", "https://fastgpt.example.com/api").code == 0
    saved = cli("config", "set", "api_key", "-", stdin=key + "\n")
    assert saved.code == 0
    assert key not in saved.stderr
    assert "…wxyz" in saved.stderr
    path = tmp_path / ".config" / "fastgpt-oapi" / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f'api_key = "{key}"' in path.read_text()

    shown = cli("config", "show")
    assert shown.code == 0
    assert key not in shown.stdout
    data = shown.json()
    assert data["api_key"] == "fastgpt-…wxyz"
    assert data["base_url"] == "https://fastgpt.example.com/api"
    assert data["sources"] == {
        "base_url": "profile default",
        "api_key": "profile default",
        "app_id": "default",
    }
    assert cli("config", "path").json() == {"path": str(path)}


def test_flags_beat_the_environment_which_beats_the_profile(cli: Cli) -> None:
    cli("config", "set", "base_url", "http://from-profile:3000")
    cli("config", "set", "app_id", "a" * 24)
    env = {"FASTGPT_BASE_URL": "http://from-env:3000"}
    shown = cli("--base-url", "http://from-flag:3000", "config", "show", env=env).json()
    assert shown["base_url"] == "http://from-flag:3000"
    assert shown["sources"]["base_url"] == "flag"
    shown = cli("config", "show", env=env).json()
    assert shown["base_url"] == "http://from-env:3000"
    assert shown["sources"]["base_url"] == "env"
    assert shown["app_id"] == "a" * 24
    assert shown["sources"]["app_id"] == "profile default"
    assert cli("config", "show").json()["sources"]["base_url"] == "profile default"


def test_profiles_are_chosen_by_flag_or_environment(cli: Cli) -> None:
    cli("config", "set", "base_url", "http://staging:3000", "--profile", "staging")
    assert cli("--profile", "staging", "config", "show").json()["base_url"] == "http://staging:3000"
    assert cli("config", "show", env={"FASTGPT_PROFILE": "staging"}).json()["profile"] == "staging"
    missing = cli("--profile", "prod", "config", "show")
    assert missing.code == 1
    assert "no profile 'prod'" in missing.stderr
    assert "staging" in missing.stderr


def test_a_bad_value_is_refused_when_saved(cli: Cli, tmp_path: Path) -> None:
    run = cli("config", "set", "base_url", "ftp://nope")
    assert run.code == 5
    assert "base_url" in run.stderr
    assert cli("config", "set", "app_id", "not-an-id").code == 5
    assert not (tmp_path / ".config" / "fastgpt-oapi" / "config.toml").exists()


def test_a_broken_config_file_is_named(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / ".config" / "fastgpt-oapi" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("[default]\nbase_url = \n")
    run = cli("config", "show")
    assert run.code == 1
    assert str(path) in run.stderr
    assert "not valid TOML" in run.stderr


# ---- output ----


def test_piped_lists_are_json_lines_and_output_forces_a_mode(connected: Cli, fake: FakeFastGPT) -> None:
    with fake.client() as client:
        from fastgpt_oapi.api.dataset.model import CreateDatasetRequest

        for name in ("alpha", "beta"):
            client.dataset.create_dataset(CreateDatasetRequest.builder().name(name).build())
    lines = connected("kb", "list").lines()
    assert sorted(d["name"] for d in lines) == ["alpha", "beta"]
    assert all(set(d) >= {"id", "name", "type", "update_time"} for d in lines)
    array = connected("kb", "list", "-o", "json").json()
    assert isinstance(array, list)
    assert [d["id"] for d in array] == [d["id"] for d in lines]
    table = connected("kb", "list", "--output", "text")
    assert table.code == 0
    assert "alpha" in table.stdout
    assert "name" in table.stdout
    assert not table.stdout.startswith("{")


# ---- exit codes ----


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (401, 3, "AuthenticationError"),
        (403, 3, None),  # FastGPT says 403 for a bad key too: the SDK reads which
        (404, 4, "NotFoundError"),
        (400, 5, "BadRequestError"),
        (422, 5, "UnprocessableEntityError"),
        (429, 6, "RateLimitError"),
        (500, 8, "InternalServerError"),
        (503, 8, "InternalServerError"),
        (409, 1, "ConflictError"),
    ],
)
def test_each_error_class_has_its_exit_code(
    connected: Cli, fake: FakeFastGPT, status: int, code: int, kind: str | None
) -> None:
    fake.fail_next(status, {"code": status, "statusText": "", "message": f"scripted {status}"}, times=5)
    run = connected("kb", "list")
    assert run.code == code, run.stderr
    error = run.error()
    assert error["exit_code"] == code
    assert kind is None or error["kind"] == kind
    assert "scripted" in error["message"]
    assert run.stdout == ""


def test_a_wrong_key_exits_3_and_never_prints_it(connected: Cli) -> None:
    wrong = "fastgpt-" + "w" * 32
    run = connected("kb", "list", env={"FASTGPT_API_KEY": wrong})
    assert run.code == 3
    assert wrong not in run.stderr + run.stdout


def test_no_key_at_all_exits_3_with_where_to_set_one(cli: Cli) -> None:
    run = cli("kb", "list")
    assert run.code == 3
    assert "FASTGPT_API_KEY" in run.stderr


def test_an_unreachable_server_exits_7(cli: Cli) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = cli(
        "kb", "list", env={"FASTGPT_BASE_URL": f"http://127.0.0.1:{port}", "FASTGPT_API_KEY": "fastgpt-x" * 2}
    )
    assert run.code == 7, run.stderr
    assert run.error()["kind"] in ("APIConnectionError", "APITimeoutError")


def test_a_bad_setting_is_refused_before_sending_with_exit_5(cli: Cli) -> None:
    run = cli("--base-url", "ftp://nope", "--api-key", "fastgpt-" + "a" * 32, "kb", "list")
    assert run.code == 5
    assert "base_url" in run.error()["message"]


def test_a_terminal_error_is_one_readable_line(connected: Cli, fake: FakeFastGPT) -> None:
    fake.fail_next(404, {"code": 404, "statusText": "", "message": "gone"})
    run = connected("kb", "list", "-o", "text")
    assert run.code == 4
    assert run.stderr.startswith("fastgpt-oapi: error: ")
    assert run.stderr.count("\n") == 1


# ---- introspection ----


def test_schema_is_the_command_tree_with_the_exit_codes(cli: Cli) -> None:
    tree = cli("schema").json()
    names = {c["name"] for c in tree["commands"]}
    assert {"completion", "config", "emulator", "kb", "schema"} <= names
    assert tree["exit_codes"]["rate_limited"] == 6
    assert tree["exit_codes"]["usage"] == 2
    kb = next(c for c in tree["commands"] if c["name"] == "kb")
    listed = next(c for c in kb["commands"] if c["name"] == "list")
    assert {"name": "parent_id", "kind": "option", "flags": ["--parent-id"]}.items() <= listed["params"][
        0
    ].items()
    output = next(p for p in tree["params"] if p["name"] == "output")
    assert output["choices"] == ["text", "json", "jsonl"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion_scripts(cli: Cli, shell: str) -> None:
    script = cli("completion", shell)
    assert script.code == 0
    assert "_FASTGPT_OAPI_COMPLETE" in script.stdout
    assert cli("completion", "tcsh").code == 2


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_bash_script_registers_the_completion(cli: Cli, tmp_path: Path) -> None:
    script = cli("completion", "bash").stdout
    done = subprocess.run(
        ["bash", "-c", f"{script}\ncomplete -p fastgpt-oapi"],
        capture_output=True,
        text=True,
        env=cli_env(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(" fastgpt-oapi")


def test_completion_completes_subcommands(tmp_path: Path) -> None:
    # What the installed script does on <TAB>: run the program with the variable set.
    env = cli_env(
        tmp_path,
        {"_FASTGPT_OAPI_COMPLETE": "complete_bash", "COMP_WORDS": "fastgpt-oapi con", "COMP_CWORD": "1"},
    )
    done = subprocess.run([sys.executable, "-m", "fastgpt_oapi"], capture_output=True, text=True, env=env)
    assert "config" in done.stdout.split()
    assert "kb" not in done.stdout.split()
