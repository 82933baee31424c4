{%- set gan = cookiecutter.task == "gan" -%}
{%- set regression = cookiecutter.task == "regression" -%}
{%- set classify = not (gan or regression) -%}
{%- set csv_data = cookiecutter.data_source == "csv" -%}
{%- set learned = {"csv": ["classes", "preprocessing"] if classify else ["preprocessing"], "image_folder": ["classes"] if classify else []}.get(cookiecutter.data_source, []) -%}
"""export: the ONNX and torch.export files compute what the checkpoint's model computes, without Lightning."""

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import onnxruntime
{%- if csv_data %}
import pandas as pd
{%- endif %}
import pytest
import torch

from {{ cookiecutter.package_name }} import export
{%- if not gan %}
from {{ cookiecutter.package_name }}.data import {{ cookiecutter.__datamodule_class }}
{%- endif %}
from {{ cookiecutter.package_name }}.model import {{ cookiecutter.__model_class }}
{%- if csv_data %}
from {{ cookiecutter.package_name }}.preprocessing import read_table
from {{ cookiecutter.package_name }}.serving import table_features
{%- endif %}

from .conftest import QUIET, finish_command, make_workdir, run_main, start_command

# A short real fit: a few batches of one epoch.
FIT = (
    "fit",
    "--config",
    "configs/debug/limit_batches.yaml",
    "--trainer.max_epochs=1",
{%- if not cookiecutter.callback_checkpoint %}
    # The configuration saves no checkpoints: Lightning's own checkpointing saves one per epoch.
    "--trainer.enable_checkpointing=true",
{%- endif %}
    *QUIET,
)
# The batches the tests compare: those the command checks, and one of another size (the batch size is free).
BATCH_SIZES = (*export.BATCH_SIZES, 3)


class Exported(NamedTuple):
    path: Path  # the project folder that fit and export ran in
    checkpoint: Path
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    """``fit``, then ``export`` of its checkpoint, in fresh processes, as a user runs them."""
    path = make_workdir(tmp_path_factory.mktemp("export"))
    fit = finish_command(start_command(*FIT, cwd=path), path)
    assert fit.returncode == 0, fit.stderr
    checkpoints = sorted(path.rglob("*.ckpt"))
    checkpoint = next((file for file in checkpoints if file.name == "last.ckpt"), checkpoints[0])
    result = finish_command(start_command("export", "--ckpt_path", str(checkpoint.relative_to(path)), cwd=path), path)
    assert result.returncode == 0, result.stderr
    return Exported(path, checkpoint, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def model(exported: Exported) -> {{ cookiecutter.__model_class }}:
    """The checkpoint's LightningModule, loaded here, in this process."""
    model = {{ cookiecutter.__model_class }}.load_from_checkpoint(
        exported.checkpoint,
        map_location="cpu",
        weights_only=True,
{%- if cookiecutter.torch_compile %}
        compile_model=False,  # the same computation, without compiling it first
{%- endif %}
    )
    return model.eval()


@pytest.fixture(scope="module")
def batches(exported: Exported, model: {{ cookiecutter.__model_class }}) -> list[torch.Tensor]:
{%- if gan %}
    """Latent vectors from a seeded generator, in batches of 1, 7 and 3."""
    latent = torch.randn(sum(BATCH_SIZES), model.hparams.latent_dim, generator=torch.Generator().manual_seed(0))
    return list(latent.split(BATCH_SIZES))
{%- else %}
    """Inputs of the test split of the run's data, in batches of 1, 7 and 3."""
{%- set options = {"synthetic": 'data_dir=str(exported.path / "data")', "digits": "", "csv": 'path=str(exported.path / "data" / "train.csv")', "image_folder": 'root=str(exported.path / "data" / "images")', "mnist": 'data_dir=str(exported.path / "data" / "mnist")'}[cookiecutter.data_source] %}
{%- set arguments = [options] if options else [] %}
{%- for name in learned %}{% do arguments.append(name ~ "=model.hparams." ~ name) %}{% endfor %}
{%- if arguments %}
    data = {{ cookiecutter.__datamodule_class }}(
{%- for argument in arguments %}
        {{ argument }},
{%- endfor %}
    )
{%- else %}
    data = {{ cookiecutter.__datamodule_class }}()
{%- endif %}
    data.prepare_data()
    data.setup("test")
    inputs, _ = next(iter(data.test_dataloader()))
    return list(inputs[: sum(BATCH_SIZES)].split(BATCH_SIZES))
{%- endif %}


def run_onnx(path: Path) -> Callable[[np.ndarray], np.ndarray]:
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return lambda inputs: session.run(None, {"{{ "latent" if gan else "images" if cookiecutter.task == "image_classification" else "features" }}": inputs})[0]


def run_pt2(path: Path) -> Callable[[np.ndarray], np.ndarray]:
    module = torch.export.load(path).module()
    return lambda inputs: module(torch.from_numpy(inputs)).detach().numpy()


def test_export_writes_the_files_and_says_so_quietly(exported: Exported) -> None:
    assert sorted(file.name for file in (exported.path / "exports").iterdir()) == [
        "model.json",
        "model.onnx",
        "model.pt2",
    ]  # and no temporary files
    assert "checked without Lightning" in exported.stdout
    # Python's warnings ("file.py:LINE: SomeWarning: message") and torch's logged ones ("W1202 12:00:00...").
    assert not re.search(r"Warning\b|WARNING|\.py:\d+: |^W\d{4} ", exported.stderr, re.MULTILINE), exported.stderr


@pytest.mark.parametrize("run", [run_onnx, run_pt2], ids=["onnx", "pt2"])
def test_the_files_compute_what_the_model_computes(
    exported: Exported,
    model: {{ cookiecutter.__model_class }},
    batches: list[torch.Tensor],
    run: Callable,
) -> None:
    exported_model = run(exported.path / "exports" / f"model.{'onnx' if run is run_onnx else 'pt2'}")
    for inputs in batches:
        with torch.no_grad():
{%- if gan %}
            expected = model(inputs).numpy()
{%- else %}
            expected = model.predict_step((inputs,), 0).numpy()
{%- endif %}
        outputs = exported_model(inputs.numpy())
        assert outputs.dtype == np.float32
        assert outputs.shape == expected.shape{{ " == (len(inputs), len(model.hparams.classes))" if classify else " == (len(inputs),)" if regression else "" }}
        np.testing.assert_allclose(outputs, expected, rtol=export.RTOL, atol=export.ATOL)


def test_the_json_says_what_goes_in_and_comes_out(
    exported: Exported,
    model: {{ cookiecutter.__model_class }},
    batches: list[torch.Tensor],
) -> None:
    info = json.loads((exported.path / "exports" / "model.json").read_text())
    session = onnxruntime.InferenceSession(exported.path / "exports" / "model.onnx", providers=["CPUExecutionProvider"])
    (given,), (returned,) = session.get_inputs(), session.get_outputs()
    assert (given.name, returned.name) == (info["input"]["name"], info["output"]["name"])
    assert info["input"]["shape"] == ["batch", *batches[0].shape[1:]]
    assert isinstance(given.shape[0], str)  # a dynamic batch dimension
{%- if classify %}
    assert info["classes"] == list(model.hparams.classes)
{%- elif gan %}
    assert info["latent_dim"] == model.hparams.latent_dim
    h = model.hparams
    assert info["output"]["shape"] == ["batch", h.in_channels, h.image_size, h.image_size]
{%- endif %}
{%- if csv_data %}
    columns = [*model.preprocessing.numeric, *model.preprocessing.text]
    assert list(dict.fromkeys(feature["column"] for feature in info["features"])) == columns
{%- endif %}
    assert (info["check"]["atol"], info["check"]["rtol"]) == (export.ATOL, export.RTOL)
    assert info["check"]["batch_sizes"] == [1, 7]
    assert info["versions"]["onnxruntime"] == onnxruntime.__version__
    assert info["versions"]["torch"] == torch.__version__
{%- if csv_data %}


def test_raw_rows_become_the_input_as_the_json_says(exported: Exported, model: {{ cookiecutter.__model_class }}) -> None:
    # What the README tells a caller to do with a raw row gives the input the model reads from the file.
    info = json.loads((exported.path / "exports" / "model.json").read_text())
    rows = read_table(exported.path / "data" / "train.csv").head(20)
    rows.loc[0, "colour"] = "purple"  # a category that training did not see
    rows.loc[1, "colour"] = pd.NA  # an empty cell
    expected = model.preprocessing.features(rows).numpy()
    assert expected[:2, -3:].tolist() == [[0, 0, 0], [0, 0, 0]]
    np.testing.assert_array_equal(table_features(rows.to_dict("records"), info), expected)
{%- endif %}


def test_a_mismatch_fails_in_one_line_and_leaves_the_files_as_they_were(
    exported: Exported, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = exported.path / "exports"
    before = {file.name: file.read_bytes() for file in folder.iterdir()}
    monkeypatch.chdir(exported.path)
    # The model's outputs, 10% and 0.1 off: far outside the tolerance at any scale.
    monkeypatch.setattr(export, "reference", lambda model, inputs: export.outputs(model, inputs).detach() * 1.1 + 0.1)
    message = run_main("export", "--ckpt_path", str(exported.checkpoint), "--onnx=false")
    assert message.startswith("error: the exported pt2 file does not compute what the checkpoint's model does:")
    assert "\n" not in message
    assert {file.name: file.read_bytes() for file in folder.iterdir()} == before  # no new, changed or temporary file


def test_a_missing_checkpoint_is_refused_in_one_line(workdir: Path) -> None:
    message = run_main("export", "--ckpt_path", "missing.ckpt")
    assert message == "error: no checkpoint at 'missing.ckpt': pass the path of a .ckpt file, or --ckpt_path last"
    message = run_main("export", "--ckpt_path", "last")
    assert message.startswith("error: no last.ckpt under {{ cookiecutter.__runs_dir }}/: train first")
    assert not (workdir / "exports").exists()


def test_without_the_export_extra_it_says_what_to_install(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    version = export.importlib.metadata.version

    def without_onnxscript(name: str) -> str:
        if name == "onnxscript":
            raise export.importlib.metadata.PackageNotFoundError(name)
        return version(name)

    monkeypatch.setattr(export.importlib.metadata, "version", without_onnxscript)
    assert run_main("export", "--ckpt_path", "missing.ckpt") == (
        'error: the ONNX export needs onnxscript: pip install -e ".[export]" (or pass --onnx=false for NAME.pt2 alone)'
    )
