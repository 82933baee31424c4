"""Refuse answers that would render a broken project, with one line that says what to type instead."""

import json
import keyword
import re
import sys

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

# Modules the rendered project imports or that Python itself needs: a package of that name would shadow them.
RESERVED_PACKAGE_NAMES = {
    "torch", "pytorch_lightning", "lightning", "torchmetrics", "tensorboard", "jsonargparse", "numpy", "yaml",
    "matplotlib", "sklearn", "wandb", "mlflow", "rich", "tqdm",
    "tests", "test", "src", "data", "logs", "configs",
    "os", "sys", "io", "re", "json", "math", "random", "time", "types", "typing", "copy", "abc", "pathlib",
    "collections", "functools", "itertools", "logging", "subprocess", "shutil", "tempfile", "dataclasses",
    "argparse", "string", "enum", "inspect", "pickle", "csv", "unittest", "warnings", "signal", "site",
}  # fmt: skip
# Combinations that cannot work: when every answer in "when" matches, the bake stops with "message".
# The template's tests read this table too. (Cookiecutter itself refuses values that are not among the choices.)
RULES = [
    {
        "when": {"task": "image_classification", "data_source": "csv"},
        "message": "data_source csv holds rows of numbers, not images: for image_classification choose synthetic"
        " or digits, or choose task tabular_classification or regression",
    },
    {
        "when": {"task": "tabular_classification", "data_source": "image_folder"},
        "message": "data_source image_folder holds images, not rows of numbers: for tabular_classification choose"
        " synthetic, digits or csv, or choose task image_classification",
    },
    {
        "when": {"task": "tabular_classification", "data_source": "mnist"},
        "message": "data_source mnist holds images: for tabular_classification choose synthetic, digits or csv,"
        " or choose task image_classification",
    },
    {
        "when": {"task": "regression", "data_source": "image_folder"},
        "message": "data_source image_folder has class labels, not numbers to predict: for regression choose"
        " synthetic or csv, or choose task image_classification",
    },
    {
        "when": {"task": "regression", "data_source": "mnist"},
        "message": "data_source mnist has class labels, not numbers to predict: for regression choose synthetic"
        " or csv, or choose task image_classification",
    },
    {
        "when": {"task": "regression", "data_source": "digits"},
        "message": "data_source digits has class labels, not numbers to predict: for regression choose synthetic"
        " or csv, or choose task image_classification or tabular_classification",
    },
    {
        "when": {"task": "gan", "data_source": "csv"},
        "message": "data_source csv holds rows of numbers, not images: for gan choose synthetic, digits, image_folder"
        " or mnist, or choose task tabular_classification or regression",
    },
    {
        "when": {"task": "gan", "callback_early_stopping": True},
        "message": "a GAN's losses do not settle, so there is nothing to stop early on: for gan answer no to"
        " callback_early_stopping",
    },
    {
        "when": {"task": "gan", "scheduler": "plateau"},
        "message": "scheduler plateau needs a validation loss that should fall, which a GAN has not: for gan choose"
        " cosine, none, step or onecycle",
    },
    {
        "when": {"callback_weight_histograms": True, "logger_tensorboard": False},
        "message": "callback_weight_histograms writes to TensorBoard: answer yes to logger_tensorboard, or no to"
        " callback_weight_histograms",
    },
    {
        "when": {"callback_figures": True, "logger_tensorboard": False},
        "message": "callback_figures draws into TensorBoard: answer yes to logger_tensorboard, or no to"
        " callback_figures",
    },
    {
        "when": {
            "callback_lr_monitor": True,
            "logger_tensorboard": False,
            "logger_csv": False,
            "logger_wandb": False,
            "logger_mlflow": False,
        },
        "message": "callback_lr_monitor needs a logger to write to: answer yes to one of logger_tensorboard,"
        " logger_csv, logger_wandb or logger_mlflow, or no to callback_lr_monitor",
    },
]
SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_package_name(name: str) -> str | None:
    if not name.isidentifier() or not name.isascii() or name != name.lower():
        return (
            f"package_name {name!r} is not an importable name:"
            " use lowercase letters, digits and underscores, starting with a letter"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"package_name {name!r} is a Python keyword: choose another name, e.g. '{name}_model'"
    if name in RESERVED_PACKAGE_NAMES:
        return (
            f"package_name {name!r} would shadow a module the project needs: choose another name, e.g. '{name}_project'"
        )
    return None


def check_project_slug(slug: str) -> str | None:
    if not SLUG.match(slug):
        return (
            f"project_slug {slug!r} is not a valid folder and distribution name:"
            " use lowercase letters, digits and single dashes, e.g. 'my-project'"
        )
    return None


def check_author_email(email: str) -> str | None:
    if not EMAIL.match(email):
        return f"author_email {email!r} does not look like an e-mail address: type one like 'name@example.com'"
    return None


def check_rules(answers: dict) -> list[str]:
    return [rule["message"] for rule in RULES if all(answers[key] == value for key, value in rule["when"].items())]


def main() -> int:
    errors = [
        error
        for error in (
            check_package_name(ANSWERS["package_name"]),
            check_project_slug(ANSWERS["project_slug"]),
            check_author_email(ANSWERS["author_email"]),
        )
        if error
    ]
    errors += check_rules(ANSWERS)
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
