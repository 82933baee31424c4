{%- set csv_data = cookiecutter.data_source == "csv" -%}
"""Run the files that ``export`` writes, without Lightning: what a server does, and how ``export`` checks them.

This module imports the standard library and numpy, and torch or onnxruntime when a file of theirs is
loaded: never Lightning, nor the rest of this package. Copy it beside the exported files to serve them.
``export`` runs :func:`check` in a process of its own, loading this file by its path (``python serving.py
REQUEST.json`` does the same), so that the check sees the files as a server without Lightning sees them.
"""

import json
import sys
from collections.abc import Callable
from pathlib import Path
{%- if csv_data %}
from typing import Any
{%- endif %}

import numpy as np

# The modules that the check's process must not have imported.
LIGHTNING = ("pytorch_lightning", "lightning")

Run = Callable[[np.ndarray], np.ndarray]


def load_onnx(path: str | Path) -> Run:
    """The ONNX file as a function: a float32 batch in, the output batch out (onnxruntime, on the CPU)."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (name,) = (given.name for given in session.get_inputs())

    def run(inputs: np.ndarray) -> np.ndarray:
        return session.run(None, {name: inputs})[0]

    return run


def load_pt2(path: str | Path) -> Run:
    """The ``torch.export`` file as a function: a float32 batch in, the output batch out (torch alone)."""
    import torch

    module = torch.export.load(str(path)).module()

    def run(inputs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return module(torch.from_numpy(inputs)).numpy()

    return run


LOADERS: dict[str, Callable[[str | Path], Run]] = {"onnx": load_onnx, "pt2": load_pt2}
{%- if csv_data %}


def table_features(rows: list[dict[str, Any]], info: dict[str, Any]) -> np.ndarray:
    """The exported model's input for raw rows of the table (``{column: cell}``), as ``<name>.json`` describes it.

    Numbers go in as they are (the model standardises them); each text column becomes one 0/1 input per
    category of ``info["features"]``, 1.0 where the cell, as text without surrounding spaces, is that category.
    A category the training rows did not have, and an empty text cell, give 0.0 in all of them. An empty
    number is refused here, as training refuses it; fill it with the feature's ``mean`` to do what
    ``--data.fill_missing=true`` does.
    """
    table = np.zeros((len(rows), len(info["features"])), dtype=np.float32)
    for index, row in enumerate(rows):
        for position, feature in enumerate(info["features"]):
            cell = row.get(feature["column"])
            empty = cell is None or (isinstance(cell, float) and cell != cell) or str(cell).strip() == ""
            if feature["kind"] == "number":
                if empty:
                    raise ValueError(f"row {index}: column {feature['column']!r} is empty: fill it (with its mean?)")
                table[index, position] = float(cell)
            else:
                table[index, position] = float(not empty and str(cell).strip() == feature["category"])
    return table
{%- endif %}


def check(files: dict[str, str], cases: str, atol: float, rtol: float) -> dict:
    """Run every exported file on the batches of ``cases`` (``inputs_<n>``, ``expected_<n>`` in a .npz file).

    Returns what was found: for each format the largest difference from the expected outputs per batch
    size, whether every output is within ``atol + rtol * |expected|`` with the right shape and dtype, and
    which Lightning modules this process imported (none, for the check to pass).
    """
    arrays = np.load(cases)
    batches = [(arrays[f"inputs_{n}"], arrays[f"expected_{n}"]) for n in range(len(arrays.files) // 2)]
    results: dict[str, dict] = {}
    for name, path in files.items():
        run = LOADERS[name](path)
        results[name] = {"max_abs_difference": {}, "problems": []}
        for inputs, expected in batches:
            actual = run(inputs)
            size = len(inputs)
            if actual.shape != expected.shape or actual.dtype != expected.dtype:
                results[name]["problems"].append(
                    f"a batch of {size} gives {actual.dtype} of shape {list(actual.shape)},"
                    f" the model {expected.dtype} of shape {list(expected.shape)}"
                )
                continue
            difference = float(np.max(np.abs(actual.astype(np.float64) - expected))) if actual.size else 0.0
            results[name]["max_abs_difference"][str(size)] = difference
            if not np.allclose(actual, expected, rtol=rtol, atol=atol):
                results[name]["problems"].append(
                    f"a batch of {size} differs from the model by up to {difference:.3g}"
                    f" (more than atol {atol:g} + rtol {rtol:g} x |output|)"
                )
    imported = [name for name in LIGHTNING if name in sys.modules]
    return {"results": results, "lightning_imported": imported}


def main(args: list[str]) -> None:
    """``serving.py REQUEST.json``: run :func:`check` with the request's arguments; print the report as JSON."""
    (request,) = args
    print(json.dumps(check(**json.loads(Path(request).read_text()))))


if __name__ == "__main__":
    main(sys.argv[1:])
