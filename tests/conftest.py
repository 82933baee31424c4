"""Shared helpers for baking the template and checking what it renders."""

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
JINJA_MARKERS = ("{{", "{%", "{#")


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
    *args: str | Path, cwd: Path, timeout: float = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def ruff(*args: str, project: Path) -> subprocess.CompletedProcess:
    # --isolated would ignore the project's own ruff settings; we want exactly those.
    return run(sys.executable, "-m", "ruff", *args, cwd=project)


def make_child_venv(path: Path) -> Path:
    """A throwaway venv that sees this environment's packages (torch, Lightning...) through a .pth file.

    Installing a rendered project into it adds only the project, offline, and editable installs of
    several rendered projects never replace each other in the environment that runs these tests.
    """
    venv.create(path, with_pip=False)
    python = path / "bin" / "python"
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=path).stdout.strip()
    Path(purelib, "parent-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def install_project(project: Path, venv_dir: Path) -> Path:
    """`pip install -e ".[dev]"` as the README says, offline: every dependency must already be installed."""
    python = make_child_venv(venv_dir)
    result = run(
        python, "-m", "pip", "install", "--no-index", "--no-build-isolation", "-e", ".[dev]", cwd=project, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return python


@pytest.fixture(scope="session")
def default_project(cookies_session) -> Path:
    result = cookies_session.bake()
    assert result.exit_code == 0, result.exception
    return result.project_path


@pytest.fixture(scope="session")
def installed(default_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of an environment with the default project installed as its README says."""
    return install_project(default_project, tmp_path_factory.mktemp("venv") / "venv")
