"""The answer sets the template's tests render, as data, and what cookiecutter.json says of answers.

SUPPORTED covers every value of every ML prompt and every pair of values that can meet (pairwise);
test_combinations.py checks that claim against cookiecutter.json and its table of option facts (the
pairs it adapts or refuses are left out), so a new prompt or value that the table misses fails the
tests. INSTALLED names the sets whose rendered project is installed and runs its own test suite; with
the default project (SUPPORTED[0], which test_rendered_project.py installs and tests) they exercise
every value at least once, and between them every figure the figures callback draws (confusion
matrix, predicted against true, GAN samples).
"""

import json

from .conftest import TEMPLATE_DIR

TEMPLATE = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
TASKS = TEMPLATE["_tasks"]
ADAPT = TEMPLATE["_adapt"]
FILES = TEMPLATE["_files"]


def options(key: str) -> list:
    values = TEMPLATE[key]
    return [True, False] if isinstance(values, bool) else values


def default(key: str):
    values = TEMPLATE[key]
    return values if isinstance(values, bool) else values[0]


def matches(answers: dict, condition: dict) -> bool:
    """Whether the answers (all of them, or a pair) meet every answer of the condition."""
    return all(key in answers and answers[key] == value for key, value in condition.items())


def kept(answers: dict, entry: dict) -> bool:
    """Whether the answers keep the files of a `_files` entry: its `when`, or none of its `unless` conditions."""
    if "when" in entry:
        return matches(answers, entry["when"])
    unless = entry["unless"] if isinstance(entry["unless"], list) else [entry["unless"]]
    return not any(matches(answers, condition) for condition in unless)


def adapted(answers: dict) -> bool:
    return any(matches(answers, rule["when"]) for rule in ADAPT)


def refused(answers: dict) -> bool:
    """A task with a data source it cannot learn from, that no adaptation mends."""
    if "task" not in answers or "data_source" not in answers or adapted(answers):
        return False
    return answers["data_source"] not in TASKS[answers["task"]]["data_modules"]


REFUSED_PAIRS = [
    {"task": task, "data_source": source}
    for task in options("task")
    for source in options("data_source")
    if refused({"task": task, "data_source": source})
]

KEYS = (
    "task",
    "data_source",
    "optimizer",
    "scheduler",
    "precision",
    "torch_compile",
    "logger_tensorboard",
    "logger_csv",
    "logger_wandb",
    "logger_mlflow",
    "callback_checkpoint",
    "callback_early_stopping",
    "callback_lr_monitor",
    "callback_weight_histograms",
    "callback_figures",
    "experiments",
    "progress_bar",
)

# One answer set per row, one column per key of KEYS (y/n for yes/no). The first row is the default;
# the next four are INSTALLED. Made by a greedy pairwise search that started from those five.
_TABLE = """
task                    data_source   optimizer  scheduler  precision   compile  tb  csv  wandb  mlflow  ckpt  es  lrmon  hist  fig  exp  bar
image_classification    synthetic     Adam       cosine     32-true     n        y   n    n      n       y     y   n      n     n    n    rich
regression              csv           SGD        plateau    16-mixed    y        y   y    n      y       y     n   y      n     y    n    rich
tabular_classification  digits        AdamW      step       bf16-mixed  n        y   y    y      n       n     y   y      n     y    y    tqdm
gan                     mnist         Adam       onecycle   32-true     n        y   n    n      y       y     n   n      y     y    n    rich
image_classification    image_folder  SGD        none       32-true     n        n   n    n      n       n     n   n      n     n    n    tqdm
regression              synthetic     AdamW      none       16-mixed    y        y   n    y      y       n     y   y      y     n    y    tqdm
tabular_classification  digits        Adam       onecycle   bf16-mixed  y        n   y    y      y       y     n   n      n     n    y    rich
gan                     mnist         AdamW      cosine     32-true     y        n   y    y      n       n     n   y      n     n    n    tqdm
regression              csv           Adam       plateau    16-mixed    n        n   n    y      n       n     y   n      n     n    n    tqdm
image_classification    image_folder  AdamW      step       bf16-mixed  y        y   y    n      y       y     y   y      y     y    y    rich
tabular_classification  digits        SGD        cosine     bf16-mixed  y        y   n    n      y       y     y   y      y     y    y    tqdm
gan                     synthetic     SGD        step       bf16-mixed  y        n   y    y      y       n     n   n      n     n    n    rich
image_classification    image_folder  Adam       onecycle   16-mixed    y        y   y    y      n       n     y   y      y     y    n    tqdm
tabular_classification  csv           AdamW      none       bf16-mixed  y        y   y    y      y       y     y   n      y     y    n    rich
tabular_classification  synthetic     AdamW      plateau    32-true     y        y   y    y      y       y     y   y      y     y    n    rich
image_classification    mnist         Adam       step       16-mixed    y        y   n    y      y       y     y   y      y     y    n    rich
gan                     digits        Adam       none       16-mixed    y        y   y    y      y       y     n   y      y     y    n    rich
regression              csv           AdamW      onecycle   32-true     y        y   y    y      y       y     y   y      y     y    y    rich
image_classification    mnist         SGD        plateau    bf16-mixed  y        y   y    y      y       y     y   y      n     n    y    rich
regression              csv           Adam       cosine     bf16-mixed  y        y   y    y      y       y     y   y      y     y    n    rich
regression              csv           Adam       step       32-true     y        y   y    y      y       y     y   y      y     y    n    rich
gan                     image_folder  Adam       cosine     16-mixed    y        y   y    y      y       y     n   y      y     y    n    rich
tabular_classification  synthetic     SGD        onecycle   16-mixed    y        y   y    y      y       y     y   y      y     y    n    rich
image_classification    digits        Adam       plateau    32-true     y        y   y    y      y       y     y   y      y     y    n    rich
image_classification    image_folder  Adam       plateau    32-true     y        y   y    y      y       y     y   y      y     y    n    rich
image_classification    mnist         Adam       none       32-true     y        y   y    y      y       y     y   y      y     y    n    rich
"""  # noqa: E501


def _value(cell: str) -> str | bool:
    return {"y": True, "n": False}.get(cell, cell)


def answer_set_id(answers: dict) -> str:
    """A readable test id, e.g. image-synthetic-adam-cosine-32-true-tb-ckpt-es-rich."""
    flags = {
        "torch_compile": "compile",
        "logger_tensorboard": "tb",
        "logger_csv": "csv",
        "logger_wandb": "wandb",
        "logger_mlflow": "mlflow",
        "callback_checkpoint": "ckpt",
        "callback_early_stopping": "es",
        "callback_lr_monitor": "lrmon",
        "callback_weight_histograms": "hist",
        "callback_figures": "fig",
        "experiments": "exp",
    }
    task = {"image_classification": "image", "tabular_classification": "tabular"}.get(answers["task"], answers["task"])
    parts = [task, answers["data_source"], answers["optimizer"].lower()]
    parts += [answers["scheduler"], answers["precision"]]
    parts += [short for key, short in flags.items() if answers[key]]
    parts.append(answers["progress_bar"])
    return "-".join(parts)


_HEADER, *_ROWS = _TABLE.strip().splitlines()
SUPPORTED = [dict(zip(KEYS, map(_value, row.split()), strict=True)) for row in _ROWS]
INSTALLED = SUPPORTED[1:5]
# The tests of the cv, tune and export commands take 25 to 45 s each: the default project and the CSV
# classifier (test_user_data.py) run them all; each installed set runs those its answers bear on
# (a regression exported in its target's units; cv with two run-folder loggers beside the experiment
# commands; a GAN's generator; an export without loggers or checkpoints).
COMMAND_TESTS = ("tests/test_crossval.py", "tests/test_tune.py", "tests/test_export.py")
INSTALLED_COMMAND_TESTS = [
    ("tests/test_export.py",),
    ("tests/test_crossval.py",),
    ("tests/test_export.py",),
    ("tests/test_export.py",),
]

# Values outside the choices: cookiecutter itself refuses them before anything is rendered.
INVALID_VALUES = [
    ({"task": "diffusion"}, "diffusion provided for choice variable task"),
    ({"optimizer": "Adamm"}, "Adamm provided for choice variable optimizer"),
    ({"scheduler": "linear"}, "linear provided for choice variable scheduler"),
    ({"precision": "64-true"}, "64-true provided for choice variable precision"),
    ({"logger_csv": "maybe"}, "maybe provided for variable logger_csv could not be converted to a boolean"),
]
