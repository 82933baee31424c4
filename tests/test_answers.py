"""Answers as users give them: free text is kept as written, hooks never run an answer, folders are not clobbered."""

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

from .conftest import TEMPLATE_DIR

# Pieces that break naive templates: quotes, backslashes, Jinja and TOML/YAML/Markdown syntax, line breaks, non-ASCII.
AWKWARD = ['"', "'", '"""', "\\", "\\n", "{{", "}}", "{%", "%}", "#", "\n", "\r\n", "\t", ": ", "- ", "[", "]", "`"]
LETTERS = ["a", "Z", "é", "ß", "Ł", "ø", "日本", "Ωμέγα", " ", "0"]
free_text = st.lists(st.sampled_from(AWKWARD + LETTERS), min_size=1, max_size=12).map("".join)


def as_read(text: str) -> str:
    """``text`` as ``read_text()`` returns it from a file: with universal newlines."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


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


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
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
        assert f"# {as_read(project_name)}\n" in readme
        assert f"\n{as_read(description)}\n" in readme
        assert as_read(author_name) in (project / "LICENSE").read_text()
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
