"""Benchmark a rendered project's training loop against a hand-written PyTorch loop.

    python benchmarks/run.py                  # the default project
    python benchmarks/run.py --quick          # one repetition, fewer steps: under two minutes here
    python benchmarks/run.py task=regression  # other answers, as key=value (supervised tasks only)

Bakes the project, then measures in fresh processes, interleaved and repeated, with a fixed thread count:
  plain    a plain PyTorch loop: the project's network, data, batch size and optimizer;
  default  the rendered project's `fit` as a user runs it (its default callbacks and loggers);
  bare     a bare Trainer (no logger, checkpoint, progress bar or summary) on the same LightningModule.
Per-step time is the median gap between the starts of consecutive training batches within an epoch, so
epoch ends (validation, checkpoints) are left out of all three. It also times the CLI's start-up to its
first training step, the import of the package, and the project's own test suite; prints a markdown
table and writes JSON (`--json`, by default benchmarks/results/latest.json).
"""

import argparse
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]

# Written into the baked project: the timing callback, and the two loops that are not the project's `fit`.
BENCH_MODULE = '''
"""Benchmark helpers (written by benchmarks/run.py)."""

import json
import os
import sys
import time

import pytorch_lightning as pl
import torch
from torch.nn import functional as F

from {package} import {datamodule_class}, {model_class}
from {package}.cli import CLI, DEFAULT_CONFIG


class BatchTimer(pl.Callback):
    """Record when every training batch starts: (epoch, batch index, wall-clock time)."""

    def __init__(self):
        self.starts = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.starts.append((trainer.current_epoch, batch_idx, time.time()))

    def on_train_end(self, trainer, pl_module):
        with open(os.environ["BENCH_OUTPUT"], "w") as file:
            json.dump(self.starts, file)


def configured():
    """The model and data module exactly as `fit` would build them from configs/config.yaml."""
    parser_kwargs = {{"default_config_files": [DEFAULT_CONFIG]}}
    cli = CLI({model_class}, {datamodule_class}, run=False, args=[], parser_kwargs=parser_kwargs)
    return cli.model, cli.datamodule


def plain(steps):
    model, data = configured()
    data.prepare_data()
    data.setup("fit")
    net = model.net
    optimizer = torch.optim.{optimizer}(net.parameters(), {optimizer_arguments})
    starts, step, epoch = [], 0, 0
    while step < steps:
        for batch_idx, (x, y) in enumerate(data.train_dataloader()):
            starts.append((epoch, batch_idx, time.time()))
            out = net(x)
            loss = {loss}
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step == steps:
                break
        epoch += 1
    with open(os.environ["BENCH_OUTPUT"], "w") as file:
        json.dump(starts, file)


def bare(steps):
    model, data = configured()
    trainer = pl.Trainer(
        max_steps=steps, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, limit_val_batches=0, num_sanity_val_steps=0, callbacks=[BatchTimer()],
    )
    trainer.fit(model, data)


if __name__ == "__main__":
    {{"plain": plain, "bare": bare}}[sys.argv[1]](int(sys.argv[2]))
'''
LOSSES = {
    "image_classification": "F.cross_entropy(out, y)",
    "tabular_classification": "F.cross_entropy(out, y)",
    "regression": "F.mse_loss(out.squeeze(-1), y)",
}
MODELS = {
    "image_classification": "ImageClassifier",
    "tabular_classification": "TabularClassifier",
    "regression": "Regressor",
}
DATA = {
    "synthetic": "SyntheticDataModule",
    "digits": "DigitsDataModule",
    "csv": "CSVDataModule",
    "image_folder": "ImageFolderDataModule",
    "mnist": "MNISTDataModule",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("answers", nargs="*", help="template answers as key=value")
    parser.add_argument("--quick", action="store_true", help="one repetition of fewer steps")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repetitions of each variant")
    parser.add_argument("--steps", type=int, default=200, help="training steps per run")
    parser.add_argument("--threads", type=int, default=1, help="torch threads in every run")
    parser.add_argument("--json", type=Path, default=TEMPLATE / "benchmarks" / "results" / "latest.json")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.steps = 1, 60
    return args


def step_times(path: Path) -> list[float]:
    """Gaps between the starts of consecutive batches of the same epoch, the first gap of each epoch left out."""
    starts = json.loads(path.read_text())
    return [
        later[2] - earlier[2]
        for earlier, later in itertools.pairwise(starts)
        if later[0] == earlier[0] and earlier[1] > 0
    ]


def run(command: list[str], project: Path, env: dict[str, str]) -> float:
    """Run ``command`` in the project; return when it started (wall clock)."""
    started = time.time()
    result = subprocess.run(command, cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if result.returncode:
        sys.exit(f"error: {' '.join(command[1:])} failed:\n{result.stderr[-3000:]}")
    return started


def main() -> None:
    args = parse_args()
    answers = dict(answer.split("=", 1) for answer in args.answers)
    with tempfile.TemporaryDirectory() as folder:
        project = Path(cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers, output_dir=folder))
        task = answers.get("task", "image_classification")
        if task not in LOSSES:
            sys.exit(f"error: the benchmark compares supervised tasks ({', '.join(LOSSES)}), not {task}")
        package = project.name.replace("-", "_")
        (project / "bench_helpers.py").write_text(
            BENCH_MODULE.format(
                package=package,
                model_class=MODELS[task],
                datamodule_class=DATA[answers.get("data_source", "synthetic")],
                optimizer=answers.get("optimizer", "Adam"),
                optimizer_arguments="lr=model.hparams.lr, weight_decay=model.hparams.weight_decay"
                + (", momentum=model.hparams.momentum" if answers.get("optimizer") == "SGD" else ""),
                loss=LOSSES[task],
            )
        )
        env = {**os.environ, "PYTHONPATH": f"{project / 'src'}{os.pathsep}{project}"}
        env.update(OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
        output = Path(folder) / "starts.json"
        env["BENCH_OUTPUT"] = str(output)
        commands = {
            "plain": [sys.executable, "-m", "bench_helpers", "plain", str(args.steps)],
            "default": [
                sys.executable,
                "-m",
                package,
                "fit",
                f"--trainer.max_steps={args.steps}",
                "--trainer.callbacks+=bench_helpers.BatchTimer",
            ],
            "bare": [sys.executable, "-m", "bench_helpers", "bare", str(args.steps)],
        }
        per_step = {name: [] for name in commands}
        first_step = []
        for _ in range(args.repeats):
            for name, command in commands.items():
                started = run(command, project, env)
                per_step[name].append(statistics.median(step_times(output)))
                if name == "default":
                    first_step.append(json.loads(output.read_text())[0][2] - started)
        import_probe = f"import time; t = time.perf_counter(); import {package}; print(time.perf_counter() - t)"
        import_seconds = statistics.median(
            float(
                subprocess.run(
                    [sys.executable, "-c", import_probe],
                    env=env,
                    cwd=project,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            for _ in range(3)
        )
        started = time.perf_counter()
        suite = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        tests = subprocess.run(suite, cwd=project, env=env, capture_output=True, text=True, check=False)
        tests_seconds = time.perf_counter() - started
    medians = {name: statistics.median(times) for name, times in per_step.items()}
    results = {
        "answers": answers,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "torch": torch.__version__,
        "threads": args.threads,
        "steps": args.steps,
        "repeats": args.repeats,
        "per_step_ms": {name: 1000 * value for name, value in medians.items()},
        "ratio_default_vs_plain": medians["default"] / medians["plain"],
        "ratio_bare_vs_plain": medians["bare"] / medians["plain"],
        "first_step_seconds": statistics.median(first_step),
        "import_seconds": import_seconds,
        "generated_tests_seconds": tests_seconds,
        "generated_tests_passed": tests.returncode == 0,
    }
    print(table(results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")


def table(results: dict) -> str:
    ms = results["per_step_ms"]
    outcome = "passed" if results["generated_tests_passed"] else "FAILED"
    return "\n".join(
        [
            "| measure | value |",
            "| --- | --- |",
            f"| plain PyTorch loop, per step | {ms['plain']:.2f} ms |",
            f"| rendered `fit` (defaults), per step | {ms['default']:.2f} ms |",
            f"| bare Trainer, per step | {ms['bare']:.2f} ms |",
            f"| ratio default / plain | {results['ratio_default_vs_plain']:.2f} |",
            f"| ratio bare / plain | {results['ratio_bare_vs_plain']:.2f} |",
            f"| CLI start to first training step | {results['first_step_seconds']:.1f} s |",
            f"| `import` of the package | {results['import_seconds']:.1f} s |",
            f"| the project's own tests | {results['generated_tests_seconds']:.0f} s ({outcome}) |",
        ]
    )


if __name__ == "__main__":
    main()
