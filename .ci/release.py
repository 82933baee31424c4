"""Release the template: `make release VERSION=X.Y.Z` (or `python3 .ci/release.py X.Y.Z`).

Bumps `_template_version` in cookiecutter.json, moves the CHANGELOG's `## Unreleased` section under
`## X.Y.Z - YYYY-MM-DD` (leaving an empty Unreleased section above it), commits "Release X.Y.Z" and
creates the annotated tag `vX.Y.Z`. It refuses, in one line and before changing anything, a dirty work
tree, a version that is not X.Y.Z or not greater than the current one, a tag that exists, and an empty
Unreleased section. Standard library only: it runs from a fresh clone without the development environment.
"""

import argparse
import datetime
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "cookiecutter.json"
CHANGELOG = ROOT / "CHANGELOG.md"
VERSION = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
# The one line of cookiecutter.json that holds the version; replacing it keeps the rest byte for byte.
VERSION_LINE = re.compile(r'^(\s*"_template_version":\s*")([^"]*)(")', flags=re.MULTILINE)
UNRELEASED = re.compile(r"^## Unreleased[ \t]*\n", flags=re.MULTILINE)
NEXT_SECTION = re.compile(r"^## ", flags=re.MULTILINE)


class Refused(Exception):
    """A reason not to release, said in one line."""


def git(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines() or ["(no output)"]
        raise Refused(f"`git {' '.join(args)}` failed: {lines[-1]}")
    return result


def parse(version: str) -> tuple[int, ...]:
    if not VERSION.fullmatch(version):
        raise Refused(f"the version must be X.Y.Z (three whole numbers, no leading zeros or 'v'), not {version!r}")
    return tuple(int(part) for part in version.split("."))


def check_clean() -> None:
    if git("rev-parse", "--is-inside-work-tree", check=False).stdout.strip() != "true":
        raise Refused(f"{ROOT} is not a git work tree")
    changed = [line[3:] for line in git("status", "--porcelain", "--untracked-files=all").stdout.splitlines()]
    if changed:
        more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
        listed = ", ".join(changed[:3]) + more
        raise Refused(f"the work tree is not clean ({listed}): commit or remove the changes first")


def current_version(config: str) -> str:
    match = VERSION_LINE.search(config)
    if match is None or json.loads(config).get("_template_version") != match.group(2):
        raise Refused("cookiecutter.json has no one-line `_template_version` entry")
    if not VERSION.fullmatch(match.group(2)):
        raise Refused(f"cookiecutter.json's `_template_version` {match.group(2)!r} is not X.Y.Z")
    return match.group(2)


def unreleased_section(changelog: str) -> tuple[int, int]:
    """Where the Unreleased section's body starts and ends in the CHANGELOG."""
    heading = UNRELEASED.search(changelog)
    if heading is None:
        raise Refused("CHANGELOG.md has no `## Unreleased` section to release")
    following = NEXT_SECTION.search(changelog, heading.end())
    end = following.start() if following else len(changelog)
    body = changelog[heading.end() : end]
    if not [line for line in body.splitlines() if line.strip() and not line.lstrip().startswith("#")]:
        raise Refused("CHANGELOG.md's Unreleased section is empty: add what this release changes first")
    return heading.end(), end


def release(version: str, date: str) -> str:
    new = parse(version)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        raise Refused(f"the date must be YYYY-MM-DD, not {date!r}")
    check_clean()
    config, changelog = CONFIG.read_text(encoding="utf-8"), CHANGELOG.read_text(encoding="utf-8")
    current = current_version(config)
    if new <= parse(current):
        raise Refused(f"{version} is not greater than the current version {current} (cookiecutter.json)")
    tag = f"v{version}"
    if git("rev-parse", "--quiet", "--verify", f"refs/tags/{tag}", check=False).returncode == 0:
        raise Refused(f"the tag {tag} exists already")
    start, end = unreleased_section(changelog)
    git("var", "GIT_COMMITTER_IDENT")  # no identity: refuse now rather than after writing the files

    new_config = VERSION_LINE.sub(lambda match: match.group(1) + version + match.group(3), config, count=1)
    body = changelog[start:end].strip("\n")
    new_changelog = f"{changelog[:start]}\n## {version} - {date}\n\n{body}\n\n{changelog[end:]}".rstrip("\n") + "\n"
    try:
        CONFIG.write_text(new_config, encoding="utf-8")
        CHANGELOG.write_text(new_changelog, encoding="utf-8")
        git("add", "--", CONFIG.name, CHANGELOG.name)
        git("commit", "--quiet", "-m", f"Release {version}", "--", CONFIG.name, CHANGELOG.name)
    except (OSError, Refused):
        CONFIG.write_text(config, encoding="utf-8")
        CHANGELOG.write_text(changelog, encoding="utf-8")
        git("reset", "--quiet", "--", CONFIG.name, CHANGELOG.name, check=False)
        raise
    git("tag", "--annotate", tag, "-m", f"Release {version}")
    return tag


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", help="the new version, X.Y.Z, greater than cookiecutter.json's")
    parser.add_argument("--date", default=datetime.date.today().isoformat(), help="the release date (today)")
    args = parser.parse_args(argv)
    try:
        tag = release(args.version, args.date)
    except Refused as reason:
        print(f"release: refused: {reason}", file=sys.stderr)
        return 1
    print(f"Released {args.version}: commit 'Release {args.version}' and tag {tag}.")
    print(f"Publish both with: git push origin HEAD {tag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
