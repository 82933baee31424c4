"""Keep the files that the answers chose and remove the rest."""

import json
import shutil
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

PACKAGE = Path("src", ANSWERS["package_name"])
VARIANTS = PACKAGE / "variants"

# Whole-file alternatives in VARIANTS: answer -> value -> {variant: where it goes in the package}.
# Every variant not chosen is dropped with the folder.
CHOSEN_VARIANTS = {
    "task": {
        "image_classification": {"net_conv.py": "net.py", "model_classifier.py": "model.py"},
        "tabular_classification": {"net_mlp.py": "net.py", "model_classifier.py": "model.py"},
        "regression": {"net_mlp.py": "net.py", "model_regressor.py": "model.py"},
        "gan": {"net_gan.py": "net.py", "model_gan.py": "model.py"},
    },
}
# The figure drawn after each validation epoch depends on the task.
FIGURES = {
    "image_classification": "figures_confusion_matrix.py",
    "tabular_classification": "figures_confusion_matrix.py",
    "regression": "figures_predicted_vs_true.py",
    "gan": "figures_samples.py",
}
# The data module depends on the task and the source (the pre-generation hook refuses other pairs).
DATA_MODULES = {
    ("image_classification", "synthetic"): "data_synthetic_images.py",
    ("image_classification", "digits"): "data_digits.py",
    ("image_classification", "image_folder"): "data_image_folder.py",
    ("image_classification", "mnist"): "data_mnist.py",
    ("tabular_classification", "synthetic"): "data_synthetic_table.py",
    ("tabular_classification", "digits"): "data_digits.py",
    ("tabular_classification", "csv"): "data_csv.py",
    ("regression", "synthetic"): "data_synthetic_table.py",
    ("regression", "csv"): "data_csv.py",
    ("gan", "synthetic"): "data_synthetic_images.py",
    ("gan", "digits"): "data_digits.py",
    ("gan", "image_folder"): "data_image_folder.py",
    ("gan", "mnist"): "data_mnist.py",
}

# answer -> value it must have -> files that exist only for that value.
MANIFEST = {
    "torch_compile": {True: ["tests/test_compile.py"]},
    "callback_weight_histograms": {True: [str(PACKAGE / "weight_histograms.py"), "tests/test_weight_histograms.py"]},
    "callback_figures": {True: ["tests/test_figures.py"]},
    "callback_checkpoint": {True: ["tests/test_checkpoints.py"]},
    "logger_tensorboard": {True: ["tests/test_tensorboard.py"]},
    "logger_csv": {True: ["tests/test_csv_logger.py"]},
    "logger_wandb": {True: ["tests/test_wandb.py"]},
    "logger_mlflow": {True: ["tests/test_mlflow.py"]},
    "scheduler": {"plateau": ["tests/test_plateau.py"]},
    "data_source": {
        "mnist": ["tests/test_mnist_download.py"],
        "csv": [str(PACKAGE / "preprocessing.py"), "tests/test_csv_data.py"],
        "image_folder": ["tests/test_image_folder_data.py"],
    },
    "ci": {"github": [".github/workflows/tests.yml"], "gitlab": [".gitlab-ci.yml"]},
    "dockerfile": {True: ["Dockerfile", ".dockerignore"]},
}

# answer -> value -> files that do not work with that value.
UNSUPPORTED = {
    # The GAN's two networks take turns with their gradients, which FSDP's sharded parameters do not allow.
    "task": {"gan": ["configs/trainer/fsdp.yaml"]},
}


def remove_unchosen_files(answers: dict) -> None:
    for key, files_by_value in MANIFEST.items():
        for value, files in files_by_value.items():
            if answers[key] != value:
                for name in files:
                    Path(name).unlink()
    for key, files_by_value in UNSUPPORTED.items():
        for name in files_by_value.get(answers[key], []):
            Path(name).unlink()
    for folder in sorted({path for path in Path().rglob("*") if path.is_dir()}, reverse=True):
        if not any(folder.iterdir()):  # what held only removed files, such as .github/ without GitHub Actions
            folder.rmdir()


def place_variants(answers: dict) -> None:
    """Move the chosen whole-file variants into the package and drop the rest."""
    chosen = {
        variant: target for key, table in CHOSEN_VARIANTS.items() for variant, target in table[answers[key]].items()
    }
    chosen[DATA_MODULES[answers["task"], answers["data_source"]]] = "data.py"
    if answers["callback_figures"]:
        chosen[FIGURES[answers["task"]]] = "figures.py"
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
