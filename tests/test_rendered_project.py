"""The rendered project as its users meet it: installed, trained from the command line, tested by its own suite."""

from pathlib import Path

import pytest

from .conftest import install_project, run


@pytest.fixture(scope="module")
def installed(default_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_project(default_project, tmp_path_factory.mktemp("venv") / "venv")


def test_rendered_test_suite_passes(default_project: Path, installed: Path) -> None:
    result = run(installed, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=default_project, timeout=600)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
    assert "failed" not in result.stdout


def test_one_command_trains_offline_and_leaves_a_tensorboard_run(default_project: Path, installed: Path) -> None:
    script = installed.parent / "lightning-project"
    result = run(script, "fit", "--trainer.max_epochs=2", cwd=default_project)
    assert result.returncode == 0, result.stderr[-3000:]
    run_dir = default_project / "logs" / "default" / "version_0"
    assert list(run_dir.glob("events.out.tfevents.*"))
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert list((run_dir / "checkpoints").glob("best-epoch=*-val_acc=*.ckpt"))
    assert "test_acc" in result.stdout
