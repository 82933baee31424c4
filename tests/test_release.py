"""`make release VERSION=X.Y.Z` on a throwaway clone: the commit, the tag, the version, the CHANGELOG, and
cookiecutter rendering the tag; and its refusals, each one line that changes nothing."""

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import TEMPLATE_DIR, run

# The release tooling and the CHANGELOG as they are in this working tree (committed or not) go into the clone.
RELEASE_FILES = ("Makefile", ".ci/release.py", "CHANGELOG.md")
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.org",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.org",
    # No signing, hooks or editors from the developer's own git configuration.
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(*args: str, cwd: Path) -> str:
    result = run("git", *args, cwd=cwd, env=ENV)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def version_of(clone: Path) -> str:
    return json.loads((clone / "cookiecutter.json").read_text())["_template_version"]


def next_minor(version: str) -> str:
    major, minor, _ = (int(part) for part in version.split("."))
    return f"{major}.{minor + 1}.0"


def add_unreleased_entry(clone: Path) -> None:
    changelog = clone / "CHANGELOG.md"
    text = changelog.read_text()
    assert "\n## Unreleased\n\n" in text, "CHANGELOG.md must keep an `## Unreleased` section for the next release"
    changelog.write_text(text.replace("\n## Unreleased\n\n", "\n## Unreleased\n\n- A change in this release.\n\n", 1))


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A clone of this repository with the working tree's RELEASE_FILES and an entry under Unreleased."""
    path = tmp_path / "template"
    git("clone", "--quiet", str(TEMPLATE_DIR), str(path), cwd=tmp_path)
    for name in RELEASE_FILES:
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(TEMPLATE_DIR / name, path / name)
    add_unreleased_entry(path)
    git("add", "--", *RELEASE_FILES, cwd=path)
    git("commit", "--quiet", "-m", "Work for the next release", cwd=path)
    return path


def release_command(version: str) -> list[str]:
    if shutil.which("make"):
        return ["make", "--no-print-directory", "release", f"VERSION={version}"]
    return [sys.executable, ".ci/release.py", version]  # what the Makefile runs, where there is no make


def state(clone: Path) -> dict[str, object]:
    return {
        "head": git("rev-parse", "HEAD", cwd=clone),
        "status": git("status", "--porcelain", "--untracked-files=all", cwd=clone),
        "tags": git("tag", "--list", cwd=clone),
        "cookiecutter.json": (clone / "cookiecutter.json").read_bytes(),
        "CHANGELOG.md": (clone / "CHANGELOG.md").read_bytes(),
    }


def test_release_commits_tags_and_the_tag_renders(clone: Path, tmp_path: Path) -> None:
    current = version_of(clone)
    version, tag = next_minor(current), f"v{next_minor(current)}"
    config_before, changelog_before = (clone / "cookiecutter.json").read_text(), (clone / "CHANGELOG.md").read_text()
    work = git("rev-parse", "HEAD", cwd=clone)

    before = datetime.date.today().isoformat()
    result = run(*release_command(version), cwd=clone, env=ENV)
    dates = {before, datetime.date.today().isoformat()}
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Released {version}" in result.stdout

    # One commit on top of the work, touching the version and the CHANGELOG only, and a clean tree.
    assert git("log", "-1", "--format=%s", cwd=clone) == f"Release {version}"
    assert git("rev-parse", "HEAD~1", cwd=clone) == work
    assert set(git("show", "--name-only", "--format=", "HEAD", cwd=clone).splitlines()) == {
        "cookiecutter.json",
        "CHANGELOG.md",
    }
    assert git("status", "--porcelain", "--untracked-files=all", cwd=clone) == ""

    # An annotated tag on that commit.
    assert git("cat-file", "-t", tag, cwd=clone) == "tag"
    assert git("rev-parse", f"{tag}^{{commit}}", cwd=clone) == git("rev-parse", "HEAD", cwd=clone)
    assert git("tag", "--list", "--format=%(contents:subject)", tag, cwd=clone) == f"Release {version}"

    # cookiecutter.json: the version, and nothing else (same line layout, same key order).
    config_after = (clone / "cookiecutter.json").read_text()
    assert version_of(clone) == version
    lines = list(zip(config_before.splitlines(), config_after.splitlines(), strict=True))
    changed = [(old, new) for old, new in lines if old != new]
    assert len(changed) == 1 and '"_template_version": ' in changed[0][0]
    assert changed[0][1] == changed[0][0].replace(f'"{current}"', f'"{version}"')
    assert list(json.loads(config_after)) == list(json.loads(config_before))

    # CHANGELOG: an empty Unreleased section, then the release, dated, holding what Unreleased held.
    changelog = (clone / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## .*$", changelog, flags=re.MULTILINE)
    (date,) = [d for d in dates if f"## {version} - {d}" in headings]
    assert headings[:2] == ["## Unreleased", f"## {version} - {date}"]
    assert re.match(rf"## {re.escape(current)}( - \d{{4}}-\d{{2}}-\d{{2}})?$", headings[2])
    assert f"## Unreleased\n\n## {version} - {date}\n\n- A change in this release.\n" in changelog
    assert changelog.replace(f"## {version} - {date}\n\n", "", 1) == changelog_before

    # The template moves on; cookiecutter renders the tag, not the newest commit.
    config = clone / "cookiecutter.json"
    config.write_text(config.read_text().replace(f'"_template_version": "{version}"', '"_template_version": "99.0.0"'))
    git("commit", "--quiet", "-am", "After the release", cwd=clone)
    user_config = tmp_path / "cookiecutterrc.yaml"
    user_config.write_text(f"cookiecutters_dir: '{tmp_path / 'cache'}'\nreplay_dir: '{tmp_path / 'replay'}'\n")
    out = tmp_path / "out"
    url = f"git+file://{clone}"  # a plain local path ignores --checkout; a git URL is cloned, as gh:ORG/REPO is
    command = [sys.executable, "-m", "cookiecutter", "--config-file", user_config, "--no-input"]
    rendered = run(*command, url, "--checkout", tag, "-o", out, cwd=tmp_path, env=ENV)
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    (project,) = list(out.iterdir())
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["tool"]["lightning-template"]["version"] == version
    assert f"release {version}" in (project / "README.md").read_text()


def dirty(clone: Path) -> str:
    with (clone / "README.md").open("a") as readme:
        readme.write("\nAn edit not committed.\n")
    return next_minor(version_of(clone))


def untracked(clone: Path) -> str:
    (clone / "notes.txt").write_text("not added\n")
    return next_minor(version_of(clone))


def existing_tag(clone: Path) -> str:
    version = next_minor(version_of(clone))
    git("tag", f"v{version}", cwd=clone)
    return version


def empty_unreleased(clone: Path) -> str:
    changelog = clone / "CHANGELOG.md"
    text = changelog.read_text()
    start = text.index("## Unreleased\n") + len("## Unreleased\n")
    end = text.index("\n## ", start) + 1
    changelog.write_text(text[:start] + "\n### Added\n\n" + text[end:])  # a subheading alone is still empty
    git("commit", "--quiet", "-am", "Nothing to release", cwd=clone)
    return next_minor(version_of(clone))


def no_unreleased(clone: Path) -> str:
    changelog = clone / "CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace("## Unreleased\n", "", 1))
    git("commit", "--quiet", "-am", "No Unreleased heading", cwd=clone)
    return next_minor(version_of(clone))


def same_version(clone: Path) -> str:
    return version_of(clone)


def lower_version(clone: Path) -> str:
    major, minor, patch = (int(part) for part in version_of(clone).split("."))
    return f"{major}.{minor}.{patch - 1}" if patch else f"{major}.{minor - 1}.9" if minor else "0.0.0"


def fixed(version: str) -> Callable[[Path], str]:
    return lambda clone: version


REFUSALS = {
    "dirty": (dirty, "not clean"),
    "untracked": (untracked, "not clean"),
    "existing_tag": (existing_tag, "exists already"),
    "empty_unreleased": (empty_unreleased, "Unreleased section is empty"),
    "no_unreleased": (no_unreleased, "no `## Unreleased` section"),
    "same_version": (same_version, "not greater than the current version"),
    "lower_version": (lower_version, "not greater than the current version"),
    "two_numbers": (fixed("1.0"), "must be X.Y.Z"),
    "v_prefix": (fixed("v9.0.0"), "must be X.Y.Z"),
    "leading_zero": (fixed("09.0.0"), "must be X.Y.Z"),
    "suffix": (fixed("9.0.0-rc1"), "must be X.Y.Z"),
    "empty": (fixed(""), "must be X.Y.Z"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_release_refuses_in_one_line_and_changes_nothing(clone: Path, case: str) -> None:
    prepare, reason = REFUSALS[case]
    version = prepare(clone)
    before = state(clone)
    result = run(sys.executable, ".ci/release.py", version, cwd=clone, env=ENV)
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("release: refused: ") and reason in result.stderr, result.stderr
    assert state(clone) == before


@pytest.mark.skipif(not shutil.which("make"), reason="no make on this machine")
def test_make_release_passes_the_refusal_on(clone: Path) -> None:
    before = state(clone)
    for command in (["make", "release"], ["make", "release", "VERSION=1.0"]):
        result = run(*command, cwd=clone, env=ENV)
        assert result.returncode != 0
        assert "release: refused: the version must be X.Y.Z" in result.stderr
    assert state(clone) == before


def test_the_release_script_needs_only_the_standard_library() -> None:
    # It runs from a fresh clone before any environment exists: `python3 -I` sees no site-packages.
    result = subprocess.run(
        [sys.executable, "-I", "-S", str(TEMPLATE_DIR / ".ci" / "release.py"), "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
