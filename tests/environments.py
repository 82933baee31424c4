"""The environment a user gets from a rendered project's `pip install -e ".[dev]"`, made offline.

A fresh venv holds links to exactly the distributions the project's `pyproject.toml` asks for (its
dependencies, the `dev` extra, and what those require in turn), taken from the environment that runs
the template's tests; pip then installs the project into it with `--no-index`. An import the project
does not declare fails there as it would on a user's machine, and packages this environment merely
happens to have (pytest plugins, optional imports such as SciPy or matplotlib) are not there to be
imported or loaded.
"""

import importlib.metadata as metadata
import subprocess
import tomllib
import venv
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# What installing takes beyond the project's own requirements: pip, and the build backend, which
# `--no-build-isolation` uses from the environment.
INSTALL_TOOLS = ("pip", "hatchling", "editables")


def project_requirements(project: Path, extras: tuple[str, ...] = ("dev",)) -> list[str]:
    """The requirement strings of the project's ``pyproject.toml``: its dependencies and those of ``extras``.

    An extra may name the project itself with other extras (``dev = ["my-project[export]", ...]``, as
    pip and hatchling allow): their requirements are followed in its place.
    """
    table = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    optional = table.get("optional-dependencies", {})
    name = canonicalize_name(table["name"])
    requirements, pending, seen = list(table.get("dependencies", [])), list(extras), set()
    while pending:
        extra = pending.pop(0)
        if extra in seen:
            continue
        seen.add(extra)
        for line in optional[extra]:
            requirement = Requirement(line)
            if canonicalize_name(requirement.name) == name:
                pending += sorted(requirement.extras)
            else:
                requirements.append(line)
    return requirements


def required_distributions(requirements: list[str]) -> list[metadata.Distribution]:
    """The installed distributions that ``requirements`` need, their own requirements followed through.

    A requirement that nothing installed here satisfies is an error: pip would have to download it.
    """
    found: dict[str, tuple[metadata.Distribution, set[str]]] = {}
    pending = [(Requirement(line), "") for line in requirements]
    while pending:
        requirement, extra = pending.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        try:
            distribution, extras = found.get(name) or (metadata.distribution(requirement.name), set())
        except metadata.PackageNotFoundError:
            raise LookupError(f"{requirement} is not installed here: add it to requirements-dev.txt") from None
        if not requirement.specifier.contains(distribution.version, prereleases=True):
            found_here = f"found {distribution.version}"
            raise LookupError(f"{requirement} is not installed here ({found_here}): see requirements-dev.txt")
        new_extras = set(requirement.extras) - extras
        if name in found and not new_extras:
            continue
        found[name] = (distribution, extras | new_extras)
        for line in distribution.requires or []:
            pending += [(Requirement(line), wanted) for wanted in ("", *sorted(new_extras))]
    return [distribution for distribution, _ in found.values()]


def top_level_entries(distribution: metadata.Distribution) -> set[str]:
    """The names in site-packages that a distribution installed: packages, modules, its .dist-info, .pth files."""
    if distribution.files is None:
        raise LookupError(f"{distribution.metadata['Name']} has no RECORD of its files")
    # Entries outside site-packages (console scripts in bin/) start with "..".
    return {file.parts[0] for file in distribution.files if file.parts[0] not in ("..", "__pycache__")}


def add_commands(distribution: metadata.Distribution, python: Path) -> None:
    """The distribution's commands in the venv of ``python``: its console scripts, and any programs it ships."""
    scripts = python.parent
    entry_points = {entry.name: entry for entry in distribution.entry_points.select(group="console_scripts")}
    for name, entry in entry_points.items():
        head, _, rest = entry.attr.partition(".")
        call = f"_command.{rest}()" if rest else "_command()"
        script = f"#!{python}\nimport sys\n\nfrom {entry.module} import {head} as _command\n\nsys.exit({call})\n"
        scripts.joinpath(name).write_text(script)
        scripts.joinpath(name).chmod(0o755)
    # Programs installed beside the interpreter, such as ruff's binary.
    programs = [file for file in distribution.files or [] if file.parts[0] == ".." and file.parent.name == "bin"]
    for file in programs:
        if file.name not in entry_points and not scripts.joinpath(file.name).exists():
            scripts.joinpath(file.name).symlink_to(Path(distribution.locate_file(file)).resolve())


def make_project_environment(path: Path, requirements: list[str]) -> Path:
    """A venv at ``path`` that sees only ``requirements`` (and INSTALL_TOOLS) from this environment; its python."""
    venv.create(path, with_pip=False)
    python = path / "bin" / "python"
    probe = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True).stdout.strip())
    for distribution in required_distributions([*requirements, *INSTALL_TOOLS]):
        origin = Path(distribution.locate_file(""))
        for entry in top_level_entries(distribution):
            if not (site / entry).exists():
                (site / entry).symlink_to(origin / entry)
        add_commands(distribution, python)
    return python


def install_project(project: Path, venv_dir: Path) -> Path:
    """`pip install -e ".[dev]"` as the project's README says, offline, into its own environment; its python."""
    python = make_project_environment(venv_dir, project_requirements(project))
    command = [python, "-m", "pip", "install", "--no-index", "--no-build-isolation", "-e", ".[dev]"]
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode:
        raise RuntimeError(f"pip install failed in {project}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return python
