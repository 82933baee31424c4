"""Rendered projects on data this template did not make: scikit-learn's public tables and photos, saved as people do.

Each project is baked, installed into its own environment and run with its console script, as a user
runs it: `fit` with nothing but `--data.path` (and `--data.target`), then `predict` with the best
checkpoint. The results are checked against plain scikit-learn baselines on the same rows;
`pytest tests/test_user_data.py -s` prints them.
"""

import csv
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn import datasets
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

from .conftest import run
from .environments import install_project

PACKAGE = "lightning_project"
SCRIPT = "lightning-project"


class Installed:
    """A baked and installed project, and folders to run its console script in."""

    def __init__(self, project: Path, python: Path) -> None:
        self.project, self.python = project, python

    def workdir(self, path: Path) -> Path:
        """A folder that holds the project's configuration, as a user's project root does."""
        shutil.copytree(self.project / "configs", path / "configs")
        return path

    def command(self, cwd: Path, *args: str) -> str:
        """Run the console script in ``cwd``; its standard output. It must succeed."""
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        result = run(self.python.parent / SCRIPT, *args, cwd=cwd, env=env)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def failing(self, cwd: Path, *args: str) -> list[str]:
        """Run the console script in ``cwd``; the lines of its error output. It must fail with status 1."""
        result = run(self.python.parent / SCRIPT, *args, cwd=cwd)
        assert result.returncode == 1, result.stdout[-3000:]
        return result.stderr.splitlines()


def bake_and_install(cookies_session, tmp_path_factory: pytest.TempPathFactory, **answers: object) -> Installed:
    result = cookies_session.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    python = install_project(result.project_path, tmp_path_factory.mktemp("venv") / "venv")
    return Installed(result.project_path, python)


@pytest.fixture(scope="module")
def classifier(cookies_session, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return bake_and_install(cookies_session, tmp_path_factory, task="tabular_classification", data_source="csv")


@pytest.fixture(scope="module")
def regressor(cookies_session, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return bake_and_install(cookies_session, tmp_path_factory, task="regression", data_source="csv")


@pytest.fixture(scope="module")
def image_classifier(cookies_session, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return bake_and_install(cookies_session, tmp_path_factory, data_source="image_folder")


def best_checkpoint(workdir: Path) -> Path:
    (path,) = (workdir / "logs" / "default" / "version_0" / "checkpoints").glob("best-*.ckpt")
    return path


def read_predictions(workdir: Path) -> list[dict[str, str]]:
    with (workdir / "predictions" / "predictions.csv").open(newline="") as file:
        return list(csv.DictReader(file))


def public_table(name: str) -> pd.DataFrame:
    """A scikit-learn data set as a table whose target column holds the class names (or the numbers)."""
    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    table = bunch.frame
    if name != "diabetes":
        table["target"] = [str(bunch.target_names[index]) for index in table["target"]]
    return table


# How the tables are saved: each one as another program would.
SAVED = {
    "wine": lambda table, path: table.to_csv(path),  # pandas' default: the index is the first column
    "iris": lambda table, path: table.to_csv(  # Excel in much of Europe: semicolons, decimal commas, a BOM
        path, sep=";", decimal=",", index=False, encoding="utf-8-sig", lineterminator="\r\n"
    ),
    "breast_cancer": lambda table, path: table.to_csv(path, index=False, sep="\t"),
}


def test_the_csv_classifier_passes_its_own_tests(classifier: Installed) -> None:
    result = run(classifier.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=classifier.project)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


@pytest.mark.parametrize("name", SAVED)
def test_a_public_table_learns_as_well_as_logistic_regression(classifier: Installed, tmp_path: Path, name: str) -> None:
    table = public_table(name)
    workdir = classifier.workdir(tmp_path)
    save: Callable = SAVED[name]
    save(table, workdir / "table.csv")
    classifier.command(workdir, "fit", "--data.path=table.csv")
    classifier.command(workdir, "predict", "--data.path=table.csv", "--ckpt_path", str(best_checkpoint(workdir)))

    # predictions.csv holds the test split, each row named by its position in the file.
    predictions = read_predictions(workdir)
    test = [int(row["row"]) for row in predictions]
    predicted = [row["prediction"] for row in predictions]
    assert set(predicted) <= set(table["target"])  # the file's own labels
    accuracy = np.mean([label == table["target"][row] for row, label in zip(test, predicted, strict=True)])

    rest = table.drop(index=test)
    scaler = StandardScaler().fit(rest.drop(columns="target"))
    baseline = LogisticRegression(max_iter=5000).fit(scaler.transform(rest.drop(columns="target")), rest["target"])
    expected = baseline.score(scaler.transform(table.loc[test].drop(columns="target")), table["target"][test])
    print(f"{name}: test accuracy {accuracy:.3f}, logistic regression {expected:.3f} ({len(test)} rows)")
    assert accuracy >= expected - 0.05, (accuracy, expected)


def test_new_rows_are_predicted_in_order_with_the_checkpoint_alone(classifier: Installed, tmp_path: Path) -> None:
    table = public_table("wine")
    workdir = classifier.workdir(tmp_path)
    table.to_csv(workdir / "wine.csv")
    classifier.command(workdir, "fit", "--data.path=wine.csv")
    new = table.drop(columns="target").sample(frac=1, random_state=0)  # rows in another order, no labels
    new.insert(0, "bottle", [f"bottle {index}" for index in new.index])
    new.to_csv(workdir / "new.csv", index=False)
    (workdir / "wine.csv").unlink()  # the checkpoint carries what the model learned of its training data

    args = ["--data.predict_path=new.csv", "--data.id_column=bottle", "--ckpt_path", str(best_checkpoint(workdir))]
    classifier.command(workdir, "predict", *args)
    predictions = read_predictions(workdir)
    assert [row["bottle"] for row in predictions] == new["bottle"].tolist()
    labels = table["target"][new.index].tolist()
    assert np.mean([row["prediction"] == label for row, label in zip(predictions, labels, strict=True)]) >= 0.9


def test_a_public_regression_table_beats_the_mean_in_its_own_units(regressor: Installed, tmp_path: Path) -> None:
    table = public_table("diabetes")  # disease progression, 25 to 346: a target in the hundreds
    workdir = regressor.workdir(tmp_path)
    table.to_csv(workdir / "diabetes.csv")
    regressor.command(workdir, "fit", "--data.path=diabetes.csv")
    regressor.command(workdir, "predict", "--data.path=diabetes.csv", "--ckpt_path", str(best_checkpoint(workdir)))

    predictions = read_predictions(workdir)
    test = [int(row["row"]) for row in predictions]
    errors = np.abs(np.array([float(row["prediction"]) for row in predictions]) - table["target"][test].to_numpy())
    rest = table.drop(index=test)
    mean_error = np.abs(rest["target"].mean() - table["target"][test]).mean()
    features = rest.drop(columns="target")
    scaler = StandardScaler().fit(features)
    ridge = Ridge().fit(scaler.transform(features), rest["target"])
    ridge_error = np.abs(ridge.predict(scaler.transform(table.loc[test, features.columns])) - table["target"][test])
    print(f"diabetes: test MAE {errors.mean():.1f}, ridge {ridge_error.mean():.1f}, the training mean {mean_error:.1f}")
    assert errors.mean() < 0.75 * mean_error, (errors.mean(), mean_error)
    assert errors.mean() < 1.1 * ridge_error.mean(), (errors.mean(), ridge_error.mean())


def photo_crops(folder: Path, count: int, seed: int, class_folders: bool) -> dict[str, str]:
    """JPEG crops of scikit-learn's two sample photos (a temple in China, a flower): file name -> photo.

    With ``class_folders`` they go to ``folder/china/`` and ``folder/flower/``, else all into ``folder``.
    """
    generator = np.random.default_rng(seed)
    labels = {}
    for path in datasets.load_sample_images().filenames:
        label = Path(path).stem
        (folder / label if class_folders else folder).mkdir(parents=True, exist_ok=True)
        with Image.open(path) as photo:
            for index in range(count):
                left, top = generator.integers(0, photo.width - 96), generator.integers(0, photo.height - 96)
                name = f"{label}/{index:03d}.jpg" if class_folders else f"photo-{seed}-{label[0]}{index:03d}.jpg"
                photo.crop((left, top, left + 96, top + 96)).save(folder / name, quality=90)
                labels[name] = label
    return labels


def test_real_photos_train_a_truncated_one_is_named_and_new_ones_are_sorted(
    image_classifier: Installed, tmp_path: Path
) -> None:
    workdir = image_classifier.workdir(tmp_path)
    photo_crops(workdir / "data" / "images", count=60, seed=0, class_folders=True)
    # scikit-learn's own photo, cut off half-way as an interrupted copy leaves it.
    photo = Path(datasets.load_sample_images().filenames[1]).read_bytes()
    (workdir / "data" / "images" / "flower" / "cut.jpg").write_bytes(photo[: len(photo) // 2])

    (line,) = image_classifier.failing(workdir, "fit")[-1:]
    assert line.startswith("error: data/images/flower/cut.jpg is not a readable image (")
    assert not (workdir / "logs").exists()
    # Every photo was decoded once, before the check stopped the run, and cached with what it found.
    (cache,) = (workdir / "data" / "cache").iterdir()
    written = cache.stat().st_mtime_ns

    image_classifier.command(workdir, "fit", "--data.skip_bad_images=true")
    assert list((workdir / "data" / "cache").iterdir()) == [cache]
    assert cache.stat().st_mtime_ns == written  # read, not decoded and written again
    truth = photo_crops(workdir / "new", count=15, seed=1, class_folders=False)
    checkpoint = str(best_checkpoint(workdir))
    image_classifier.command(workdir, "predict", "--data.predict_path=new", "--ckpt_path", checkpoint)
    predictions = read_predictions(workdir)
    assert [row["file"] for row in predictions] == sorted(truth)
    assert np.mean([row["prediction"] == truth[row["file"]] for row in predictions]) >= 0.9
