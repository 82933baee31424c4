"""Every answer a user can type leads to a project or to a fix in one step.

What the answers mean lives in one table, the private keys of cookiecutter.json (`_tasks`, `_data_sources`,
`_adapt`, `_files`): the hooks and the templates read it, and so do these tests, which go through every
entry: each adaptation, each refused pair, each task's files and settings.
"""

import filecmp
import os
import shlex
import sys
from pathlib import Path

import pytest
import yaml

from .combinations import ADAPT, FILES, REFUSED_PAIRS, TASKS, TEMPLATE, default, kept, matches, options
from .conftest import TEMPLATE_DIR, jinja_leftovers, ruff, run
from .test_combinations import misplaced_option_files

COOKIECUTTER = Path(sys.executable).with_name("cookiecutter")
PROMPTED = [key for key in TEMPLATE if not key.startswith("_") and isinstance(TEMPLATE[key], list | bool)]
DEFAULTS = {key: default(key) for key in PROMPTED}
SINGLE_CHANGES = [{key: value} for key in PROMPTED for value in options(key) if value != default(key)]


def answers_id(answers: dict) -> str:
    return " ".join(f"{key}={value}" for key, value in answers.items())


def adapted(answers: dict) -> tuple[dict, list[str]]:
    """The answers after `_adapt`'s rules, applied in order, and the notes they print."""
    answers, said = DEFAULTS | answers, []
    for rule in ADAPT:
        if matches(answers, rule["when"]):
            answers, said = answers | rule["set"], [*said, rule["note"]]
    return answers, said


def notes(out: str) -> list[str]:
    """The hook's notes (after the last prompt, on the prompt's line when cookiecutter asked questions)."""
    return [line.split("note: ", 1)[1] for line in out.splitlines() if "note: " in line]


@pytest.fixture
def user(tmp_path: Path) -> dict[str, str]:
    """The environment of a user whose cookiecutter keeps its replay files in tmp_path/replay."""
    config = tmp_path / "cookiecutterrc.yaml"
    config.write_text(yaml.safe_dump({"replay_dir": str(tmp_path / "replay")}))
    return os.environ | {"COOKIECUTTER_CONFIG": str(config)}


@pytest.mark.parametrize("change", SINGLE_CHANGES, ids=answers_id)
def test_any_single_answer_changed_with_no_input_renders_a_project(cookies, capfd, change):
    result = cookies.bake(extra_context=change)
    assert result.exit_code == 0, result.exception
    assert notes(capfd.readouterr().out) == adapted(change)[1]
    project = result.project_path
    assert misplaced_option_files(project, result.context, result.context["package_name"]) == []
    assert jinja_leftovers(project) == []
    check = ruff("check", ".", project=project)
    assert check.returncode == 0, check.stdout


@pytest.mark.parametrize("rule", ADAPT, ids=lambda rule: answers_id(rule["when"]))
def test_an_answer_that_does_not_apply_is_adapted_and_said(cookies_session, capfd, rule):
    """The project of the adapted answers is the project of those answers given directly."""
    given = cookies_session.bake(extra_context=rule["when"])
    assert given.exit_code == 0, given.exception
    answers, said = adapted(rule["when"])
    assert rule["note"] in said and notes(capfd.readouterr().out) == said
    assert {key: given.context[key] for key in answers} == answers
    direct = cookies_session.bake(extra_context=answers)
    assert direct.exit_code == 0, direct.exception
    assert notes(capfd.readouterr().out) == []
    comparison = filecmp.dircmp(given.project_path, direct.project_path)
    assert (comparison.left_only, comparison.right_only, comparison.diff_files) == ([], [], [])
    assert all(not sub.diff_files for sub in comparison.subdirs.values())


@pytest.mark.parametrize("pair", REFUSED_PAIRS, ids=answers_id)
def test_data_a_task_cannot_learn_from_is_refused_with_one_command_that_fixes_it(tmp_path, user, pair):
    out = tmp_path / "out"
    out.mkdir()
    answers = [f"{key}={value}" for key, value in pair.items()] + ["optimizer=SGD", "logger_csv=yes"]
    refused = run(COOKIECUTTER, "--no-input", TEMPLATE_DIR, *answers, cwd=out, env=user)
    assert refused.returncode != 0
    errors = [line for line in refused.stderr.splitlines() if line.startswith("ERROR: ")]
    assert (
        len(errors) == 1 and f"task {pair['task']}" in errors[0] and f"data_source {pair['data_source']}" in errors[0]
    )
    hints = [line for line in refused.stderr.splitlines() if line.startswith("To render it with data_source=")]
    assert len(hints) == 1, refused.stderr
    assert list(out.iterdir()) == []

    command = shlex.split(hints[0].split(": ", 1)[1])
    assert command[0] == "cookiecutter"
    fixed = run(COOKIECUTTER, *command[1:], cwd=out, env=user)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    project = out / "lightning-project"
    package = project / "src" / "lightning_project"
    source = hints[0].removeprefix("To render it with data_source=").split()[0]
    assert source in TASKS[pair["task"]]["data_modules"]
    assert f"class {TASKS[pair['task']]['model_class']}(" in (package / "model.py").read_text()
    assert f"class {TEMPLATE['_data_sources'][source]['class']}(" in (package / "data.py").read_text()
    # The other answers are the ones given, not the defaults.
    assert yaml.safe_load((project / "configs" / "config.yaml").read_text())["model"]["momentum"] == 0.9  # SGD
    assert (project / "tests" / "test_csv_logger.py").is_file()


def test_the_interactive_path_refuses_an_impossible_pair_and_adapts_what_does_not_apply(tmp_path, user):
    """cookiecutter driven through its prompts on stdin, as a user types: Enter keeps a default."""
    out = tmp_path / "out"
    out.mkdir()
    questions = [key for key in TEMPLATE if not key.startswith("_")]  # in the order cookiecutter asks them

    def typed(**choices: int) -> str:
        return "".join(f"{choices.get(key, '')}\n" for key in questions)

    regression, digits = options("task").index("regression") + 1, options("data_source").index("digits") + 1
    refused = run(COOKIECUTTER, TEMPLATE_DIR, cwd=out, env=user, input=typed(task=regression, data_source=digits))
    assert refused.returncode != 0
    assert "ERROR: task regression predicts a number" in refused.stderr
    hint = next(line for line in refused.stderr.splitlines() if line.startswith("To render it with"))
    fixed = run(COOKIECUTTER, *shlex.split(hint.split(": ", 1)[1])[1:], cwd=out, env=user)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "class Regressor(" in (out / "lightning-project" / "src" / "lightning_project" / "model.py").read_text()

    gan = options("task").index("gan") + 1
    gan_run = run(COOKIECUTTER, TEMPLATE_DIR, "-o", tmp_path / "gan", cwd=out, env=user, input=typed(task=gan))
    assert gan_run.returncode == 0, gan_run.stdout + gan_run.stderr
    assert notes(gan_run.stdout) == adapted({"task": "gan"})[1]
    assert "EarlyStopping" not in (tmp_path / "gan" / "lightning-project" / "configs" / "config.yaml").read_text()


@pytest.mark.parametrize("task", options("task"))
def test_each_task_renders_what_its_table_entry_says(cookies, task):
    """Every field of a task's entry reaches the project: its classes, files, monitor and learning rates."""
    entry = TASKS[task]
    for optimizer in options("optimizer"):
        source = next(iter(entry["data_modules"]))
        result = cookies.bake(extra_context={"task": task, "data_source": source, "optimizer": optimizer})
        assert result.exit_code == 0, result.exception
        project, package = result.project_path, result.context["package_name"]
        config = yaml.safe_load((project / "configs" / "config.yaml").read_text())
        assert config["model"]["lr"] == float(entry["lr"][optimizer])
    variants = TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "src" / "{{cookiecutter.package_name}}" / "variants"
    for variant, target in [(entry["model"], "model.py"), (entry["net"], "net.py")]:
        assert (variants / variant).read_bytes() != b"" and (project / "src" / package / target).is_file()
    assert f"class {entry['model_class']}(" in (project / "src" / package / "model.py").read_text()
    monitors = [callback.get("init_args", {}).get("monitor") for callback in config["trainer"]["callbacks"]]
    assert entry["monitor"] in monitors if entry["monitor"] else set(monitors) <= {None, "val_loss"}
    for source, variant in entry["data_modules"].items():
        assert f"class {TEMPLATE['_data_sources'][source]['class']}(" in (variants / variant).read_text()


def test_every_file_entry_is_seen_kept_and_removed_by_the_single_changes():
    """test_any_single_answer_changed... checks `_files` on each set: each entry must meet both outcomes."""
    sets = [adapted(change)[0] for change in [{}, *SINGLE_CHANGES]]
    for entry in FILES:
        assert {kept(answers, entry) for answers in sets} == {True, False}, entry
