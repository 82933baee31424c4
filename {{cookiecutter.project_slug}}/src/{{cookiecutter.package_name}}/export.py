{%- set gan = cookiecutter.task == "gan" -%}
{%- set regression = cookiecutter.task == "regression" -%}
{%- set classify = cookiecutter.task in ("image_classification", "tabular_classification") -%}
{%- set images = cookiecutter.task in ("image_classification", "gan") -%}
{%- set csv_data = cookiecutter.data_source == "csv" -%}
{%- set learned = {"csv": ["classes", "preprocessing"] if classify else ["preprocessing"], "image_folder": ["classes"] if classify else []}.get(cookiecutter.data_source, []) -%}
{%- set input_name = "latent" if gan else "images" if images else "features" -%}
{%- set output_name = "images" if gan else "prediction" if regression else "probabilities" -%}
{%- set runs = cookiecutter.__runs_dir -%}
"""export: the trained model as files that serve without Lightning, checked against the checkpoint.

``python -m {{ cookiecutter.package_name }} export --ckpt_path PATH`` writes to ``--output_dir`` (``exports/``):

- ``NAME.onnx``: ONNX, from torch's exporter (``torch.onnx.export``, which needs ``onnx`` and ``onnxscript``);
  onnxruntime and other ONNX runtimes run it;
- ``NAME.pt2``: ``torch.export``'s format, which ``torch.export.load`` reads with torch alone;
- ``NAME.json``: the input and the output (name, shape, dtype, meaning),
{%- if classify %}
  the classes in the order of the outputs,
{%- endif %}
{%- if csv_data %}
  the features of the input in order (how a raw row becomes the input),
{%- endif %}
{%- if gan %}
  the latent size,
{%- endif %}
  the check and the versions.

Both files take a batch of any size (a dynamic first dimension) and compute what the model does:
{%- if gan %} the
generator, latent vectors in and images out.
{%- elif regression %} the
prediction in the target's units{{ ", from raw rows (standardised in the graph)" if csv_data else "" }}.
{%- else %} the
probability of every class, as ``predict_step`` gives it{{ ", from raw rows (standardised in the graph)" if csv_data else "" }}.
{%- endif %}
Before anything is in place, both run in a process of their own that imports no Lightning (``serving.py``),
on {{ "latent vectors drawn with a seed" if gan else "inputs of the test split of the data" }} in batches of 1 and 7, and are compared with the checkpoint's
LightningModule within ``ATOL`` and ``RTOL``. The files are written under temporary names beside their
place and renamed only when that check passes: a failed export leaves nothing behind.
"""

import importlib.metadata
{%- if not gan %}
import inspect
{%- endif %}
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from jsonargparse import ArgumentParser
from torch import Tensor, nn
from torch.export import Dim, ExportedProgram

from {{ cookiecutter.package_name }}.atomic import written_whole
from {{ cookiecutter.package_name }}.cli import CHECKPOINT_KEYWORDS, {{ "LEARNED_FROM_DATA, " if learned }}check_checkpoint
{%- if not gan %}
from {{ cookiecutter.package_name }}.data import {{ cookiecutter.__datamodule_class }}
{%- endif %}
from {{ cookiecutter.package_name }}.errors import ExportMismatchError, InputError
from {{ cookiecutter.package_name }}.model import {{ cookiecutter.__model_class }}

# Outputs of the exported files may differ from the model's by atol + rtol * |output| (float32 on the CPU).
ATOL = 1e-5
RTOL = 1e-4
# The batches the check runs: one input alone, and several together.
BATCH_SIZES = (1, 7)
# The first dimension of the input and the output: any number of {{ "latent vectors" if gan else "images" if images else "rows" }}.
BATCH = Dim("batch", min=1)
INPUT_NAME = "{{ input_name }}"
OUTPUT_NAME = "{{ output_name }}"
# What the ONNX export needs beyond the project's dependencies: its optional extra.
ONNX_PACKAGES = ("onnx", "onnxscript", "onnxruntime")
INSTALL_EXTRA = 'pip install -e ".[export]"'
FORMAT_NAMES = {"onnx": "ONNX, for onnxruntime", "pt2": "torch.export, for torch.export.load"}
# Run serving.py by its path, not as part of this package, whose __init__ imports Lightning.
RUN_CHECK = "import runpy, sys; runpy.run_path(sys.argv[1])['main'](sys.argv[2:])"


class Served(nn.Module):
    """What the exported files compute: :func:`outputs` of the model, for a batch of {{ input_name }}."""

    def __init__(self, model: {{ cookiecutter.__model_class }}) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: Tensor) -> Tensor:
        return outputs(self.model, inputs)


def outputs(model: {{ cookiecutter.__model_class }}, inputs: Tensor) -> Tensor:
{%- if gan %}
    """The generator's images for a batch of latent vectors, in float32."""
    return model(inputs).float()
{%- else %}
    """What ``predict_step`` gives for a batch of inputs: {{ "the predicted values, in the target's units" if regression else "the probability of every class" }}, in float32."""
    return model.predict_step((inputs,), 0)
{%- endif %}


@torch.no_grad()
def reference(model: {{ cookiecutter.__model_class }}, inputs: Tensor) -> Tensor:
    """The checkpoint's LightningModule on ``inputs``: what the exported files must give."""
    return outputs(model, inputs)


def make_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="python -m {{ cookiecutter.package_name }} export",
        description="Export a checkpoint to ONNX and torch.export files for serving without Lightning,"
        " then check them against the checkpoint's model in a process without Lightning.",
    )
    parser.add_argument(
        "--ckpt_path",
        type=str,
        required=True,
        help="the checkpoint to export: a .ckpt file, or last (the newest last.ckpt under {{ runs }}/)",
    )
    parser.add_argument("--output_dir", type=str, default="exports", help="where the files go")
    parser.add_argument("--name", type=str, default="model", help="the files' name: NAME.onnx, NAME.pt2, NAME.json")
    parser.add_argument(
        "--onnx", type=bool, default=True, help=f"write NAME.onnx (needs the export extra: {INSTALL_EXTRA})"
    )
    parser.add_argument("--pt2", type=bool, default=True, help="write NAME.pt2 (torch.export; needs torch alone)")
{%- if gan %}
    parser.add_argument("--seed", type=int, default=0, help="the seed of the latent vectors that the check draws")
{%- else %}
    parser.add_class_arguments(
        {{ cookiecutter.__datamodule_class }},
        "data",
{%- if learned %}
        skip=set(LEARNED_FROM_DATA),
{%- endif %}
        help="The data whose test split the check reads: as the checkpoint saved it (the data the model was"
        " trained on); an option given here replaces the saved one.",
    )
{%- endif %}
    return parser


def main(args: list[str]) -> None:
    """The export command: export, check, and put the files in place."""
    parser = make_parser()
    options = parser.parse_args(args)
    formats = [name for name in ("onnx", "pt2") if getattr(options, name)]
    if not formats:
        raise InputError("--onnx=false and --pt2=false leave nothing to export: drop one of them")
    if "onnx" in formats:
        require_onnx()
    path = find_checkpoint(options.ckpt_path)
    checkpoint = check_checkpoint(path) or {}
    model = load_model(path)
{%- if gan %}
    batches = latent_batches(model, options.seed)
{%- else %}
    given = parser.parse_args(args, defaults=False).get("data")  # only the --data options on the command line
    batches = data_batches(model, checkpoint, given.as_dict() if given else {})
{%- endif %}
    expected = expected_outputs(model, batches)
    output_dir = Path(options.output_dir)
    report = export(model, batches, expected, output_dir, options.name, formats, path, checkpoint)
    for name in formats:
        print(f"{output_dir / f'{options.name}.{name}'}  ({FORMAT_NAMES[name]})")
    for name in sorted(set(FORMAT_NAMES) - set(formats)):
        earlier = output_dir / f"{options.name}.{name}"
        if earlier.is_file():  # of another checkpoint, perhaps: NAME.json no longer describes it
            earlier.unlink()
            print(f"{earlier} removed: an earlier export's, which {options.name}.json no longer describes")
    print(f"{output_dir / f'{options.name}.json'}  (inputs, outputs, the check, the versions)")
    largest = ", ".join(f"{max(found['max_abs_difference'].values()):.1e} ({name})" for name, found in report.items())
    print(
        f"checked without Lightning on {' and '.join(map(str, BATCH_SIZES))} {{ "latent vectors" if gan else "inputs of the test split" }}:"
        f" largest difference from the model {largest}, within atol {ATOL:g} + rtol {RTOL:g}"
    )


def require_onnx() -> None:
    """Refuse in one line when the export extra is not installed."""
    missing = []
    for name in ONNX_PACKAGES:
        try:
            importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    if missing:
        raise InputError(
            f"the ONNX export needs {', '.join(missing)}: {INSTALL_EXTRA} (or pass --onnx=false for NAME.pt2 alone)"
        )


def find_checkpoint(path: str) -> str:
    """``--ckpt_path``: a file, or ``last`` for the newest ``last.ckpt`` under ``{{ runs }}/``."""
    if path == "last":
        found = max(Path("{{ runs }}").glob("**/last.ckpt"), key=lambda file: file.stat().st_mtime, default=None)
        if found is None:
            raise InputError(
                f"no last.ckpt under {{ runs }}/: train first (python -m {__package__} fit), or pass the path of a .ckpt file"
            )
        return str(found)
    if path in CHECKPOINT_KEYWORDS:
        raise InputError(
            f"--ckpt_path {path} is not a file that export can find: pass the path of a .ckpt file, or last"
        )
    return path


def load_model(path: str) -> {{ cookiecutter.__model_class }}:
    """The checkpoint's model (loaded with ``weights_only=True``), on the CPU, in evaluation mode."""
    try:
        model = {{ cookiecutter.__model_class }}.load_from_checkpoint(
            path,
            map_location="cpu",
            weights_only=True,
{%- if cookiecutter.torch_compile %}
            compile_model=False,  # the exporters trace the plain network
{%- endif %}
{%- if cookiecutter.task == "image_classification" %}
            channels_last=False,  # torch.export saves weights in the usual layout; ONNX has no layouts
{%- endif %}
        )
    except (KeyError, TypeError, RuntimeError) as error:
        reason = f"it lacks {error}" if isinstance(error, KeyError) else str(error).strip().split("\n")[0]
        message = f"{path!r} does not load into {{ cookiecutter.__model_class }} ({reason}): pass a checkpoint of this project"
        raise InputError(message) from None
    return model.eval()
{%- if gan %}


def latent_batches(model: {{ cookiecutter.__model_class }}, seed: int) -> list[Tensor]:
    """Latent vectors for the check, in batches of ``BATCH_SIZES``: standard normal, drawn with ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    latent = torch.randn(sum(BATCH_SIZES), model.hparams.latent_dim, generator=generator)
    return list(latent.split(BATCH_SIZES))
{%- else %}


def data_batches(model: {{ cookiecutter.__model_class }}, checkpoint: dict[str, Any], given: dict[str, Any]) -> list[Tensor]:
    """Inputs of the test split, in batches of ``BATCH_SIZES``, read as the model was trained to read them.

    The data module takes the options that the checkpoint saved (those of training), then those ``given``
    on the command line{{ ", and what the model learned from the training data" if learned }}. A test split of
    fewer inputs than the batches need serves some of them twice.
    """
    taken = inspect.signature({{ cookiecutter.__datamodule_class }}).parameters
    saved = checkpoint.get("datamodule_hyper_parameters", {})
    options = {name: value for name, value in {**saved, "num_workers": 0, **given}.items() if name in taken}
{%- if learned %}
    options.update({name: model.hparams[name] for name in LEARNED_FROM_DATA})
{%- endif %}
    data = {{ cookiecutter.__datamodule_class }}(**options)
    data.prepare_data()
    data.setup("test")
    needed, found = sum(BATCH_SIZES), []
    for batch in data.test_dataloader():
        found.append(batch[0])
        if sum(len(inputs) for inputs in found) >= needed:
            break
    if not found or not sum(len(inputs) for inputs in found):
        raise InputError("the test split is empty: the check needs inputs from it; raise --data.test_fraction")
    inputs = torch.cat(found).float()
    return list(inputs[torch.arange(needed) % len(inputs)].split(BATCH_SIZES))
{%- endif %}


def expected_outputs(model: {{ cookiecutter.__model_class }}, batches: list[Tensor]) -> list[Tensor]:
    """The model's outputs for ``batches``; one line when the {{ "latent vectors" if gan else "test split's inputs" }} do not fit it."""
    try:
        return [reference(model, inputs) for inputs in batches]
    except RuntimeError as error:
        reason = (str(error).strip().splitlines() or ["RuntimeError"])[0]
        raise InputError(
            f"inputs of shape {list(batches[0].shape[1:])} do not fit the checkpoint's model ({reason}):"
            " {{ "pass a checkpoint of this project" if gan else "pass the --data options it was trained with" }}"
        ) from None


def export(
    model: {{ cookiecutter.__model_class }},
    batches: list[Tensor],
    expected: list[Tensor],
    output_dir: Path,
    name: str,
    formats: list[str],
    checkpoint_path: str,
    checkpoint: dict[str, Any],
) -> dict[str, dict]:
    """Write the files to temporary names beside their place, check them, and rename them: all or nothing.

    Returns what the check found per format. NAME.json is renamed last, once the files it describes are in place.
    """
    example = batches[-1]  # a batch of more than one: a batch of 1 would fix the batch size at 1
    with ExitStack() as stack, quiet_exporters():
        description = stack.enter_context(written_whole(output_dir / f"{name}.json", "w"))
        files = {fmt: stack.enter_context(written_whole(output_dir / f"{name}.{fmt}")) for fmt in formats}
        versions = {"torch": torch.__version__}
        if "pt2" in formats:
            archive = io.BytesIO()  # torch.export.save wants a buffer or a name ending in .pt2: not a temporary name
            torch.export.save(export_program(model, example), archive)
            files["pt2"].write(archive.getvalue())
        if "onnx" in formats:
            onnx_program = torch.onnx.export(
                Served(model).eval(),
                (example,),
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                dynamic_shapes=({0: BATCH},),
                dynamo=True,
                verbose=False,
            )
            files["onnx"].write(onnx_program.model_proto.SerializeToString())
            versions |= {package: importlib.metadata.version(package) for package in ONNX_PACKAGES}
            versions["onnx_opset"] = next(
                entry.version for entry in onnx_program.model_proto.opset_import if entry.domain in ("", "ai.onnx")
            )
        for file in [description, *files.values()]:
            file.flush()
            readable_by_all(Path(file.name))  # as other new files are, not just by this user
        report = check({fmt: Path(file.name) for fmt, file in files.items()}, batches, expected)
        info = describe(model, example, expected[-1], checkpoint_path, checkpoint)
        info["files"] = {fmt: f"{name}.{fmt}" for fmt in formats}
        info["check"] = {
            "atol": ATOL,
            "rtol": RTOL,
            "dtype": "float32",
            "batch_sizes": list(BATCH_SIZES),
            "inputs": "{{ "standard normal latent vectors, drawn with --seed" if gan else "the test split of the data" }}",
            "max_abs_difference": {fmt: found["max_abs_difference"] for fmt, found in report.items()},
        }
        info["versions"] = versions
        json.dump(info, description, indent=2, ensure_ascii=False)
        description.write("\n")
    return report


def export_program(model: {{ cookiecutter.__model_class }}, example: Tensor) -> ExportedProgram:
    """:class:`Served` as ``torch.export`` captures it, with a batch of any size."""
    return torch.export.export(Served(model).eval(), (example,), dynamic_shapes=({0: BATCH},))


@contextmanager
def quiet_exporters() -> Iterator[None]:
    """Silence what the exporters print on every export and a user can do nothing about.

    torch's ONNX exporter warns that torchvision is not installed (for operators this project does not use),
    and torch 2.13 warns about a torch.utils._pytree rename of its own.
    """
    registration = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registration.level
    registration.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)", category=FutureWarning)
            yield
    finally:
        registration.setLevel(level)


def readable_by_all(path: Path) -> None:
    """Give a temporary file the permissions of a new file (0o666 less the umask) instead of 0o600."""
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(0o666 & ~umask)


def check(files: dict[str, Path], batches: list[Tensor], expected: list[Tensor]) -> dict[str, dict]:
    """Run the exported files in a process of their own, without Lightning (``serving.check``); raise on a mismatch."""
    with tempfile.TemporaryDirectory(prefix="{{ cookiecutter.package_name }}-export-") as folder:
        cases = Path(folder, "cases.npz")
        arrays = {f"inputs_{n}": inputs.numpy() for n, inputs in enumerate(batches)}
        arrays |= {f"expected_{n}": outputs.numpy() for n, outputs in enumerate(expected)}
        np.savez(cases, **arrays)
        request = Path(folder, "request.json")
        files_given = {fmt: str(path) for fmt, path in files.items()}
        request.write_text(json.dumps({"files": files_given, "cases": str(cases), "atol": ATOL, "rtol": RTOL}))
        serving = Path(__file__).with_name("serving.py")
        command = [sys.executable, "-c", RUN_CHECK, str(serving), str(request)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if result.returncode:
        last = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]
        raise ExportMismatchError(f"the exported files do not run without Lightning: {last}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if report["lightning_imported"]:
        raise ExportMismatchError(f"the check imported {', '.join(report['lightning_imported'])}: it must run without")
    for fmt, found in report["results"].items():
        if found["problems"]:
            raise ExportMismatchError(
                f"the exported {fmt} file does not compute what the checkpoint's model does: {found['problems'][0]};"
                " nothing was written"
            )
    return report["results"]


def describe(
    model: {{ cookiecutter.__model_class }},
    example: Tensor,
    output: Tensor,
    checkpoint_path: str,
    checkpoint: dict[str, Any],
) -> dict[str, Any]:
    """NAME.json: what a server needs to know to feed the files and read what they give."""
{%- if not (regression and csv_data) %}
    h = model.hparams
{%- endif %}
    info: dict[str, Any] = {
        "task": "{{ cookiecutter.task }}",
        "checkpoint": {
            "path": checkpoint_path,
            "epoch": checkpoint.get("epoch"),
            "global_step": checkpoint.get("global_step"),
        },
        "input": {
            "name": INPUT_NAME,
            "shape": ["batch", *example.shape[1:]],
            "dtype": "float32",
{%- if gan %}
            "description": f"latent vectors of {h.latent_dim} standard normal numbers"
            " (torch.randn, numpy's standard_normal)",
{%- elif csv_data %}
            "description": "raw rows of the table: the features below in this order, numbers as they are (the model"
            " standardises them), text columns one-hot",
{%- elif cookiecutter.data_source == "digits" %}
            "description": "{{ "8x8 images, one channel" if images else "rows of 64 pixels (8x8, row by row)" }}: scikit-learn's digits divided by 16, in [0, 1]",
{%- elif cookiecutter.data_source == "mnist" %}
            "description": "28x28 images, one channel: the idx files' bytes divided by 255, in [0, 1]",
{%- elif cookiecutter.data_source == "image_folder" %}
            "description": f"images converted to {'grayscale (Pillow mode L)' if h.in_channels == 1 else 'RGB'},"
            f" resized to {h.image_size}x{h.image_size} with Pillow's resize, channels first, bytes divided by 255:"
            " in [0, 1]",
{%- elif images %}
            "description": f"{h.image_size}x{h.image_size} images, one channel,"
            " as the synthetic data module makes them",
{%- else %}
            "description": f"rows of {h.num_features} numbers, as the synthetic data module draws them (not scaled)",
{%- endif %}
        },
        "output": {
            "name": OUTPUT_NAME,
            "shape": ["batch", *output.shape[1:]],
            "dtype": "float32",
{%- if gan %}
            "description": "images as the training data's pixels are (not clipped), channels first",
{%- elif regression %}
            "description": {{ "f\"the predicted {model.preprocessing.target!r}, in its own units\"" if csv_data else "\"the predicted value, in the target's units\"" }},
{%- else %}
            "description": "the probability of every class (softmax), in the order of classes",
{%- endif %}
        },
    }
{%- if gan %}
    info["latent_dim"] = h.latent_dim
    info["image"] = {"channels": h.in_channels, "size": h.image_size}
{%- endif %}
{%- if images and not gan %}
    info["image"] = {"channels": h.in_channels, "size": h.image_size}
{%- endif %}
{%- if classify %}
    info["classes"] = list(h.classes)
{%- endif %}
{%- if csv_data %}
    table = model.preprocessing
    info["features"] = [
        {"column": column, "kind": "number", "mean": mean, "std": std} for column, (mean, std) in table.numeric.items()
    ] + [
        {"column": column, "kind": "one-hot", "category": category}
        for column, categories in table.text.items()
        for category in categories
    ]
    info["one_hot"] = (
        "one input per category of a text column: 1.0 where the cell (as text, without surrounding spaces) is"
        " that category, else 0.0; an empty cell or a category not listed gives 0.0 in all of them"
    )
    info["missing_numbers"] = "refuse the row, or fill the cell with the feature's mean (what --data.fill_missing does)"
{%- if regression %}
    info["target"] = table.target
{%- endif %}
{%- endif %}
    return info
