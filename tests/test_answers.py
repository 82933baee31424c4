"""Answers as users give them: free text is kept as written, hooks never run an answer, folders are not clobbered."""

import os
import subprocess
import tempfile
import tomllib
from pathlib import Path

import pytest
import yaml
from cookiecutter import prompt
from cookiecutter.exceptions import FailedHookException, OutputDirExistsException
from cookiecutter.main import cookiecutter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name

from .conftest import TEMPLATE_DIR, hook_constant
from .environments import install_project, project_requirements, required_distributions, top_level_entries

# Pieces that break naive templates: quotes, backslashes, Jinja and TOML/YAML/Markdown syntax, line breaks, non-ASCII.
# (Line breaks and other control characters are refused: see test_a_line_break_in_a_one_line_answer_is_refused.)
AWKWARD = ['"', "'", '"""', "\\", "\\n", "{{", "}}", "{%", "%}", "#", ": ", "- ", "[", "]", "`", "$(", ";", "&"]
LETTERS = ["a", "Z", "é", "ß", "Ł", "ø", "日本", "Ωμέγα", " ", "0"]
free_text = st.lists(st.sampled_from(AWKWARD + LETTERS), min_size=1, max_size=12).map("".join)


def bake_as_typed(typed: dict[str, str], output_dir: Path) -> Path:
    """Render as a user who types ``typed`` at the prompts and accepts every other default.

    Text typed at a prompt is used as written; cookiecutter renders only the defaults (and values given on
    its command line) as Jinja.
    """
    originals = prompt.read_user_variable, prompt.read_user_choice, prompt.read_user_yes_no
    prompt.read_user_variable = lambda name, default, *args, **kwargs: typed.get(name, default)
    prompt.read_user_choice = lambda name, options, *args, **kwargs: options[0]
    prompt.read_user_yes_no = lambda name, default, *args, **kwargs: default
    try:
        return Path(cookiecutter(str(TEMPLATE_DIR), output_dir=str(output_dir)))
    finally:
        prompt.read_user_variable, prompt.read_user_choice, prompt.read_user_yes_no = originals


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(project_name=free_text, description=free_text, author_name=free_text)
def test_free_text_renders_valid_files_and_reads_as_typed(project_name, description, author_name):
    typed = {"project_name": project_name, "description": description, "author_name": author_name}
    typed["project_slug"] = "typed-project"  # the slug derived from odd names is checked by the hook tests
    with tempfile.TemporaryDirectory() as output_dir:
        project = bake_as_typed(typed, Path(output_dir))
        metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
        assert metadata["description"] == description
        assert metadata["authors"][0]["name"] == author_name
        readme = (project / "README.md").read_text()
        assert f"# {project_name}\n" in readme
        assert f"\n{description}\n" in readme
        assert author_name in (project / "LICENSE").read_text()
        for path in project.rglob("*.py"):
            compile(path.read_text(), str(path), "exec")
        for path in [*project.rglob("*.yaml"), *project.rglob("*.yml")]:
            yaml.safe_load(path.read_text())


@pytest.mark.parametrize(
    ("key", "crafted"),
    [
        # Each closes the string that a hook pasting the raw answer would open, and runs code.
        ("project_name", "x'''; open({marker!r}, 'w'); _ = '''"),
        ("description", 'x"""; open({marker!r}, "w"); _ = """'),
        ("author_name", "x'; open({marker!r}, 'w'); _ = '"),
        ("package_name", 'x"; open({marker!r}, "w"); _ = "'),
    ],
)
def test_an_answer_crafted_to_run_code_does_not_run(cookies, tmp_path, key, crafted):
    marker = tmp_path / "hooks-ran-an-answer"
    answer = crafted.format(marker=str(marker))
    result = cookies.bake(extra_context={key: answer})
    assert not marker.exists()
    if key == "package_name":  # not an identifier: refused
        assert isinstance(result.exception, FailedHookException)
    else:  # free text: kept as text
        assert result.exit_code == 0, result.exception
        assert result.context[key] == answer
        assert answer in (result.project_path / "README.md").read_text() + (result.project_path / "LICENSE").read_text()


def test_an_existing_folder_is_refused_and_left_as_it_was(tmp_path):
    project = Path(cookiecutter(str(TEMPLATE_DIR), no_input=True, output_dir=str(tmp_path)))
    (project / "notes.txt").write_text("mine")
    (project / "README.md").write_text("edited")
    with pytest.raises(OutputDirExistsException):
        cookiecutter(str(TEMPLATE_DIR), no_input=True, output_dir=str(tmp_path))
    assert (project / "notes.txt").read_text() == "mine"
    assert (project / "README.md").read_text() == "edited"


def test_overwriting_keeps_files_the_template_did_not_write(tmp_path):
    project = Path(cookiecutter(str(TEMPLATE_DIR), no_input=True, output_dir=str(tmp_path)))
    (project / "notes.txt").write_text("mine")
    (project / "data").mkdir()
    (project / "data" / "train.csv").write_text("x,target\n1,0\n")
    cookiecutter(str(TEMPLATE_DIR), no_input=True, output_dir=str(tmp_path), overwrite_if_exists=True)
    assert (project / "notes.txt").read_text() == "mine"
    assert (project / "data" / "train.csv").is_file()
    assert (project / "src" / "lightning_project" / "model.py").is_file()


def test_a_refused_overwrite_leaves_the_existing_folder(tmp_path, capfd):
    project = Path(cookiecutter(str(TEMPLATE_DIR), no_input=True, output_dir=str(tmp_path)))
    (project / "notes.txt").write_text("mine")
    with pytest.raises(FailedHookException):
        cookiecutter(
            str(TEMPLATE_DIR),
            no_input=True,
            output_dir=str(tmp_path),
            overwrite_if_exists=True,
            extra_context={"author_email": "not an address"},
        )
    assert "ERROR: author_email 'not an address'" in capfd.readouterr().err
    assert (project / "notes.txt").read_text() == "mine"
    assert (project / "pyproject.toml").is_file()


@pytest.mark.parametrize("key", ["project_name", "description", "author_name"])
@pytest.mark.parametrize("separator", ["\n", "\r\n", "\r", "\x00"], ids=["LF", "CRLF", "CR", "NUL"])
def test_a_line_break_in_a_one_line_answer_is_refused(cookies, tmpdir, capfd, key, separator):
    # A second line would land on a line of its own in scripts/slurm.sh, where the shell runs it.
    result = cookies.bake(extra_context={key: f"Vision{separator}touch pwned"})
    assert isinstance(result.exception, FailedHookException)
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR:")]
    (error,) = errors  # (cookiecutter's Jinja turns CRLF and CR into LF before the hook sees the answer)
    assert error.startswith(f"ERROR: {key} 'Vision\\")
    assert error.endswith("touch pwned' has a line break or another control character: type it on one line")
    assert [path for path in Path(tmpdir, "cookies").rglob("*") if path.is_file()] == []


HOSTILE = """Vision $(touch pwned) `touch pwned` "quoted" 'single'; rm -rf nothing & | > out #SBATCH --wrap=pwned"""


def test_hostile_free_text_reaches_no_shell_and_parses_as_typed(cookies, tmp_path):
    result = cookies.bake(extra_context={"project_name": HOSTILE, "description": HOSTILE, "author_name": HOSTILE})
    assert result.exit_code == 0, result.exception
    project = result.project_path
    script = project / "scripts" / "slurm.sh"
    assert subprocess.run(["bash", "-n", script], check=False).returncode == 0
    # Run the script in a folder of its own, with stand-ins for srun and sbatch that record how they were called.
    job = tmp_path / "job"
    (job / "bin").mkdir(parents=True)
    for command in ("srun", "sbatch"):
        (job / "bin" / command).write_text(f'#!/bin/sh\necho {command} "$@" >> {job / "calls.log"}\n')
        (job / "bin" / command).chmod(0o755)
    env = {**os.environ, "PATH": f"{job / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    ran = subprocess.run(["bash", script, "--trainer.max_epochs=1"], cwd=job, env=env, check=False)
    assert ran.returncode == 0
    assert (job / "calls.log").read_text().split() == [
        "srun", "python", "-m", result.context["package_name"], "fit", "--config", "configs/trainer/multinode.yaml",
        "--resume=true", "--trainer.max_epochs=1",
    ]  # fmt: skip
    assert sorted(path.name for path in job.iterdir()) == ["bin", "calls.log"]  # nothing else ran
    assert not list(project.rglob("pwned"))
    sbatch_lines = [line for line in script.read_text().splitlines() if line.startswith("#SBATCH")]
    assert not [line for line in sbatch_lines if "wrap" in line or "Vision" in line]
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert (metadata["description"], metadata["authors"][0]["name"]) == (HOSTILE, HOSTILE)
    for path in [*project.rglob("*.yaml"), *project.rglob("*.yml")]:
        yaml.safe_load(path.read_text())


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"package_name": "calendar"}, "package_name 'calendar' would shadow a module of Python"),
        ({"package_name": "packaging"}, "package_name 'packaging' would shadow a module of Python or of the project's"),
        ({"package_name": "yaml"}, "package_name 'yaml' would shadow"),
        ({"project_slug": "packaging", "package_name": "pkg_project"}, "project_slug 'packaging' is the name of a"),
        ({"project_slug": "scikit-learn", "package_name": "skl_project"}, "is the name of a distribution the project"),
        ({"project_name": "!!! ???"}, "project_slug '-' has no letters or digits: give the project a name with some"),
        ({"project_slug": "x" * 120, "package_name": "x_project"}, "project_slug is 120 characters long"),
        ({"author_email": '"team lead"@example.com'}, "is not a plain e-mail address"),
        ({"author_email": "zoë@example.com"}, "is not a plain e-mail address"),
    ],
    ids=["stdlib", "dependency", "dependency-module", "distribution", "transitive-distribution", "no-letters",
         "too-long", "quoted-email", "non-ascii-email"],
)  # fmt: skip
def test_names_that_would_break_the_build_or_the_environment_are_refused(cookies, tmpdir, capfd, answers, message):
    result = cookies.bake(extra_context=answers)
    assert isinstance(result.exception, FailedHookException)
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, errors
    assert message in errors[0]
    assert [path for path in Path(tmpdir, "cookies").rglob("*") if path.is_file()] == []


def test_a_very_long_name_makes_a_slug_of_at_most_64_characters(cookies):
    result = cookies.bake(extra_context={"project_name": "Forecasting " * 25})
    assert result.exit_code == 0, result.exception
    assert result.context["project_slug"] == "-".join(["forecasting"] * 5)
    assert result.project_path.name == result.context["project_slug"]


@pytest.mark.parametrize(
    "answers",
    [
        {"package_name": "vision"},
        {"project_name": 'Zoë\'s "Model", v2 (beta)', "author_name": 'O\'Brien, Zoë "ML" <Team>'},
    ],
    ids=["package-name-of-its-own", "awkward-names"],
)
def test_accepted_names_give_a_project_that_installs_and_imports(cookies, tmp_path, answers):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    python = install_project(result.project_path, tmp_path / "venv")
    package, distribution = result.context["package_name"], result.context["project_slug"]
    probe = f"import importlib.metadata, {package}.cli; print(importlib.metadata.metadata({distribution!r})['Name'])"
    imported = subprocess.run([python, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert imported.returncode == 0, imported.stderr[-2000:]
    assert imported.stdout.strip() == distribution


def test_every_distribution_that_projects_install_is_a_reserved_name(cookies):
    # Answer sets that between them pull in every optional dependency.
    answer_sets = [
        {"task": "regression", "data_source": "csv", "logger_wandb": True, "logger_mlflow": True},
        {"callback_figures": True},
        {"data_source": "image_folder", "experiments": True},
        {"task": "tabular_classification", "data_source": "digits"},
        {"task": "gan", "data_source": "mnist", "callback_early_stopping": False},
    ]  # fmt: skip
    requirements = []
    for answers in answer_sets:
        result = cookies.bake(extra_context=answers)
        assert result.exit_code == 0, result.exception
        requirements += project_requirements(result.project_path)
    installed = required_distributions(sorted(set(requirements)))
    names = {canonicalize_name(distribution.metadata["Name"]) for distribution in installed}
    modules = {
        entry.removesuffix(".py")
        for distribution in installed
        for entry in top_level_entries(distribution)
        if entry.removesuffix(".py").isidentifier() and not entry.startswith("_")
    }
    assert names - hook_constant("DEPENDENCY_DISTRIBUTIONS") == set(), "add them to hooks/pre_gen_project.py"
    assert modules - hook_constant("DEPENDENCY_MODULES") == set(), "add them to hooks/pre_gen_project.py"
