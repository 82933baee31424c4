"""Reading finished runs: the metrics a run folder logged, and markdown tables of results."""

import csv
import math
from pathlib import Path
from typing import Any


def logged_metrics(folder: Path) -> dict[str, list[float]]:
    """Each metric's logged values, in order, from the run's metrics.csv or its TensorBoard events."""
    metrics_file = folder / "metrics.csv"
    if metrics_file.is_file():
        with metrics_file.open(newline="") as file:
            rows = list(csv.DictReader(file))
        return {name: [float(row[name]) for row in rows if row[name]] for name in (rows[0] if rows else {})}
{%- if cookiecutter.logger_tensorboard %}
    if any(folder.glob("events.out.tfevents.*")):
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

        events = EventAccumulator(str(folder), size_guidance={"scalars": 0})  # 0: keep every value
        events.Reload()
        return {tag: [event.value for event in events.Scalars(tag)] for tag in events.Tags()["scalars"]}
{%- endif %}
    return {}


def markdown(columns: list[str], rows: list[list[Any]]) -> str:
    """A markdown table; floats with 4 significant digits, None and NaN as empty cells."""

    def cell(value: Any) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)
