"""Keep the files that the answers chose and remove the rest.

Which files belong to which answers is the table of option facts in cookiecutter.json: `_tasks` names
each task's network, model, figure and data module per data source, `_files` the files that exist only
for some answers.
"""

import json
import shutil
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

PACKAGE = Path("src", ANSWERS["package_name"])
VARIANTS = PACKAGE / "variants"


def matches(answers: dict, condition: dict) -> bool:
    return all(answers[key] == value for key, value in condition.items())


def kept(answers: dict, entry: dict) -> bool:
    """Whether the answers keep an entry's files: they meet its ``when``, or none of its ``unless`` conditions."""
    if "when" in entry:
        return matches(answers, entry["when"])
    unless = entry["unless"] if isinstance(entry["unless"], list) else [entry["unless"]]
    return not any(matches(answers, condition) for condition in unless)


def remove_unchosen_files(answers: dict) -> None:
    for entry in answers["_files"]:
        if not kept(answers, entry):
            for name in entry["files"]:
                Path(name.format(package=answers["package_name"])).unlink()
    for folder in sorted({path for path in Path().rglob("*") if path.is_dir()}, reverse=True):
        if not any(folder.iterdir()):  # what held only removed files, such as .github/ without GitHub Actions
            folder.rmdir()


def place_variants(answers: dict) -> None:
    """Move the task's whole-file variants into the package and drop the rest."""
    task = answers["_tasks"][answers["task"]]
    chosen = {task["net"]: "net.py", task["model"]: "model.py", task["data_modules"][answers["data_source"]]: "data.py"}
    if answers["callback_figures"]:
        chosen[task["figures"]] = "figures.py"
    for variant, target in chosen.items():
        (VARIANTS / variant).replace(PACKAGE / target)
    shutil.rmtree(VARIANTS)


def keep_license(choice: str) -> None:
    """Move the chosen license text to LICENSE; drop the others."""
    licenses = Path("licenses")
    if choice != "none":
        (licenses / choice).replace("LICENSE")
    shutil.rmtree(licenses)


def main() -> None:
    place_variants(ANSWERS)
    remove_unchosen_files(ANSWERS)
    keep_license(ANSWERS["license"])


if __name__ == "__main__":
    main()
