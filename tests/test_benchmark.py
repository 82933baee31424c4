"""benchmarks/run.py runs end to end on a short setting and writes what it promises."""

import json
import subprocess
import sys
from pathlib import Path

from .conftest import TEMPLATE_DIR

KEYS = {"ratio_default_vs_plain", "ratio_bare_vs_plain", "first_step_seconds", "generated_tests_seconds"}


def test_a_short_benchmark_writes_its_table_and_json(tmp_path: Path) -> None:
    # One round of 12 steps and no test suite: this checks that the three loops run and agree with the
    # project they measure (the plain loop rebuilds its optimizer and loss), not how fast they are.
    output = tmp_path / "latest.json"
    command = [sys.executable, "benchmarks/run.py", "--rounds", "1", "--steps", "12", "--no-tests", "--json", output]
    result = subprocess.run(command, cwd=TEMPLATE_DIR, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| ratio default / plain |" in result.stdout
    results = json.loads(output.read_text())
    assert set(results) >= KEYS
    assert set(results["per_round_ms"]) == {"plain", "default", "bare"}
    assert all(len(times) == 1 and times[0] > 0 for times in results["per_round_ms"].values())
    assert results["ratio_default_vs_plain"] > 0 and results["first_step_seconds"] > 0
    assert results["generated_tests_seconds"] is None  # --no-tests
