{%- set classify = cookiecutter.task == "tabular_classification" -%}
{%- set checkpoints = cookiecutter.callback_checkpoint -%}
"""Tables as people save them: how they are read, what the model keeps of them, predictions, one-line errors."""
{% if checkpoints %}
import csv
import shutil
{%- endif %}
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import torch

{% if classify or checkpoints -%}
from {{ cookiecutter.package_name }}.cli import run_cli
{% endif -%}
from {{ cookiecutter.package_name }}.data import CSVDataModule
{%- if checkpoints %}
from {{ cookiecutter.package_name }}.model import {{ cookiecutter.__model_class }}
from {{ cookiecutter.package_name }}.preprocessing import read_table
{%- endif %}

from .conftest import {{ "CHECKPOINT_DIR, " if checkpoints }}COLOURS, {{ "GOOD_MAE, " if checkpoints and not classify }}{{ "LABELS, " if classify }}{{ "QUIET, " if classify or checkpoints }}{{ "TrainedRun, " if checkpoints }}example_table, run_main

# How people save tables, each read back by the data module with its default options.
SAVED_AS: dict[str, Callable[[pd.DataFrame, Path], None]] = {
    "pandas to_csv, index kept": lambda table, path: table.to_csv(path),
    "pandas to_csv, no index": lambda table, path: table.to_csv(path, index=False),
    "Excel CSV UTF-8: BOM, CRLF": lambda table, path: table.to_csv(
        path, index=False, encoding="utf-8-sig", lineterminator="\r\n"
    ),
    "Excel in Europe: semicolons, decimal commas": lambda table, path: table.to_csv(
        path, index=False, sep=";", decimal=","
    ),
    "tab-separated": lambda table, path: table.to_csv(path, index=False, sep="\t"),
}


def write_csv(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("save", SAVED_AS.values(), ids=SAVED_AS)
def test_a_table_reads_the_same_however_it_was_saved(tmp_path: Path, save: Callable) -> None:
    table = example_table(num_rows=200)
    save(table, tmp_path / "table.csv")
    rows = CSVDataModule(path=str(tmp_path / "table.csv")).rows
    pd.testing.assert_frame_equal(rows, table, check_dtype=False)


def test_numbers_written_the_european_way_are_numbers(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "prices.csv", "x0;x1;target\n1.234,5; 7 ;1\n12,5;8;2\n-0,25;9;1\n")
    rows = CSVDataModule(path=path).rows
    assert rows["x0"].tolist() == [1234.5, 12.5, -0.25]
    assert rows["x1"].tolist() == [7, 8, 9]


def test_what_the_model_keeps_is_learned_from_the_train_split_only(workdir: Path) -> None:
    data = CSVDataModule()
    train = data.rows.iloc[data.split_rows["train"].tolist()]
    preprocessing = data.preprocessing
    assert list(preprocessing["numeric"]) == [f"x{index}" for index in range(6)]
    for name, (mean, std) in preprocessing["numeric"].items():
        assert (mean, std) == pytest.approx((train[name].mean(), train[name].std(ddof=0)))
    assert preprocessing["text"] == {"colour": sorted(COLOURS)}
{%- if classify %}
    assert data.classes == sorted(LABELS)
{%- else %}
    assert preprocessing["target_scale"] == pytest.approx([train["target"].mean(), train["target"].std(ddof=0)])
{%- endif %}
    # Plain values only: a checkpoint that holds them loads under weights_only.
    path = workdir / "preprocessing.pt"
    torch.save(preprocessing, path)
    assert torch.load(path, weights_only=True) == preprocessing


def test_numbers_stay_raw_and_categories_become_one_input_each(tmp_path: Path) -> None:
    table = example_table(num_rows=200)
    table.to_csv(tmp_path / "table.csv")
    data = CSVDataModule(path=str(tmp_path / "table.csv"))
    features = data.features(table)
    colours = sorted(COLOURS)
    assert features.shape == (200, 6 + len(colours))
    assert torch.equal(features[:, :6], torch.tensor(table.iloc[:, :6].to_numpy(dtype="float32")))
    assert [colours[index] for index in features[:, 6:].argmax(dim=1).tolist()] == table["colour"].tolist()
    # A category the training rows did not have, and an empty text cell: no category at all.
    unseen = table.head(2).assign(colour=["purple", None])
    assert data.features(unseen)[:, 6:].sum() == 0
{%- if classify %}


def test_the_split_keeps_the_class_proportions(workdir: Path) -> None:
    data = CSVDataModule()
    labels = data.rows["target"]
    shares = labels.value_counts(normalize=True)
    for split, positions in data.split_rows.items():
        counts = labels.iloc[positions.tolist()].value_counts()
        assert (counts - shares * len(positions)).abs().max() < 2, split


@pytest.mark.parametrize(
    "labels",
    [[-1, 1], ["setosa", "versicolor", "virginica"], [0.0, 1.0], [3, 7, 10], [False, True]],
    ids=["signed", "names", "floats", "sparse", "booleans"],
)
def test_labels_of_any_kind_are_the_classes_and_predictions_name_them(tmp_path: Path, labels: list) -> None:
    table = example_table(num_rows=120).assign(target=lambda frame: [labels[i % len(labels)] for i in frame.index])
    table.to_csv(tmp_path / "table.csv", index=False)
    written = (tmp_path / "table.csv").read_text().splitlines()
    data = CSVDataModule(path=str(tmp_path / "table.csv"))
    data.setup("fit")
    assert data.classes == sorted(labels)
    targets = torch.cat([data.splits[split].tensors[1] for split in ("train", "val", "test")])
    assert sorted(targets.unique().tolist()) == list(range(len(labels)))
    # A prediction is written as the label was in the file.
    model = {{ cookiecutter.__model_class }}(classes=data.classes, preprocessing=data.preprocessing)
    predicted = model.prediction_table(torch.eye(len(labels)))["prediction"]
    assert [str(label) for label in predicted] == [str(label) for label in sorted(labels)]
    assert {row.rsplit(",", 1)[1] for row in written[1:]} == {str(label) for label in labels}


def test_signed_labels_train(workdir: Path) -> None:
    # -1/+1 labels used to reach the loss as class -1.
    table = example_table(num_rows=300).assign(target=lambda frame: frame["x1"].gt(5).map({True: 1, False: -1}))
    table.to_csv(workdir / "signed.csv")
    cli = run_cli(["fit", "--data.path=signed.csv", "--config", "configs/debug/fast_dev_run.yaml", *QUIET])
    assert cli.trainer.state.finished
{%- endif %}


def test_empty_cells_are_filled_when_asked(tmp_path: Path) -> None:
    table = example_table(num_rows=200)
    table.loc[[3, 4], "x2"] = None
    table.loc[5, "colour"] = None
    table.to_csv(tmp_path / "table.csv")
    data = CSVDataModule(path=str(tmp_path / "table.csv"), fill_missing=True)
    data.setup("fit")
    features = data.features(data.rows.loc[[3, 4, 5]])
    assert features[:2, 2].tolist() == pytest.approx([data.preprocessing["numeric"]["x2"][0]] * 2)
    assert features[2, 6:].sum() == 0


def test_text_that_names_rows_is_not_a_feature(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    table = example_table(num_rows=200).assign(name=lambda frame: [f"person {index}" for index in frame.index])
    table.to_csv(tmp_path / "table.csv")
    data = CSVDataModule(path=str(tmp_path / "table.csv"))
    assert "name" not in data.preprocessing["text"]
    note = "columns 'name' have a different text in most rows (names or ids): they are not used as features"
    assert note in caplog.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x0,target\n" + "1.5,{first}\n" * 20 + "abc,{second}\n",
         "line 22 (row 20), column 'x0': 'abc' is not a number, unlike the rest of the column: fix the cell"),
        ("x0,x1,target\n1,2,{first}\n3,,{second}\n",
         "line 3 (row 1), column 'x1': the cell is empty: fill it or drop the row,"
         " or pass --data.fill_missing=true to fill empty cells"),
        ("x0,x1,target\n1,nan,{first}\n3,4,{second}\n",
         "line 2 (row 0), column 'x1': the cell is empty: fill it or drop the row,"
         " or pass --data.fill_missing=true to fill empty cells"),
        ("x0,x1,target\n1,2,{first}\n3,-inf,{second}\n",
         "line 3 (row 1), column 'x1': the cell is infinite: replace it with a number"),
        ("x0,x1,target\n1,2,{first}\n3,4,\n",
         "line 3 (row 1), column 'target': the cell is empty: fill it or drop the row"),
        ("x0,target\n1,{first}\n2,{second},7\n", "Error tokenizing data. C error: Expected 2 fields in line 3, saw 3:"
         " check the delimiter, or pass --data.delimiter"),
        ("", "is empty: it needs a header row and rows of data"),
    ],
    ids=["text-in-numbers", "empty-cell", "nan", "infinite", "empty-target", "ragged-row", "empty-file"],
)  # fmt: skip
def test_a_cell_or_file_that_cannot_be_used_stops_fit_in_one_line(workdir: Path, text: str, expected: str) -> None:
{%- if classify %}
    path = write_csv(workdir / "bad.csv", text.format(first="a", second="b"))
{%- else %}
    path = write_csv(workdir / "bad.csv", text.format(first="1.5", second="2.5"))
{%- endif %}
    line = run_main("fit", f"--data.path={path}")
    assert line.startswith(f"error: {path}")
    assert expected in line
    assert not (workdir / "logs").exists()
    assert not (workdir / "runs").exists()


def test_a_file_in_another_encoding_names_the_option(workdir: Path) -> None:
    table = example_table(num_rows=100).replace({"colour": {"green": "grün"}})
    table.to_csv(workdir / "latin.csv", index=False, encoding="cp1252")
    assert run_main("fit", "--data.path=latin.csv") == (
        "error: latin.csv is not utf-8 text: save it as CSV UTF-8, or pass its encoding with --data.encoding"
        " (cp1252 for Excel's plain CSV on Windows)"
    )
    rows = CSVDataModule(path="latin.csv", encoding="cp1252").rows
    pd.testing.assert_frame_equal(rows, table, check_dtype=False)
{%- if classify %}


def test_numbers_as_a_target_are_not_taken_for_classes(workdir: Path) -> None:
    path = write_csv(workdir / "prices.csv", "x0,price\n1,3.75\n2,4.5\n3,4\n")
    assert run_main("fit", f"--data.path={path}", "--data.target=price") == (
        f"error: {path}: the target column 'price' holds numbers such as 3.75, not class labels:"
        " predict numbers with a regression project, or pass the column of labels with --data.target"
    )
{%- endif %}


def test_a_missing_csv_file_is_named(workdir: Path) -> None:
    assert run_main("fit", "--data.path=data/missing.csv") == (
        "error: CSV file 'data/missing.csv' not found: put your data there or pass --data.path=FILE"
    )


def test_a_missing_target_column_lists_the_columns(workdir: Path) -> None:
    assert run_main("fit", "--data.target=label") == (
        "error: data/train.csv: no column 'label' (columns: x0, x1, x2, x3, x4, x5, colour, target);"
        " pass --data.target=COLUMN"
    )
{%- if checkpoints %}


def best_checkpoint(trained: TrainedRun) -> Path:
    (path,) = (trained.path / CHECKPOINT_DIR).glob("best-*.ckpt")
    return path


def test_predict_scores_new_rows_with_nothing_but_the_checkpoint(
    trained: TrainedRun, workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # New rows as a colleague sends them: other column order, an id, a note, semicolons, no target, a new colour.
    known = example_table(num_rows=300, seed=1)
    new = known.drop(columns="target").assign(customer=[f"C-{index:04d}" for index in range(300)], note="-")
    new.loc[7, "colour"] = "purple"
    new[["customer", "note", *reversed(known.columns.drop("target"))]].to_csv(workdir / "new.csv", sep=";", index=False)
    checkpoint = shutil.copy(best_checkpoint(trained), workdir / "model.ckpt")
    (workdir / "data" / "train.csv").unlink()  # what the model learned of its training data is in the checkpoint

    args = ["predict", "--ckpt_path", str(checkpoint), "--data.predict_path=new.csv", "--data.id_column=customer"]
    run_cli([*args, *QUIET])
    assert "new.csv: columns note are not features of the model: they are not used" in caplog.text
    with (workdir / "predictions" / "predictions.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["customer"] for row in rows] == new["customer"].tolist()  # one row per input row, in order
{%- if classify %}
    assert list(rows[0]) == ["customer", "prediction", *(f"probability_{label}" for label in sorted(LABELS))]
    predicted = [row["prediction"] for row in rows]
    assert set(predicted) <= set(LABELS)
    assert sum(p == t for p, t in zip(predicted, known["target"], strict=True)) >= 0.9 * len(rows)
{%- else %}
    assert list(rows[0]) == ["customer", "prediction"]
    predicted = torch.tensor([float(row["prediction"]) for row in rows])
    assert (predicted - torch.tensor(known["target"].tolist())).abs().mean() < GOOD_MAE  # in the target's units
{%- endif %}

    # The same in a plain script: load the checkpoint, read the rows, predict.
    model = {{ cookiecutter.__model_class }}.load_from_checkpoint(checkpoint)
{%- if cookiecutter.precision == "32-true" %}
    from_script = model.predict_rows(read_table(workdir / "new.csv"))
{%- if classify %}
    assert from_script["prediction"].tolist() == predicted
{%- else %}
    assert from_script["prediction"].tolist() == pytest.approx(predicted.tolist(), rel=1e-4)
{%- endif %}
{%- else %}
    with torch.autocast("cpu", dtype=torch.bfloat16):  # as `predict` ran: {{ cookiecutter.precision }} is bf16 on a CPU
        from_script = model.predict_rows(read_table(workdir / "new.csv"))
{%- if classify %}
    # Batches of another size round differently in bf16: a near tie may go the other way.
    agreeing = sum(a == b for a, b in zip(from_script["prediction"], predicted, strict=True))
    assert agreeing >= 0.98 * len(predicted)
{%- else %}
    assert from_script["prediction"].tolist() == pytest.approx(predicted.tolist(), rel=2e-2)  # bf16: 8 bits
{%- endif %}
{%- endif %}


def test_predict_names_the_columns_a_new_file_lacks(trained: TrainedRun, workdir: Path) -> None:
    example_table(num_rows=10).drop(columns=["x2", "colour"]).to_csv(workdir / "new.csv")
    checkpoint = str(best_checkpoint(trained))
    assert run_main("predict", "--ckpt_path", checkpoint, "--data.predict_path=new.csv") == (
        "error: new.csv lacks columns that the model reads: x2, colour; add them"
    )
{%- endif %}
