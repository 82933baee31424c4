{%- set classify = cookiecutter.task == "image_classification" -%}
"""Image folders as people have them: hidden files, images that Pillow cannot read{{ ", new images to predict" if classify }}."""

{% if classify and cookiecutter.callback_checkpoint -%}
import csv
import shutil
{% endif -%}
from pathlib import Path

import pytest
from PIL import Image

from {{ cookiecutter.package_name }}.cli import run_cli
from {{ cookiecutter.package_name }}.data import ImageFolderDataModule

from .conftest import {{ "CHECKPOINT_DIR, " if classify and cookiecutter.callback_checkpoint }}QUIET, {{ "TrainedRun, " if classify and cookiecutter.callback_checkpoint }}run_main

FAST_DEV_RUN = ["--config", "configs/debug/fast_dev_run.yaml", *QUIET]
KINDS = ("truncated", "not an image", "empty")


def damage(folder: Path, *kinds: str) -> dict[str, Path]:
    """Files that Pillow cannot decode, as they turn up in photo folders, beside a good JPEG."""
    with Image.open(next(folder.glob("*.png"))) as image:
        image.convert("RGB").resize((64, 64)).save(folder / "whole.jpg", quality=95)
    data = (folder / "whole.jpg").read_bytes()
    written = {
        "truncated": ("truncated.jpg", data[: len(data) // 2]),  # a copy that stopped half-way
        "not an image": ("notes.png", b"shopping list"),  # text saved under an image's name
        "empty": ("empty.jpeg", b""),
    }
    files = {}
    for kind in kinds:
        name, content = written[kind]
        files[kind] = folder / name
        files[kind].write_bytes(content)
    return files


def test_hidden_and_system_files_are_not_read(workdir: Path) -> None:
    root = workdir / "data" / "images"
    before = ImageFolderDataModule(root=str(root)).labelled_files
    # What macOS, Windows and Jupyter leave in folders: AppleDouble files named like images, and hidden folders.
    (root / "class_0" / "._0000.png").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    (root / "class_0" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / "class_1" / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (root / ".ipynb_checkpoints").mkdir()
    (root / "class_2" / ".thumbnails").mkdir()
    (root / "class_2" / ".thumbnails" / "0000.png").write_bytes(b"not read")
    data = ImageFolderDataModule(root=str(root))
    assert data.classes == ["class_0", "class_1", "class_2"]
    assert data.labelled_files == before
    assert run_cli(["fit", *FAST_DEV_RUN]).trainer.state.finished


def test_a_folder_without_class_folders_is_named(workdir: Path) -> None:
    Path("data/empty").mkdir()
    assert run_main("fit", "--data.root=data/empty") == (
        "error: no class folders in 'data/empty': put images in data/empty/<class name>/ or pass --data.root=FOLDER"
    )


def test_a_class_folder_without_images_is_named(workdir: Path) -> None:
    Path("data/images/class_3").mkdir()
    line = run_main("fit")
    assert line.startswith("error: class folder 'data/images/class_3' holds no images (")


@pytest.mark.parametrize("kind", KINDS)
def test_an_image_that_cannot_be_read_stops_fit_before_training_and_is_named(workdir: Path, kind: str) -> None:
    bad = damage(workdir / "data" / "images" / "class_1", kind)[kind]
    line = run_main("fit")
    assert line.startswith(f"error: data/images/class_1/{bad.name} is not a readable image (")
    assert line.endswith(": replace or delete it, or pass --data.skip_bad_images=true to leave such files out")
    assert "\n" not in line
    assert not (workdir / "{{ cookiecutter.__runs_dir }}").exists()  # nothing was trained or written


def test_unreadable_images_can_be_left_out_and_are_listed(workdir: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = damage(workdir / "data" / "images" / "class_1", *KINDS)
    data = ImageFolderDataModule(skip_bad_images=True)
    files, _ = data.labelled_files
    assert not set(bad.values()) & set(files)
    assert workdir / "data" / "images" / "class_1" / "whole.jpg" in [workdir / path for path in files]
    assert "3 unreadable images left out: " in caplog.text
    assert all(str(path.relative_to(workdir)) in caplog.text for path in bad.values())
    assert run_cli(["fit", "--data.skip_bad_images=true", *FAST_DEV_RUN]).trainer.state.finished
{%- if classify and cookiecutter.callback_checkpoint %}


def test_predict_names_new_images_by_file_and_class(trained: TrainedRun, workdir: Path) -> None:
    # Photos to sort, not in class folders, some in a sub-folder; the training folder is gone.
    new, truth = workdir / "new", {}
    for label in ("class_0", "class_1", "class_2"):
        for index, image in enumerate(sorted((workdir / "data" / "images" / label).glob("*.png"))[-20:]):
            name = f"{'more/' if index % 4 == 0 else ''}photo_{label[-1]}{index:02d}.png"
            (new / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(image, new / name)
            truth[name] = label
    (new / "._photo_000.png").write_bytes(b"AppleDouble")
    shutil.rmtree(workdir / "data" / "images")
    (checkpoint,) = (trained.path / CHECKPOINT_DIR).glob("best-*.ckpt")

    run_cli(["predict", "--ckpt_path", str(checkpoint), "--data.predict_path=new", *QUIET])
    with (workdir / "predictions" / "predictions.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["file"] for row in rows] == sorted(truth)
    assert list(rows[0]) == ["file", "prediction", "probability_class_0", "probability_class_1", "probability_class_2"]
    assert sum(row["prediction"] == truth[row["file"]] for row in rows) >= 0.9 * len(rows)


def test_predict_without_images_says_so(trained: TrainedRun, workdir: Path) -> None:
    (workdir / "empty").mkdir()
    (checkpoint,) = (trained.path / CHECKPOINT_DIR).glob("best-*.ckpt")
    assert run_main("predict", "--ckpt_path", str(checkpoint), "--data.predict_path=empty") == (
        "error: no images in 'empty': pass the folder of images to predict"
    )
{%- endif %}
