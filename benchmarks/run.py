"""Benchmark a rendered project's training loop against a hand-written PyTorch loop.

    python benchmarks/run.py                  # the default project
    python benchmarks/run.py --quick          # fewer rounds and steps: under two minutes here
    python benchmarks/run.py task=regression  # other answers, as key=value (supervised tasks only)

Bakes the project, installs it into its own environment (tests/environments.py: what its
`pip install -e ".[dev]"` gives a user, offline), then compares there, with a fixed thread count and a
pseudo-terminal for output (progress bars draw as they do for a user):
  plain    a plain PyTorch loop: the project's network, data, batch size and optimizer;
  default  the rendered project's `fit` as a user runs it (its default callbacks and loggers);
  bare     a bare Trainer (no logger, checkpoint, progress bar or summary) on the same LightningModule.
The three run in one process, side by side in threads that take turns one training step at a time
(bench_loops.py), so a slow spell of the machine falls on all three alike. A loop's per-step time is the
median of its turns, each from one batch start to the next within an epoch, so epoch ends (validation,
checkpoints) are left out of all three; a ratio is the median over rounds of that round's ratio. It also
times a fresh `fit` process up to its first training step, the import of the package, and the project's
own test suite; prints a markdown table and writes JSON (`--json`, by default benchmarks/results/latest.json).
"""

import argparse
import json
import os
import platform
import pty
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from cookiecutter.generate import generate_context
from cookiecutter.main import cookiecutter
from cookiecutter.prompt import prompt_for_config

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parent
sys.path.insert(0, str(TEMPLATE))  # the template's test helpers
from tests.environments import install_project  # noqa: E402

# The loss each supervised task trains on, by the name bench_loops.py knows it.
LOSSES = {"image_classification": "cross_entropy", "tabular_classification": "cross_entropy", "regression": "mse"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("answers", nargs="*", help="template answers as key=value")
    parser.add_argument("--quick", action="store_true", help="3 rounds of 48 steps; start-up, import, suite once")
    parser.add_argument("--rounds", type=int, default=9, help="rounds of the three loops")
    parser.add_argument("--steps", type=int, default=160, help="training steps per loop and round")
    parser.add_argument("--threads", type=int, default=1, help="torch threads in every loop")
    parser.add_argument("--no-tests", action="store_true", help="leave out the project's test suite")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "latest.json")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.steps = 3, 48
    return args


def run_in_terminal(command: list[str | Path], cwd: Path, env: dict[str, str]) -> None:
    """Run ``command`` with a pseudo-terminal as its output, as in a user's terminal; exit if it fails."""
    main_fd, child_fd = pty.openpty()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=child_fd, stderr=child_fd)
    os.close(child_fd)
    tail = b""
    while True:
        try:
            chunk = os.read(main_fd, 1 << 16)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        tail = (tail + chunk)[-4000:]
    os.close(main_fd)
    if process.wait():
        sys.exit(f"error: {' '.join(command[1:3])} failed:\n{tail.decode(errors='replace')}")


def seconds_to_first_step(python: Path, package: str, project: Path, env: dict[str, str], output: Path) -> float:
    """From starting ``python -m PACKAGE fit`` to the start of its first training batch."""
    started = time.time()
    run_in_terminal([python, "-m", package, "fit", "--trainer.callbacks+=bench_loops.FirstStep"], project, env)
    return float(output.read_text()) - started


def import_seconds(python: Path, package: str, project: Path, env: dict[str, str]) -> float:
    probe = f"import time; t = time.perf_counter(); import {package}; print(time.perf_counter() - t)"
    command = [python, "-c", probe]
    return float(subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=True).stdout)


def run_suite(python: Path, project: Path) -> tuple[float, subprocess.CompletedProcess]:
    """The project's own test suite (`pytest`, leaving no cache behind): its wall time and its result."""
    started = time.perf_counter()
    suite = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(suite, cwd=project, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, result


def main() -> None:
    args = parse_args()
    answers = dict(answer.split("=", 1) for answer in args.answers)
    # The answers as cookiecutter completes them: defaults, and the class names the template derives.
    context = prompt_for_config(generate_context(TEMPLATE / "cookiecutter.json", extra_context=answers), no_input=True)
    if context["task"] not in LOSSES:
        sys.exit(f"error: the benchmark compares supervised tasks ({', '.join(LOSSES)}), not {context['task']}")
    probes = 1 if args.quick else 3
    with tempfile.TemporaryDirectory() as folder:
        project = Path(cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers, output_dir=folder))
        package = context["package_name"]
        # Everything runs in the project's own environment: installed as its README says, nothing else in it.
        python = install_project(project, Path(folder) / "venv")
        output = Path(folder) / "output.json"
        env = {
            **os.environ,
            "PYTHONPATH": str(HERE),  # bench_loops.py
            "OMP_NUM_THREADS": str(args.threads),
            "MKL_NUM_THREADS": str(args.threads),
            "COLUMNS": "120",
            "BENCH_OUTPUT": str(output),
        }
        loops = [
            python,
            "-m",
            "bench_loops",
            package,
            context["__model_class"],
            context["__datamodule_class"],
            context["optimizer"],
            LOSSES[context["task"]],
            str(args.rounds),
            str(args.steps),
            str(output),
        ]
        run_in_terminal(loops, project, env)
        per_round = json.loads(output.read_text())
        first_steps = [seconds_to_first_step(python, package, project, env, output) for _ in range(probes)]
        first_step = statistics.median(first_steps)
        imported = statistics.median(import_seconds(python, package, project, env) for _ in range(probes))
        if not args.no_tests:
            suite_runs = [run_suite(python, project) for _ in range(probes)]
            tests_seconds = statistics.median(seconds for seconds, _ in suite_runs)
            failed = [result for _, result in suite_runs if result.returncode]

    def ratio(name: str) -> float:
        return statistics.median(a / b for a, b in zip(per_round[name], per_round["plain"], strict=True))

    results = {
        "answers": answers,
        "machine": machine(),
        "torch": torch.__version__,
        "threads": args.threads,
        "rounds": args.rounds,
        "steps": args.steps,
        "per_step_ms": {name: 1000 * statistics.median(times) for name, times in per_round.items()},
        "per_round_ms": {name: [round(1000 * time, 3) for time in times] for name, times in per_round.items()},
        "ratio_default_vs_plain": ratio("default"),
        "ratio_bare_vs_plain": ratio("bare"),
        "first_step_seconds": first_step,
        "import_seconds": imported,
        "generated_tests_seconds": None if args.no_tests else tests_seconds,
        "generated_tests_runs_seconds": None if args.no_tests else [seconds for seconds, _ in suite_runs],
        "generated_tests_passed": None if args.no_tests else not failed,
    }
    print(table(results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    if not args.no_tests and failed:
        sys.exit(f"error: the project's tests failed:\n{failed[0].stdout[-3000:]}")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line]
        cpu = names[0] if names else cpu
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def table(results: dict) -> str:
    ms = results["per_step_ms"]
    rows = [
        ("plain PyTorch loop, per step", f"{ms['plain']:.1f} ms"),
        ("rendered `fit` (defaults), per step", f"{ms['default']:.1f} ms"),
        ("bare Trainer, per step", f"{ms['bare']:.1f} ms"),
        ("ratio default / plain", f"{results['ratio_default_vs_plain']:.3f}"),
        ("ratio bare / plain", f"{results['ratio_bare_vs_plain']:.3f}"),
        ("`fit` start to first training step", f"{results['first_step_seconds']:.1f} s"),
        ("`import` of the package", f"{results['import_seconds']:.1f} s"),
    ]
    if results["generated_tests_seconds"] is not None:
        outcome = "passed" if results["generated_tests_passed"] else "FAILED"
        rows.append(("the project's own tests", f"{results['generated_tests_seconds']:.0f} s ({outcome})"))
    return "\n".join(["| measure | value |", "| --- | --- |", *(f"| {name} | {value} |" for name, value in rows)])


if __name__ == "__main__":
    main()
