"""Shared helpers for baking the template and checking what it renders."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from .environments import install_project

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
JINJA_MARKERS = ("{{", "{%", "{#")


# The tests that take minutes (installed projects that run their own suites, a hundred bakes), in the order
# they run first: pytest-xdist's two workers take two tests at a time (--maxschedchunk=2), so the first
# two (the installed sets with the most to run) go to one worker and the rest of the long ones to the other,
# and the short tests fill in behind them.
LONG_TESTS = (
    "test_installed_set_passes_its_own_tests",
    "test_rendered_test_suite_passes",
    "test_the_csv_classifier_passes_its_own_tests",
    "test_free_text_renders_valid_files_and_reads_as_typed",
    "test_a_short_benchmark_writes_its_table_and_json",
    "test_a_short_image_folder_benchmark_caches_once_and_compares_the_three_paths",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return next((place for place, name in enumerate(LONG_TESTS) if item.name.startswith(name)), len(LONG_TESTS))

    items.sort(key=rank)  # a stable sort: tests of the same rank keep their order


def hook_constant(name: str):
    """A literal table from the pre-generation hook (the hook is valid Python around its Jinja strings)."""
    tree = ast.parse((TEMPLATE_DIR / "hooks" / "pre_gen_project.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", None) == name for target in node.targets):
            return ast.literal_eval(node.value)
    raise LookupError(name)


def rendered_files(project: Path) -> list[Path]:
    return [path for path in sorted(project.rglob("*")) if path.is_file() and ".git" not in path.parts]


def jinja_leftovers(project: Path) -> list[str]:
    """Files (and the marker found) that still hold Jinja syntax after rendering."""
    found = []
    for path in rendered_files(project):
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(project)}: {marker}" for marker in JINJA_MARKERS if marker in text]
    return found


def run(
    *args: str | Path, cwd: Path, timeout: float = 600, env: dict[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def ruff(*args: str, project: Path) -> subprocess.CompletedProcess:
    # --isolated would ignore the project's own ruff settings; we want exactly those.
    return run(sys.executable, "-m", "ruff", *args, cwd=project)


@pytest.fixture(scope="session")
def default_project(cookies_session) -> Path:
    result = cookies_session.bake()
    assert result.exit_code == 0, result.exception
    return result.project_path


@pytest.fixture(scope="session")
def installed(default_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of the default project's own environment, the project installed as its README says."""
    return install_project(default_project, tmp_path_factory.mktemp("venv") / "venv")
