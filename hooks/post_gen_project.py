"""Keep the files that the answers chose and remove the rest."""

import json
import shutil
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

# answer -> value it must have -> files that exist only for that value.
MANIFEST = {
    "callback_checkpoint": {True: ["tests/test_checkpoints.py"]},
    "logger_tensorboard": {True: ["tests/test_tensorboard.py"]},
    "logger_csv": {True: ["tests/test_csv_logger.py"]},
    "scheduler": {"plateau": ["tests/test_plateau.py"]},
}


def remove_unchosen_files(answers: dict) -> None:
    for key, files_by_value in MANIFEST.items():
        for value, files in files_by_value.items():
            if answers[key] != value:
                for name in files:
                    Path(name).unlink()


def keep_license(choice: str) -> None:
    """Move the chosen license text to LICENSE; drop the others."""
    licenses = Path("licenses")
    if choice != "none":
        (licenses / choice).replace("LICENSE")
    shutil.rmtree(licenses)


def main() -> None:
    remove_unchosen_files(ANSWERS)
    keep_license(ANSWERS["license"])


if __name__ == "__main__":
    main()
