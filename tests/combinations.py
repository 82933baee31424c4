"""The answer sets the template supports and refuses, as data.

SUPPORTED covers every value of every ML prompt and every pair of values that can meet (pairwise);
test_combinations.py checks that claim against cookiecutter.json and the hook's rules, so a new
prompt or value that the table misses fails the tests. INSTALLED names the sets whose rendered
project is installed and runs its own test suite; with the default project (SUPPORTED[0], which
test_rendered_project.py installs and tests) they exercise every value at least once, and between
them every figure the figures callback draws (confusion matrix, predicted against true, GAN samples).
"""

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
    "progress_bar",
)

# One answer set per row, one column per key of KEYS (y/n for yes/no). The first row is the default;
# the next four are INSTALLED. Made by a greedy pairwise search that started from those five.
_TABLE = """
task                    data_source   optimizer  scheduler  precision   compile  tb  csv  wandb  mlflow  ckpt  es  lrmon  hist  fig  bar
image_classification    synthetic     Adam       cosine     32-true     n        y   n    n      n       y     y   n      n     n    rich
regression              csv           SGD        plateau    16-mixed    y        y   y    n      y       y     n   y      n     y    rich
tabular_classification  digits        AdamW      step       bf16-mixed  n        y   y    y      n       n     y   y      n     y    tqdm
gan                     mnist         Adam       onecycle   32-true     n        y   n    n      y       y     n   n      y     y    rich
image_classification    image_folder  SGD        none       32-true     n        n   n    n      n       n     n   n      n     n    tqdm
regression              synthetic     AdamW      none       16-mixed    y        y   n    y      y       n     y   y      y     n    tqdm
tabular_classification  digits        Adam       onecycle   bf16-mixed  y        n   y    y      y       y     n   n      n     n    rich
gan                     mnist         AdamW      cosine     32-true     y        n   y    y      n       n     n   y      n     n    tqdm
regression              csv           Adam       plateau    16-mixed    n        n   n    y      n       n     y   n      n     n    tqdm
image_classification    image_folder  AdamW      step       bf16-mixed  y        y   y    n      y       y     y   y      y     y    rich
tabular_classification  digits        SGD        cosine     bf16-mixed  y        y   n    n      y       y     y   y      y     y    tqdm
gan                     synthetic     SGD        step       bf16-mixed  y        n   y    y      y       n     n   n      n     n    rich
image_classification    image_folder  Adam       onecycle   16-mixed    y        y   y    y      n       n     y   y      y     y    tqdm
tabular_classification  csv           AdamW      none       bf16-mixed  y        y   y    y      y       y     y   n      y     y    rich
tabular_classification  synthetic     AdamW      plateau    32-true     y        y   y    y      y       y     y   y      y     y    rich
image_classification    mnist         Adam       step       16-mixed    y        y   n    y      y       y     y   y      y     y    rich
gan                     digits        Adam       none       16-mixed    y        y   y    y      y       y     n   y      y     y    rich
regression              csv           AdamW      onecycle   32-true     y        y   y    y      y       y     y   y      y     y    rich
image_classification    mnist         SGD        plateau    bf16-mixed  y        y   y    y      y       y     y   y      n     n    rich
regression              csv           Adam       cosine     bf16-mixed  y        y   y    y      y       y     y   y      y     y    rich
regression              csv           Adam       step       32-true     y        y   y    y      y       y     y   y      y     y    rich
gan                     image_folder  Adam       cosine     16-mixed    y        y   y    y      y       y     n   y      y     y    rich
tabular_classification  synthetic     SGD        onecycle   16-mixed    y        y   y    y      y       y     y   y      y     y    rich
image_classification    digits        Adam       plateau    32-true     y        y   y    y      y       y     y   y      y     y    rich
image_classification    image_folder  Adam       plateau    32-true     y        y   y    y      y       y     y   y      y     y    rich
image_classification    mnist         Adam       none       32-true     y        y   y    y      y       y     y   y      y     y    rich
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

# Answer sets the pre-generation hook refuses, with a fragment of the one line it prints.
UNSUPPORTED = [
    ({"task": "regression", "data_source": "mnist"}, "data_source mnist has class labels"),
    ({"task": "tabular_classification", "data_source": "image_folder"}, "data_source image_folder holds images"),
    ({"task": "image_classification", "data_source": "csv"}, "data_source csv holds rows of numbers, not images"),
    ({"task": "regression", "data_source": "digits"}, "data_source digits has class labels"),
    (
        {"task": "gan", "data_source": "csv", "callback_early_stopping": False},
        "data_source csv holds rows of numbers, not images: for gan",
    ),
    ({"task": "gan"}, "a GAN's losses do not settle, so there is nothing to stop early on"),
    ({"task": "gan", "scheduler": "plateau", "callback_early_stopping": False}, "scheduler plateau needs a validation"),
    (
        {"callback_weight_histograms": True, "logger_tensorboard": False},
        "callback_weight_histograms writes to TensorBoard",
    ),
    ({"callback_figures": True, "logger_tensorboard": False}, "callback_figures draws into TensorBoard"),
    (
        {
            "callback_lr_monitor": True,
            "logger_tensorboard": False,
            "logger_csv": False,
            "logger_wandb": False,
            "logger_mlflow": False,
        },
        "callback_lr_monitor needs a logger",
    ),
]

# Values outside the choices: cookiecutter itself refuses them before anything is rendered.
INVALID_VALUES = [
    ({"task": "diffusion"}, "diffusion provided for choice variable task"),
    ({"optimizer": "Adamm"}, "Adamm provided for choice variable optimizer"),
    ({"scheduler": "linear"}, "linear provided for choice variable scheduler"),
    ({"precision": "64-true"}, "64-true provided for choice variable precision"),
    ({"logger_csv": "maybe"}, "maybe provided for variable logger_csv could not be converted to a boolean"),
]
