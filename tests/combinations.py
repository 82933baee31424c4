"""The answer sets the template supports and refuses, as data.

SUPPORTED covers every value of every ML prompt and every pair of values that can meet (pairwise);
test_combinations.py checks that claim against cookiecutter.json and the hook's rules, so a new
prompt or value that the list misses fails the tests. INSTALLED names the sets whose rendered
project is installed and runs its own test suite; with the default project (SUPPORTED[0], which
test_rendered_project.py installs and tests) they exercise every value at least once.
"""

KEYS = (
    "task",
    "data_source",
    "optimizer",
    "scheduler",
    "precision",
    "logger_tensorboard",
    "logger_csv",
    "callback_checkpoint",
    "callback_early_stopping",
    "callback_lr_monitor",
    "progress_bar",
)

# One row per answer set, in the order of KEYS. The first row is the default.
_ROWS = [
    ("image_classification", "synthetic", "Adam", "cosine", "32-true", True, False, True, True, False, "rich"),
    ("image_classification", "digits", "SGD", "plateau", "16-mixed", False, True, False, False, True, "tqdm"),
    ("tabular_classification", "csv", "AdamW", "step", "bf16-mixed", True, True, False, False, False, "rich"),
    ("regression", "synthetic", "SGD", "none", "32-true", False, True, False, False, True, "rich"),
    ("image_classification", "mnist", "Adam", "onecycle", "bf16-mixed", False, True, False, True, True, "tqdm"),
    ("image_classification", "image_folder", "AdamW", "cosine", "32-true", False, True, False, False, True, "tqdm"),
    ("regression", "csv", "SGD", "onecycle", "bf16-mixed", True, False, True, True, True, "tqdm"),
    ("tabular_classification", "digits", "AdamW", "none", "16-mixed", False, False, True, True, False, "tqdm"),
    ("image_classification", "image_folder", "Adam", "step", "16-mixed", True, False, True, False, True, "rich"),
    ("image_classification", "mnist", "AdamW", "plateau", "32-true", True, False, False, False, False, "rich"),
    ("tabular_classification", "digits", "Adam", "onecycle", "32-true", True, True, True, False, True, "rich"),
    ("regression", "synthetic", "AdamW", "step", "16-mixed", False, True, False, True, False, "tqdm"),
    ("regression", "csv", "Adam", "plateau", "16-mixed", False, False, True, True, False, "tqdm"),
    ("image_classification", "image_folder", "SGD", "none", "bf16-mixed", True, False, False, False, False, "tqdm"),
    ("tabular_classification", "digits", "SGD", "cosine", "bf16-mixed", True, True, True, False, True, "rich"),
    ("tabular_classification", "synthetic", "AdamW", "plateau", "bf16-mixed", True, False, True, False, True, "rich"),
    ("image_classification", "image_folder", "AdamW", "onecycle", "16-mixed", True, False, False, True, False, "tqdm"),
    ("image_classification", "mnist", "SGD", "step", "16-mixed", True, False, True, False, False, "rich"),
    ("tabular_classification", "csv", "Adam", "none", "32-true", True, True, False, False, False, "tqdm"),
    ("regression", "csv", "SGD", "cosine", "16-mixed", True, False, False, False, False, "rich"),
    ("tabular_classification", "digits", "Adam", "step", "32-true", False, False, True, True, False, "tqdm"),
    ("tabular_classification", "synthetic", "AdamW", "onecycle", "bf16-mixed", True, False, False, True, False, "rich"),
    ("image_classification", "mnist", "SGD", "none", "bf16-mixed", False, False, False, False, False, "rich"),
    ("image_classification", "image_folder", "Adam", "plateau", "32-true", False, True, True, False, False, "tqdm"),
    ("image_classification", "mnist", "SGD", "cosine", "bf16-mixed", True, False, True, False, False, "tqdm"),
]


def answer_set_id(answers: dict) -> str:
    """A readable test id, e.g. image-synthetic-adam-cosine-32-true-tb-ckpt-es-rich."""
    flags = {
        "logger_tensorboard": "tb",
        "logger_csv": "csv",
        "callback_checkpoint": "ckpt",
        "callback_early_stopping": "es",
        "callback_lr_monitor": "lrmon",
    }
    task = {"image_classification": "image", "tabular_classification": "tabular", "regression": "regression"}
    parts = [task[answers["task"]], answers["data_source"], answers["optimizer"].lower()]
    parts += [answers["scheduler"], answers["precision"]]
    parts += [short for key, short in flags.items() if answers[key]]
    parts.append(answers["progress_bar"])
    return "-".join(parts)


SUPPORTED = [dict(zip(KEYS, row, strict=True)) for row in _ROWS]
INSTALLED = SUPPORTED[1:6]

# Answer sets the pre-generation hook refuses, with a fragment of the one line it prints.
UNSUPPORTED = [
    ({"task": "regression", "data_source": "mnist"}, "data_source mnist has class labels"),
    ({"task": "tabular_classification", "data_source": "image_folder"}, "data_source image_folder holds images"),
    ({"task": "image_classification", "data_source": "csv"}, "data_source csv holds rows of numbers, not images"),
    ({"task": "regression", "data_source": "digits"}, "data_source digits has class labels"),
    (
        {"callback_lr_monitor": True, "logger_tensorboard": False, "logger_csv": False},
        "callback_lr_monitor needs a logger",
    ),
]

# Values outside the choices: cookiecutter itself refuses them before anything is rendered.
INVALID_VALUES = [
    ({"optimizer": "Adamm"}, "Adamm provided for choice variable optimizer"),
    ({"scheduler": "linear"}, "linear provided for choice variable scheduler"),
    ({"precision": "64-true"}, "64-true provided for choice variable precision"),
    ({"logger_csv": "maybe"}, "maybe provided for variable logger_csv could not be converted to a boolean"),
]
