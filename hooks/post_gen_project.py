"""Keep what the answers chose and remove the rest."""

import json
import shutil
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")


def keep_license(choice: str) -> None:
    """Move the chosen license text to LICENSE; drop the others."""
    licenses = Path("licenses")
    if choice != "none":
        (licenses / choice).replace("LICENSE")
    shutil.rmtree(licenses)


def main() -> None:
    keep_license(ANSWERS["license"])


if __name__ == "__main__":
    main()
