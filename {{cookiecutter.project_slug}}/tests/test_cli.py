"""The command line as a user runs it."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.cli import run_cli

PACKAGE = "{{ cookiecutter.package_name }}"
RUN_DIR = Path("logs/default/version_0")


def run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """``python -m {{ cookiecutter.package_name }} ARGS`` in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", PACKAGE, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_print_config_shows_defaults_and_command_line_overrides(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_cli(["fit", "--print_config", "--trainer.max_epochs=3", "--model.lr=0.01"])
    assert exit_info.value.code == 0
    config = yaml.safe_load(capsys.readouterr().out)
    assert config["trainer"]["logger"]["class_path"] == "pytorch_lightning.loggers.TensorBoardLogger"
    assert (config["trainer"]["max_epochs"], config["model"]["lr"]) == (3, 0.01)
    assert config["data"]["num_classes"] == 10  # the model receives it from the data module
    assert config["seed_everything"] == 42


def test_fit_in_a_fresh_process(workdir: Path) -> None:
    result = run("fit", "--config", "configs/debug/limit_batches.yaml", "--trainer.enable_progress_bar=false")
    assert result.returncode == 0, result.stderr
    assert (workdir / RUN_DIR / "checkpoints" / "last.ckpt").is_file()
    assert (workdir / RUN_DIR / "config.yaml").is_file()


def test_ddp_on_two_cpu_processes(workdir: Path) -> None:
    # A subprocess: DDP re-launches the current command for rank 1, which must not be pytest.
    result = run(
        "fit",
        "--config",
        "configs/trainer/ddp_cpu.yaml",
        "--config",
        "configs/debug/limit_batches.yaml",
        "--trainer.enable_progress_bar=false",
    )
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in (workdir / "logs" / "default").iterdir()) == ["version_0"]
    assert (workdir / RUN_DIR / "checkpoints" / "last.ckpt").is_file()
    assert "test_acc" in result.stdout
