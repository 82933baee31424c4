"""The default configuration trains, checkpoints, logs, resumes, tests and predicts."""

from pathlib import Path

import pytest
import torch
from pytorch_lightning import Trainer
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from {{ cookiecutter.package_name }} import ImageClassifier, SyntheticDataModule
from {{ cookiecutter.package_name }}.cli import run_cli

from .conftest import QUIET

RUN_DIR = Path("logs/default/version_0")
STEPS_PER_EPOCH = 8  # 2048 training samples in batches of 256
NUM_CLASSES = 10


def best_checkpoint(root: Path) -> Path:
    (path,) = (root / RUN_DIR / "checkpoints").glob("best-*.ckpt")
    return path


def test_fast_dev_run_runs_every_loop_and_writes_nothing(workdir: Path) -> None:
    cli = run_cli(["fit", "--config", "configs/debug/fast_dev_run.yaml", *QUIET])
    assert cli.trainer.state.finished
    assert cli.trainer.global_step == 1
    assert not (workdir / "logs").exists()


def test_default_fit_beats_chance_and_tests_the_best_checkpoint(trained_dir: Path) -> None:
    scalars = EventAccumulator(str(trained_dir / RUN_DIR)).Reload()
    val_acc = [event.value for event in scalars.Scalars("val_acc")]
    assert len(val_acc) == 3
    assert max(val_acc) >= 0.9
    assert scalars.Scalars("test_acc")[-1].value >= 0.9
    assert {"train_loss", "train_acc", "val_loss", "test_loss"} <= set(scalars.Tags()["scalars"])
    assert "hp_metric" not in scalars.Tags()["scalars"]


def test_run_folder_holds_config_hparams_and_checkpoints(trained_dir: Path) -> None:
    run = trained_dir / RUN_DIR
    assert (run / "config.yaml").is_file()
    assert (run / "hparams.yaml").is_file()
    assert (run / "checkpoints" / "last.ckpt").is_file()
    assert best_checkpoint(trained_dir).name.startswith("best-epoch=")
    assert list(run.glob("events.out.tfevents.*"))


def test_best_checkpoint_reloads_under_weights_only(trained_dir: Path) -> None:
    path = best_checkpoint(trained_dir)
    checkpoint = torch.load(path, weights_only=True)
    assert checkpoint["hyper_parameters"]["num_classes"] == NUM_CLASSES

    model = ImageClassifier.load_from_checkpoint(path)
    data = SyntheticDataModule(data_dir=str(trained_dir / "data"))
    trainer = Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False)
    (metrics,) = trainer.test(model, datamodule=data)
    assert metrics["test_acc"] >= 0.9


def test_test_and_predict_commands_log_into_the_checkpoint_run(
    trained_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(trained_dir)
    ckpt = str(best_checkpoint(trained_dir))

    tested = run_cli(["test", "--ckpt_path", ckpt, *QUIET])
    assert tested.trainer.callback_metrics["test_acc"] >= 0.9

    run_cli(["predict", "--ckpt_path", ckpt, *QUIET])
    predictions = torch.load(trained_dir / "predictions" / "predictions.pt")
    data = SyntheticDataModule(data_dir=str(trained_dir / "data"))
    data.setup("predict")
    _, labels = data.splits["test"].tensors
    assert predictions.shape == labels.shape
    assert predictions.dtype == torch.int64
    assert (predictions == labels).float().mean() >= 0.9
    assert (trained_dir / RUN_DIR / "config-test.yaml").is_file()
    assert (trained_dir / RUN_DIR / "config-predict.yaml").is_file()
    assert not (trained_dir / "logs" / "default" / "version_1").exists()


@pytest.mark.filterwarnings("ignore:Checkpoint directory .* exists and is not empty")
def test_fit_ckpt_path_last_resumes_the_same_run(workdir: Path) -> None:
    first = run_cli(["fit", "--trainer.max_epochs=1", *QUIET])
    assert first.trainer.global_step == STEPS_PER_EPOCH

    resumed = run_cli(["fit", "--ckpt_path", "last", "--trainer.max_epochs=2", *QUIET])
    assert resumed.trainer.current_epoch == 2
    assert resumed.trainer.global_step == 2 * STEPS_PER_EPOCH
    assert sorted(path.name for path in (workdir / "logs" / "default").iterdir()) == ["version_0"]
    last = torch.load(workdir / RUN_DIR / "checkpoints" / "last.ckpt", weights_only=True)
    assert last["global_step"] == 2 * STEPS_PER_EPOCH
