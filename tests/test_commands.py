"""The commands beside LightningCLI's (cv, tune, export): which projects have them, and the one line where
a project cannot run one."""

import os
import sys

import pytest

from .conftest import run

REFUSALS = [
    (
        {"task": "gan"},
        "cv",
        "error: cv does not work on a GAN: cross-validation compares folds by a validation metric, and a GAN has none",
    ),
    (
        {"task": "gan"},
        "tune",
        "error: tune does not work on a GAN: Lightning's learning-rate finder and batch-size scaler need automatic"
        " optimisation; a GAN steps its two optimizers by hand",
    ),
    (
        {"logger_tensorboard": False},
        "cv",
        "error: cv does not work here: cross-validation keeps each fold in a run folder of its own"
        " (logs/<name>/cv-<id>/fold_<k>), which TensorBoard or CSV logging makes, and this project was made"
        " without both",
    ),
]


@pytest.mark.parametrize(("answers", "command", "line"), REFUSALS, ids=["gan-cv", "gan-tune", "no-run-folders-cv"])
def test_a_command_the_project_cannot_run_is_refused_in_one_line(cookies, answers, command, line):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    project = result.project_path
    package = result.context["package_name"]
    before = sorted(path for path in project.rglob("*") if "__pycache__" not in path.parts)
    env = os.environ | {"PYTHONPATH": str(project / "src")}

    done = run(sys.executable, "-m", package, command, "--folds=3", cwd=project, env=env, timeout=120)

    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [line]
    assert sorted(path for path in project.rglob("*") if "__pycache__" not in path.parts) == before
    module = {"cv": "crossval.py", "tune": "tune.py"}[command]
    assert not (project / "src" / package / module).exists()  # a command it cannot run has no code in it


def test_every_task_but_the_gan_has_cv_and_tune_and_every_task_has_export(cookies):
    for task in ("image_classification", "tabular_classification", "regression", "gan"):
        result = cookies.bake(extra_context={"task": task})
        assert result.exit_code == 0, result.exception
        package = result.project_path / "src" / result.context["package_name"]
        present = {name for name in ("crossval.py", "tune.py", "export.py") if (package / name).is_file()}
        assert present == ({"export.py"} if task == "gan" else {"crossval.py", "tune.py", "export.py"}), task
