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
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import yaml
from cookiecutter.generate import generate_context
from cookiecutter.main import cookiecutter
from cookiecutter.prompt import prompt_for_config
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parent
sys.path.insert(0, str(TEMPLATE))  # the template's test helpers
import bench_images  # noqa: E402

from tests.environments import install_project  # noqa: E402

# The loss each supervised task trains on, by the name bench_loops.py knows it.
LOSSES = {"image_classification": "cross_entropy", "tabular_classification": "cross_entropy", "regression": "mse"}
# The answers whose fit hand_loop.py repeats by hand (data_source synthetic as well): the whole-process comparison.
HAND_LOOP_ANSWERS = {"task": "image_classification", "optimizer": "Adam", "scheduler": "cosine"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("answers", nargs="*", help="template answers as key=value")
    parser.add_argument("--quick", action="store_true", help="3 rounds of 48 steps; start-up, import, suite once")
    parser.add_argument("--rounds", type=int, default=9, help="rounds of the three loops")
    parser.add_argument("--steps", type=int, default=160, help="training steps per loop and round")
    parser.add_argument("--threads", type=int, default=1, help="torch threads in every loop")
    parser.add_argument("--no-tests", action="store_true", help="leave out the project's test suite")
    parser.add_argument("--pairs", type=int, default=5, help="rounds of whole processes (fit and hand loop)")
    parser.add_argument("--samples", type=int, default=16384, help="samples per split of the whole-process runs")
    parser.add_argument("--epochs", type=int, nargs="+", default=[2, 8], help="epoch counts of the whole-process runs")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="where every loop trains")
    parser.add_argument("--no-images", action="store_true", help="leave out bench_images.py (image folders)")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "latest.json")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.steps, args.pairs, args.samples = 3, 48, 2, 4096
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("error: --device cuda needs a CUDA GPU, and torch finds none")
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


def process_seconds(command: list[str | Path], cwd: Path, env: dict[str, str]) -> float:
    """The wall time of a process run in a pseudo-terminal, from its start to its exit."""
    started = time.perf_counter()
    run_in_terminal(command, cwd, env)
    return time.perf_counter() - started


def hand_loop_options(project: Path) -> list[str]:
    """The hand-written loop's settings, read from the project's configuration (hand_loop.py's defaults otherwise)."""
    config = yaml.safe_load((project / "configs" / "config.yaml").read_text())
    stopping = [c for c in config["trainer"]["callbacks"] if c["class_path"].endswith("EarlyStopping")]
    options = {
        "--lr": config["model"]["lr"],
        "--batch_size": config["data"]["batch_size"],
        "--log_every": config["trainer"]["log_every_n_steps"],
        "--seed": config["seed_everything"],
        "--patience": stopping[0]["init_args"]["patience"] if stopping else 10**9,
    }
    flags = ["--channels_last"] if config["model"].get("channels_last") else []
    return [f"{name}={value}" for name, value in options.items()] + flags


def whole_processes(
    python: Path, package: str, project: Path, env: dict[str, str], args: argparse.Namespace
) -> tuple[dict[str, dict[int, list[float]]], dict[str, float]]:
    """Wall times of whole processes: the project's ``fit`` and hand_loop.py, each at every epoch count.

    A warm-up fit makes the data file both read. Each round runs every process once, in an order that
    reverses from round to round, so a slow spell of the machine falls on both alike. Each fit starts
    without logs, as a new project's first fit does. Returns the times, and the test accuracy each logged.
    """
    device = (
        ["--trainer.accelerator=gpu", "--trainer.devices=1"] if args.device == "cuda" else ["--trainer.accelerator=cpu"]
    )
    fit = [python, "-m", package, "fit", f"--data.samples_per_split={args.samples}", *device]
    run_in_terminal([*fit, "--trainer.max_epochs=1"], project, env)
    (data_file,) = (project / "data").glob(f"synthetic-*-n{args.samples}-*.pt")
    net = project / "src" / package / "net.py"
    hand = [python, HERE / "hand_loop.py", net, data_file, f"--device={args.device}", *hand_loop_options(project)]
    runs = [(name, epochs) for epochs in args.epochs for name in ("fit", "hand")]
    times: dict[str, dict[int, list[float]]] = {
        "fit": {e: [] for e in args.epochs},
        "hand": {e: [] for e in args.epochs},
    }
    for round_ in range(args.pairs):
        for name, epochs in runs if round_ % 2 == 0 else runs[::-1]:
            shutil.rmtree(project / ("logs" if name == "fit" else "hand_logs"), ignore_errors=True)
            command = [*fit, f"--trainer.max_epochs={epochs}"] if name == "fit" else [*hand, f"--epochs={epochs}"]
            times[name][epochs].append(process_seconds(command, project, env))
            print(f"round {round_}: {name}, {epochs} epochs: {times[name][epochs][-1]:.2f} s", flush=True)
    # The last round's runs are still on disk: that both did the same work shows in their test accuracy.
    accuracy = {"fit": logged_test_accuracy(project / "logs"), "hand": logged_test_accuracy(project / "hand_logs")}
    return times, accuracy


def logged_test_accuracy(folder: Path) -> float:
    """The test accuracy that a run logged to TensorBoard under ``folder``."""
    (events,) = {path.parent for path in folder.rglob("events.out.tfevents.*")}
    accumulator = EventAccumulator(str(events))
    accumulator.Reload()
    return accumulator.Scalars("test_acc")[-1].value


def whole_summary(times: dict[str, dict[int, list[float]]]) -> dict[str, float | dict]:
    """Ratios fit / hand loop per epoch count, and each one's cost per epoch and fixed cost (medians over rounds).

    The costs come from a line through each round's times at the fewest and the most epochs.
    """
    fewest, most = min(times["fit"]), max(times["fit"])
    summary: dict[str, float | dict] = {
        f"ratio_{epochs}_epochs": statistics.median(
            f / h for f, h in zip(times["fit"][epochs], times["hand"][epochs], strict=True)
        )
        for epochs in times["fit"]
    }
    for name, by_epochs in times.items():
        per_epoch = [(b - a) / (most - fewest) for a, b in zip(by_epochs[fewest], by_epochs[most], strict=True)]
        fixed = [a - fewest * p for a, p in zip(by_epochs[fewest], per_epoch, strict=True)]
        summary[f"{name}_per_epoch_seconds"] = statistics.median(per_epoch)
        summary[f"{name}_fixed_seconds"] = statistics.median(fixed)
        summary[f"{name}_seconds"] = {epochs: statistics.median(values) for epochs, values in by_epochs.items()}
    summary["ratio_per_epoch"] = summary["fit_per_epoch_seconds"] / summary["hand_per_epoch_seconds"]
    return summary


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
    synthetic = context["data_source"] == "synthetic"
    # hand_loop.py is written for the default answers' model, data, optimizer and schedule.
    whole = synthetic and all(context[key] == value for key, value in HAND_LOOP_ANSWERS.items())
    results: dict = {"answers": answers, "machine": machine(), "torch": torch.__version__, "device": args.device}
    with tempfile.TemporaryDirectory() as folder:
        project = Path(cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers, output_dir=folder))
        package = context["package_name"]
        # Everything runs in the project's own environment: installed as its README says, nothing else in it.
        python = install_project(project, Path(folder) / "venv")
        output = Path(folder) / "output.json"
        # A user's whole process runs with torch's own thread count; the step loops with a fixed one.
        user_env = {**os.environ, "PYTHONPATH": str(HERE), "COLUMNS": "120", "BENCH_OUTPUT": str(output)}
        env = {**user_env, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
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
            args.device,
        ]
        run_in_terminal(loops, project, env)
        per_round = json.loads(output.read_text())
        if whole:
            times, accuracy = whole_processes(python, package, project, user_env, args)
            results["whole"] = whole_summary(times) | {"times": times, "test_acc": accuracy}
            results["whole"] |= {"pairs": args.pairs, "samples": args.samples}
        if context["data_source"] != "image_folder":
            options = [f"--data.samples_per_split={args.samples}"] if synthetic else []
            loader = [python, "-m", "bench_loader", package, str(2 * args.pairs + 1), output, args.device, *options]
            run_in_terminal(loader, project, user_env)
            throughput = json.loads(output.read_text())
            results["loader"] = {
                "samples_per_second": {name: statistics.median(values) for name, values in throughput.items()},
                "ratio": statistics.median(
                    a / b for a, b in zip(throughput["project"], throughput["per_sample"], strict=True)
                ),
                "rounds": throughput,
            }
        first_steps = [seconds_to_first_step(python, package, project, env, output) for _ in range(probes)]
        first_step = statistics.median(first_steps)
        imported = statistics.median(import_seconds(python, package, project, env) for _ in range(probes))
        if not args.no_tests:
            suite_runs = [run_suite(python, project) for _ in range(probes)]
            tests_seconds = statistics.median(seconds for seconds, _ in suite_runs)
            failed = [result for _, result in suite_runs if result.returncode]

    def ratio(name: str) -> float:
        return statistics.median(a / b for a, b in zip(per_round[name], per_round["plain"], strict=True))

    results |= {
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
    if not args.no_images:
        results["images"] = image_folder_results(args)
    print(table(results))
    if "images" in results:
        print(f"\nImage folders (bench_images.py):\n\n{bench_images.table(results['images'])}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    if not args.no_tests and failed:
        sys.exit(f"error: the project's tests failed:\n{failed[0].stdout[-3000:]}")


def image_folder_results(args: argparse.Namespace) -> dict:
    """bench_images.py's results: an image-folder project's epochs and loaders, cached against decoded every epoch."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "images.json"
        rounds = str(max(3, args.pairs))
        command = [
            sys.executable,
            HERE / "bench_images.py",
            "--rounds",
            rounds,
            "--device",
            args.device,
            "--json",
            output,
        ]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        return json.loads(output.read_text())


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
        ("ratio default / plain, per step", f"{results['ratio_default_vs_plain']:.3f}"),
        ("ratio bare / plain, per step", f"{results['ratio_bare_vs_plain']:.3f}"),
    ]
    whole = results.get("whole")
    if whole:
        for epochs, seconds in whole["fit_seconds"].items():
            hand = whole["hand_seconds"][epochs]
            rows.append(
                (
                    f"whole `fit` / hand loop, {epochs} epochs",
                    f"{whole[f'ratio_{epochs}_epochs']:.3f} ({seconds:.1f} s / {hand:.1f} s)",
                )
            )
        rows.append(("test accuracy, fit / hand loop", "{fit:.3f} / {hand:.3f}".format(**whole["test_acc"])))
        rows += [
            (
                "per extra epoch, fit / hand loop",
                f"{whole['fit_per_epoch_seconds']:.2f} s / {whole['hand_per_epoch_seconds']:.2f} s"
                f" ({whole['ratio_per_epoch']:.3f})",
            ),
            (
                "fixed cost, fit / hand loop",
                f"{whole['fit_fixed_seconds']:.2f} s / {whole['hand_fixed_seconds']:.2f} s",
            ),
        ]
    loader = results.get("loader")
    if loader:
        rate = loader["samples_per_second"]
        rows.append(
            (
                "train loader, batches / per-sample TensorDataset",
                f"{rate['project']:,.0f} / {rate['per_sample']:,.0f} samples/s ({loader['ratio']:.1f}x)",
            )
        )
    rows += [
        ("`fit` start to first training step", f"{results['first_step_seconds']:.1f} s"),
        ("`import` of the package", f"{results['import_seconds']:.1f} s"),
    ]
    if results["generated_tests_seconds"] is not None:
        outcome = "passed" if results["generated_tests_passed"] else "FAILED"
        rows.append(("the project's own tests", f"{results['generated_tests_seconds']:.0f} s ({outcome})"))
    return "\n".join(["| measure | value |", "| --- | --- |", *(f"| {name} | {value} |" for name, value in rows)])


if __name__ == "__main__":
    main()
