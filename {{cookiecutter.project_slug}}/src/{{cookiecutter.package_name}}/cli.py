"""The command line: ``python -m {{ cookiecutter.package_name }} fit|validate|test|predict``, built on LightningCLI."""
{%- set csv_data = cookiecutter.data_source == "csv" %}
{%- set links = {"image_classification": ["classes", "in_channels", "image_size"], "tabular_classification": ["classes", "preprocessing"] if csv_data else ["classes", "num_features"], "regression": ["preprocessing"] if csv_data else ["num_features"], "gan": ["in_channels", "image_size"]}[cookiecutter.task] %}
{%- set learned = (links | select("in", ["classes", "preprocessing"]) | list) if cookiecutter.data_source in ("csv", "image_folder") else [] %}
{%- set versioned = cookiecutter.__runs_dir == "logs" %}
{%- set fractions = cookiecutter.data_source in ("digits", "csv", "image_folder") %}
{%- set run_folders = cookiecutter.callback_checkpoint and versioned %}
{%- set in_place = cookiecutter.callback_checkpoint and cookiecutter.logger_tensorboard %}
{%- set follows = cookiecutter.callback_checkpoint and (cookiecutter.logger_wandb or cookiecutter.logger_mlflow) %}
{%- set continues_mlflow = cookiecutter.callback_checkpoint and cookiecutter.logger_mlflow %}
{%- set chooses_runs = follows or cookiecutter.logger_mlflow %}
{%- set resumes_in_place = in_place or (cookiecutter.callback_checkpoint and not versioned) %}
{%- set fills_in = versioned or chooses_runs %}

import importlib
import inspect
import io
{% if versioned -%}
import os
{% endif -%}
import pickle
{% if cookiecutter.logger_mlflow -%}
import secrets
{% endif -%}
import sys
import warnings
import zipfile
from collections.abc import Callable{{ ", Iterable" if run_folders or follows }}
{%- if cookiecutter.logger_mlflow %}
from datetime import datetime
{%- endif %}
from pathlib import Path
from typing import Any, Literal

import pytorch_lightning as pl
import torch
from jsonargparse import Namespace
from pytorch_lightning.cli import ArgsType, LightningArgumentParser, LightningCLI, SaveConfigCallback
{%- if continues_mlflow %}
from pytorch_lightning.utilities import rank_zero_only
{%- endif %}
{% if cookiecutter.experiments %}
from {{ cookiecutter.package_name }} import experiments
{%- endif %}
from {{ cookiecutter.package_name }}.atomic import written_whole
{%- if follows %}
from {{ cookiecutter.package_name }}.callbacks import RUN_IDS
{%- endif %}
from {{ cookiecutter.package_name }}.data import {{ cookiecutter.__datamodule_class }}
from {{ cookiecutter.package_name }}.errors import ExportMismatchError, InputError, NonFiniteLossError
from {{ cookiecutter.package_name }}.memory import keep_freed_memory
from {{ cookiecutter.package_name }}.model import {{ cookiecutter.__model_class }}

DEFAULT_CONFIG = "configs/config.yaml"
SUBCOMMANDS = ("fit", "validate", "test", "predict")
{%- if cookiecutter.task == "gan" %}
# The project's commands beside LightningCLI's, by module: its main() takes the arguments after the command's name.
COMMANDS = {"export": "export"}
# Commands of the template that a GAN cannot run, and why.
REFUSED = {
    "cv": "cross-validation compares folds by a validation metric, and a GAN has none",
    "tune": "Lightning's learning-rate finder and batch-size scaler need automatic optimisation; a GAN steps its"
    " two optimizers by hand",
}
{%- elif versioned %}
# The project's commands beside LightningCLI's, by module: its main() takes the arguments after the command's name.
COMMANDS = {"cv": "crossval", "tune": "tune", "export": "export"}
{%- else %}
# The project's commands beside LightningCLI's, by module: its main() takes the arguments after the command's name.
COMMANDS = {"tune": "tune", "export": "export"}
# Commands of the template that this project cannot run, and why.
REFUSED = {
    "cv": "cross-validation keeps each fold in a run folder of its own (logs/<name>/cv-<id>/fold_<k>), which"
    " TensorBoard or CSV logging makes, and this project was made without both",
}
{%- endif %}
# Values of --ckpt_path that Lightning resolves itself.
CHECKPOINT_KEYWORDS = {"last", "best", "hpc", "registry"}
# Options that only make sense within a range: option -> (lowest, highest or None); checked before anything starts.
LIMITS = {
    "model.lr": (0, None),
    "model.weight_decay": (0, None),
    "data.batch_size": (1, None),
    "data.num_workers": (0, None),
{%- if fractions %}
    "data.val_fraction": (0, 1),
    "data.test_fraction": (0, 1),
{%- endif %}
{%- if cookiecutter.scheduler in ("cosine", "onecycle") %}
    # The {{ "cosine" if cookiecutter.scheduler == "cosine" else "one-cycle" }} schedule spans the run: it needs a number of epochs (-1 trains forever).
    "trainer.max_epochs": (1, None),
{%- endif %}
}
{%- if versioned %}
# Loggers that write into numbered run folders, save_dir/name/version_N.
VERSIONED_LOGGERS = ("TensorBoardLogger", "CSVLogger")
{%- endif %}
{%- if learned %}
# What the model learned from the training data and the data module needs to read new data the same way:
# with --ckpt_path it comes from the checkpoint, not from the training {{ "file" if csv_data else "folder" }} again.
LEARNED_FROM_DATA = ({{ learned | map("tojson") | join(", ") }}{{ "," if learned | length == 1 }})
{%- endif %}


class SaveConfig(SaveConfigCallback):
    """LightningCLI's ``config.yaml`` in the run folder, written whole or not at all: ``--config`` reads it again."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, save_to_log_dir=False, **kwargs)

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
{%- if cookiecutter.logger_mlflow and not (versioned or cookiecutter.logger_wandb) %}
        # Every process asks: the first one's folder is sent to all. The MLflow logger has a folder only with
        # a file store: with a database, the configuration goes to default_root_dir.
        self.log_dir = Path(trainer.log_dir or trainer.default_root_dir)
{%- else %}
        self.log_dir = Path(trainer.log_dir)  # every process asks: the first one's folder is sent to all
{%- endif %}
        super().setup(trainer, pl_module, stage)

    def save_config(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        path = self.log_dir / self.config_filename
        if path.exists() and not self.overwrite:
            raise FileExistsError(f"{path} exists: this run would replace the configuration of another")
        with written_whole(path, "w") as file:
            file.write(self.parser.dump(self.config, skip_none=False))
{%- if continues_mlflow %}


class MLFlowLogger(pl.loggers.MLFlowLogger):
    """Lightning's MLflow logger, made to continue a run: parameters that the run already has are not logged again.

    ``test``, ``validate``, ``predict`` and a resumed ``fit`` with a checkpoint log into its run (the CLI gives them
    its ``run_id``). MLflow refuses to change a parameter of a run, so one given anew, such as
    ``test --data.batch_size=512``, keeps there the value that the run was trained with.
    """

    @rank_zero_only
    def log_hyperparams(self, params: dict[str, Any]) -> None:
        # The keys of a nested dict are logged joined by "/".
        logged = {key.split("/", 1)[0] for key in self.experiment.get_run(self.run_id).data.params}
        super().log_hyperparams({name: value for name, value in params.items() if name not in logged})
{%- endif %}


class CLI(LightningCLI):
{%- if in_place %}
    """LightningCLI that shares data facts with the model, keeps a checkpoint's run folder and tests the best one."""
{%- elif run_folders %}
    """LightningCLI that shares data facts with the model, resumes the newest run and tests the best checkpoint."""
{%- elif cookiecutter.callback_checkpoint %}
    """LightningCLI that shares data facts with the model and tests the best checkpoint after ``fit``."""
{%- else %}
    """LightningCLI that shares data facts with the model and tests the trained model after ``fit``."""
{%- endif %}

{%- if fills_in %}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Logger options that this command fills in for its own run: (logger number, option, value as given).
        self.run_options: list[tuple[int, str, Any]] = []
{%- if versioned %}
        self.reserved: list[Path] = []  # run folders this command made for itself
        try:
            super().__init__(*args, **kwargs)
        except BaseException:
            remove_if_empty(self.reserved)  # a command that stopped before writing anything leaves nothing
            raise
{%- else %}
        super().__init__(*args, **kwargs)
{%- endif %}
{%- endif %}

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        # What float32 matrix products and convolutions may trade for speed on a GPU (the GPU presets set "high").
        parser.add_argument(
            "--float32_matmul_precision",
            type=Literal["highest", "high", "medium"],
            default="highest",
            help="torch.set_float32_matmul_precision: high lets float32 matrix products use TF32 tensor cores",
        )
        # What the model needs to know of the data comes from the data module once it exists.
        for name in ({{ links | map("tojson") | join(", ") }}{{ "," if links | length == 1 }}):
            parser.link_arguments(f"data.{name}", f"model.{name}", apply_on="instantiate")
{%- if versioned %}
        # `fit --run_name=NAME`: the run folder is <save_dir>/<name>/NAME (cv names its folds so) instead of version_N.
        parser.add_argument("--run_name", type=str | None, default=None, help="the run folder's name (a new folder)")
{%- endif %}
{%- if run_folders %}
        # `fit --resume=true`: continue the newest run from its newest checkpoint, or start one if there is none.
        parser.add_argument("--resume", type=bool, default=False, help="fit: continue the newest run, if there is one")
{%- endif %}

    def parse_arguments(self, parser: LightningArgumentParser, args: ArgsType) -> None:
        """Parse as LightningCLI does, then settle ``--ckpt_path`` before Lightning reads the checkpoint."""
        super().parse_arguments(parser, args)
        subcommand = self.config.get("subcommand")
        options = self.config[subcommand] if subcommand else self.config
        torch.set_float32_matmul_precision(options.float32_matmul_precision)
        if subcommand is None:  # CLI(..., run=False): no subcommand, no checkpoint
            return
        config = self.config[subcommand]
        check_options(config)
        if config.trainer.enable_progress_bar is False:  # Lightning refuses a progress bar among the callbacks then
            callbacks = config.trainer.callbacks or []
            config.trainer.callbacks = [callback for callback in callbacks if "ProgressBar" not in callback.class_path]
{%- if run_folders %}
        if config.resume and subcommand != "fit":
            raise InputError(f"--resume continues a fit: drop it, or give {subcommand} a --ckpt_path")
        logger = config.trainer.logger
        logger = logger[0] if isinstance(logger, list) else logger
        if isinstance(logger, Namespace) and "save_dir" in logger.get("init_args", {}):
            self._use_run_folder(subcommand, config, logger.init_args)
{%- endif %}
{%- if follows and not run_folders %}
        if config.ckpt_path == "last":  # found here, as Lightning finds it, to read the runs it belongs to
            config.ckpt_path = last_checkpoint(config.trainer.callbacks) or "last"
{%- endif %}
{%- if resumes_in_place %}
        if subcommand == "fit" and config.ckpt_path is not None:
            # A resumed fit saves its checkpoints beside those of the run it continues{{ " (runs/checkpoints)" if not versioned }}: Lightning's
            # warning that the checkpoint folder is not empty says nothing then.
            warnings.filterwarnings(
                "ignore",
                message=r"Checkpoint directory .* exists and is not empty",
                category=UserWarning,
                module=r"pytorch_lightning\.callbacks\.model_checkpoint",
            )
{%- endif %}
{%- if follows %}
        checkpoint = check_checkpoint(config.ckpt_path)
        self._choose_runs({{ "subcommand, " if cookiecutter.logger_mlflow }}checkpoint.get(RUN_IDS, {}) if checkpoint else {})
{%- else %}
        check_checkpoint(config.ckpt_path)
{%- if cookiecutter.logger_mlflow %}
        self._choose_runs(subcommand)
{%- endif %}
{%- endif %}
{%- if versioned %}
        if not config.trainer.fast_dev_run and first_process():  # fast_dev_run logs nothing
            self._reserve_run_folders()

    def _reserve_run_folders(self) -> None:
        """Make each new run's ``version_N`` folder now, so that runs started together never share one."""
        for number, logger in enumerate(self._loggers()):
            if not isinstance(logger, Namespace):  # logger: false, or Lightning's default
                continue
            if logger.class_path.endswith(VERSIONED_LOGGERS) and logger.init_args.get("version") is None:
                run_root = Path(logger.init_args.save_dir) / logger.init_args.name
                try:
                    created = reserve_version(run_root, self.config[self.config.subcommand].run_name)
                except FileExistsError as error:
                    raise InputError(f"the run folder {error.filename} exists: give another --run_name") from None
                except OSError as error:
                    raise InputError(
                        f"cannot make a run folder in {run_root} ({error.strerror}):"
                        " make it a folder you can write to, or run from another folder"
                    ) from None
                self._for_this_run(number, "version", created[-1].relative_to(run_root).as_posix())
                self.reserved += created
{%- endif %}
{%- if chooses_runs %}
{%- if follows and cookiecutter.logger_mlflow %}

    def _choose_runs(self, subcommand: str, run_ids: dict[str, str]) -> None:
        """Log into the {{ "runs" if cookiecutter.logger_wandb else "run" }} of ``run_ids`` (the checkpoint's) if the store has {{ "them" if cookiecutter.logger_wandb else "it" }}, or name the new MLflow run.
{%- elif follows %}

    def _choose_runs(self, run_ids: dict[str, str]) -> None:
        """Log into the W&B run of ``run_ids`` (the checkpoint's)."""
{%- else %}

    def _choose_runs(self, subcommand: str) -> None:
        """Give each new MLflow run a name of its own.
{%- endif %}
{%- if cookiecutter.logger_mlflow %}

        MLflow draws the names it makes up from Python's random generator, which ``seed_everything`` resets: every
        run would get the same one. Here a name is the command, the time it started and four random hex digits.
        """
{%- endif %}
        for number, logger in enumerate(self._loggers()):
            if not isinstance(logger, Namespace):  # logger: false, or Lightning's default
                continue
            args = logger.init_args
{%- if follows and cookiecutter.logger_wandb %}
            if logger.class_path.endswith("WandbLogger") and run_ids.get("wandb") and args.get("id") is None:
                self._for_this_run(number, "id", run_ids["wandb"])
                self._for_this_run(number, "resume", "allow")  # a new run with that id if W&B has none
{%- endif %}
{%- if cookiecutter.logger_mlflow %}
{%- if follows %}
            {{ "elif" if cookiecutter.logger_wandb else "if" }} logger.class_path.endswith("MLFlowLogger") and args.get("run_id") is None:
                if has_mlflow_run(args.get("tracking_uri"), run_ids.get("mlflow")):
                    self._for_this_run(number, "run_id", run_ids["mlflow"])
                elif args.get("run_name") is None:
                    name = f"{subcommand}-{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
                    self._for_this_run(number, "run_name", name)
{%- else %}
            if logger.class_path.endswith("MLFlowLogger") and args.get("run_name") is None:
                name = f"{subcommand}-{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
                self._for_this_run(number, "run_name", name)
{%- endif %}
{%- endif %}
{%- endif %}
{%- if fills_in %}

    def _loggers(self) -> list[Namespace | bool | None]:
        """The loggers of the command's configuration, in a list: ``[False]`` for ``logger: false``."""
        loggers = self.config[self.config.subcommand].trainer.logger
        return loggers if isinstance(loggers, list) else [loggers]

    def _for_this_run(self, logger: int, name: str, value: Any) -> None:
        """Set option ``name`` of logger number ``logger`` for this command's run only.

        The configuration that the run saves keeps the option as it was given.
        """
        options = self._loggers()[logger].init_args
        self.run_options.append((logger, name, options.get(name)))
        options[name] = value

    def after_instantiate_classes(self) -> None:
        """The loggers exist: give their options back the values as given, for the configuration the run saves.

        So ``fit --config <run>/config.yaml`` repeats a run as a new one, with a run of its own for each logger.
        """
        for logger, name, given in self.run_options:
            # LightningCLI parsed the configuration anew for a --ckpt_path: the logger is found again by its number.
            self._loggers()[logger].init_args[name] = given
{%- if versioned %}
        if self.subcommand is not None:
            self.config[self.subcommand].run_name = None  # a named folder is this run's alone
{%- endif %}
{%- endif %}
{%- if learned %}

    def before_instantiate_classes(self) -> None:
        """With ``--ckpt_path``, give the data module what the checkpoint's model learned from its training data."""
        if self.subcommand is None:
            return
        config = self.config[self.subcommand]
        for name in LEARNED_FROM_DATA:
            if config.model.get(name) is not None:  # LightningCLI restored it from the checkpoint
                config.data[name] = config.model[name]
{%- endif %}
{%- if run_folders %}

    def _use_run_folder(self, subcommand: str, config: Namespace, logger_args: Namespace) -> None:
        run_root = Path(logger_args.save_dir) / logger_args.name
        if config.resume and config.ckpt_path is None:
            # Lightning writes a requeued SLURM job's checkpoint (hpc_ckpt_<n>.ckpt) here, beside the runs.
            config.trainer.default_root_dir = str(run_root)
            config.ckpt_path = newest_checkpoint(run_root)  # None: nothing to continue, a new run starts
        elif subcommand == "fit" and config.ckpt_path == "last":
            config.ckpt_path = newest_last_checkpoint(run_root) or "last"
{%- if in_place %}
        run = run_folder_of(Path(config.ckpt_path), run_root) if config.ckpt_path else None
        if run is not None:
            self._log_into_run_of(subcommand, run)
{%- endif %}
{%- endif %}

    def after_fit(self) -> None:
{%- if cookiecutter.callback_checkpoint %}
        checkpoint = self.trainer.checkpoint_callback  # the first ModelCheckpoint: the best epoch's
        if checkpoint is not None and checkpoint.best_model_path:
            self.trainer.test(self.model, datamodule=self.datamodule, ckpt_path=checkpoint.best_model_path)
{%- else %}
        self.trainer.test(self.model, datamodule=self.datamodule)
{%- endif %}
{%- if in_place %}

    def _log_into_run_of(self, subcommand: str, run: Path) -> None:
        """Keep logging into the folder of the checkpoint's ``run`` instead of starting a new version.

        A resumed ``fit`` continues its curves and refreshes ``config.yaml``;
        ``validate``, ``test`` and ``predict`` save their configuration beside it as ``config-<command>.yaml``.
        """
        self._for_this_run(0, "version", run.name)
        self.save_config_kwargs["overwrite"] = True
        if subcommand != "fit":
            self.save_config_kwargs["config_filename"] = f"config-{subcommand}.yaml"
{%- endif %}


{% if versioned -%}
def first_process() -> bool:
    """Whether this is the first process of the run, or its only one: the one that writes the run folder."""
    return all(os.environ.get(name, "0") == "0" for name in ("RANK", "LOCAL_RANK", "NODE_RANK", "SLURM_PROCID"))


def reserve_version(run_root: Path, name: str | None = None) -> list[Path]:
    """Make the next free ``run_root/version_N`` folder, or ``run_root/name``; the folders made, outermost first.

    ``mkdir`` fails if another run made the folder first: then the next number is tried (a named folder
    that exists raises ``FileExistsError``).
    """
    made = [folder for folder in (*reversed(run_root.parents), run_root) if not folder.exists()]
    if name is not None:
        folder = run_root / name
        made += [parent for parent in reversed(folder.parents) if parent not in made and not parent.exists()]
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir()
        return [*made, folder]
    run_root.mkdir(parents=True, exist_ok=True)
    numbers = [int(path.name[8:]) for path in run_root.glob("version_*") if path.name[8:].isdigit()]
    number = max(numbers, default=-1) + 1
    while True:
        try:
            (run_root / f"version_{number}").mkdir()
        except FileExistsError:
            number += 1
            continue
        return [*made, run_root / f"version_{number}"]


def remove_if_empty(folders: list[Path]) -> None:
    """Remove ``folders``, innermost first, as long as they are empty."""
    for folder in reversed(folders):
        try:
            folder.rmdir()
        except OSError:  # not empty: the run wrote something worth keeping
            return


{% endif -%}
def check_options(config: Namespace) -> None:
    """Refuse, in one line, an option that is outside its range (``LIMITS``)."""
    for option, (lowest, highest) in LIMITS.items():
        value = config.get(option)
        if value is None or (lowest <= value and (highest is None or value < highest)):
            continue
        allowed = f"at least {lowest}" if highest is None else f"at least {lowest} and below {highest}"
        raise InputError(f"--{option}={value} is out of range: it must be {allowed}")


def check_checkpoint(path: str | None) -> dict[str, Any] | None:
    """Refuse a ``--ckpt_path`` that is missing, damaged or not this project's, before anything starts.

    ``torch.save`` writes a zip archive with its index at the end and a checksum for every member: a cut-off
    file and damaged bytes are caught here, instead of as a stack trace or as a test of garbage weights.
    Returns the checkpoint (its tensors mapped from the file, not read), or None without a checkpoint file.
    """
    if path is None or path in CHECKPOINT_KEYWORDS:
        return None
    if not Path(path).is_file():
        raise InputError(f"no checkpoint at {path!r}: pass the path of a .ckpt file, or --ckpt_path last")
    if not zipfile.is_zipfile(path):
        raise InputError(f"{path!r} is not a readable checkpoint (cut off, or not saved by torch): pass another one")
    with zipfile.ZipFile(path) as archive:
        damaged = archive.testzip()  # reads every member and compares it with its checksum
    if damaged is not None:
        raise InputError(f"{path!r} is damaged ({damaged} fails its checksum): pass another checkpoint (last.ckpt?)")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except (pickle.UnpicklingError, RuntimeError) as error:
        reason = str(error).strip().splitlines()[0]
        raise InputError(
            f"{path!r} holds more than tensors and plain values ({reason}): it was not saved by this project;"
            " pass one of its checkpoints"
        ) from None
    taken = inspect.signature({{ cookiecutter.__model_class }}).parameters
    unknown = sorted(name for name in checkpoint.get("hyper_parameters", {}) if name not in taken and name[0] != "_")
    if unknown:
        raise InputError(
            f"{path!r} was saved by another model: it has {', '.join(unknown)}, which"
            " {{ cookiecutter.__model_class }} does not take; pass a checkpoint of this project"
        )
    return checkpoint
{%- if continues_mlflow %}


def has_mlflow_run(tracking_uri: str | None, run_id: str | None) -> bool:
    """Whether the MLflow store at ``tracking_uri`` has the run ``run_id``: a checkpoint may come from another store."""
    if run_id is None:
        return False
    from mlflow.exceptions import MlflowException  # imported when needed, as Lightning's MLFlowLogger does
    from mlflow.tracking import MlflowClient

    try:
        run = MlflowClient(tracking_uri).get_run(run_id)
    except MlflowException:  # no such run
        return False
    return run.info.lifecycle_stage == "active"  # not deleted
{%- endif %}
{%- if follows and not run_folders %}


def last_checkpoint(callbacks: list[Namespace] | None) -> str | None:
    """What Lightning's ``--ckpt_path last`` picks: the newest ``last*.ckpt`` in the folders of the ModelCheckpoints."""
    checkpoints = [callback for callback in callbacks or [] if callback.class_path.endswith("ModelCheckpoint")]
    folders = {callback.init_args.dirpath for callback in checkpoints if callback.init_args.get("dirpath")}
    return newest(path for folder in folders for path in Path(folder).glob("last*.ckpt"))
{%- endif %}
{%- if run_folders %}


def newest_last_checkpoint(run_root: Path) -> str | None:
    """The most recent ``last.ckpt`` of any run under ``run_root``.

    Lightning alone looks for ``last.ckpt`` in the folder of the new run, which a
    versioned logger has only just created, so ``--ckpt_path last`` would start from scratch.
    """
    return newest(run_root.glob("*/checkpoints/last.ckpt"))


def newest_checkpoint(run_root: Path) -> str | None:
    """What ``--resume`` continues from: the newest ``last.ckpt`` of any run, or a requeued job's newer checkpoint."""
    return newest([*run_root.glob("*/checkpoints/last.ckpt"), *run_root.glob("hpc_ckpt_*.ckpt")])
{%- endif %}
{%- if run_folders or follows %}


def newest(paths: Iterable[Path]) -> str | None:
    """The most recently written of ``paths``, if there is any."""
    latest = max(paths, key=lambda path: path.stat().st_mtime, default=None)
    return None if latest is None else str(latest)
{%- endif %}
{%- if in_place %}


def run_folder_of(checkpoint: Path, run_root: Path) -> Path | None:
    """The run folder (``run_root/<version>``) that ``checkpoint`` continues, if any.

    A checkpoint in ``<version>/checkpoints/`` belongs to that run. The hpc checkpoint that Lightning
    writes to ``run_root`` when SLURM requeues a job continues the newest run.
    """
    folder = checkpoint.resolve().parent
    if folder.name == "checkpoints" and folder.parent.parent == run_root.resolve():
        return checkpoint.parent.parent
    if checkpoint.name.startswith("hpc_ckpt_") and folder == run_root.resolve():
        last = newest_last_checkpoint(run_root)
        return Path(last).parent.parent if last else None
    return None
{%- endif %}


def run_cli(args: list[str] | None = None, run: bool = True, cli_class: Callable[..., CLI] = CLI) -> CLI:
    """Parse ``args`` (by default the command line), run the subcommand and return the CLI with its trainer.

    With ``run=False`` the options are fit's without a subcommand: the model, data and trainer are built and nothing
    runs or saves a configuration. ``cli_class`` builds the CLI: ``tune`` passes one with options of its own.
    """
    keep_freed_memory()
    # Three harmless warnings that are Lightning's to change, each silenced for its one message from its one module.
    # pytorch-lightning 2.6 still builds torch's LeafSpec, which torch 2.13 deprecates, and so warns on every fit:
    warnings.filterwarnings(
        "ignore",
        message=r"`isinstance\(treespec, LeafSpec\)` is deprecated",
        category=FutureWarning,
        module=r"pytorch_lightning\.utilities\._pytree",
    )
    # Lightning suggests worker processes on a machine with more than 2 CPUs; the loaders here serve batches from
    # tensors in memory (batches.py){{ ", and choose their workers when images are decoded on the fly" if cookiecutter.data_source == "image_folder" }}:
    warnings.filterwarnings(
        "ignore",
        message=r"The '\w+_dataloader' does not have many workers",
        module=r"pytorch_lightning\.trainer\.connectors\.data_connector",
    )
    # and the model summary warns that it counts the size of a mixed-precision model in 32 bits:
    warnings.filterwarnings(
        "ignore",
        message=r"Precision .* is not supported by the model summary",
        category=UserWarning,
        module=r"pytorch_lightning\.utilities\.model_summary\.model_summary",
    )
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower().replace("-", "") != "utf8":
            stream.reconfigure(errors="replace")  # a terminal without the progress bar's characters shows "?"
    check_configuration(sys.argv[1:] if args is None else args)
    defaults = {"default_config_files": [DEFAULT_CONFIG]}
    return cli_class(
        {{ cookiecutter.__model_class }},
        {{ cookiecutter.__datamodule_class }},
        parser_kwargs={subcommand: defaults for subcommand in SUBCOMMANDS} if run else defaults,
        # configure_optimizers is the model's own: no optimizer or scheduler keys in the config.
        auto_configure_optimizers=False,
        save_config_callback=SaveConfig if run else None,
{%- if cookiecutter.experiments %}
        # A fit that sweep or seeds started tags its run folder and, in a sweep, reports to its trial.
        trainer_defaults={"callbacks": experiments.run_callbacks()},
{%- endif %}
{%- if not versioned %}
        # Without a logger every run shares `runs/`: each one refreshes runs/config.yaml.
        save_config_kwargs={"overwrite": True},
{%- endif %}
        run=run,
        args=args,
    )


def check_configuration(args: list[str]) -> None:
    """Refuse to run without ``configs/config.yaml`` unless ``--config`` is given.

    Outside the project root LightningCLI would run without it: no logger, no callbacks, no epoch limit.
    """
    given = any(arg in ("-c", "--config", "-h", "--help") or arg.startswith("--config=") for arg in args)
    if given or Path(DEFAULT_CONFIG).is_file():
        return
    root = Path(__file__).resolve().parents[2]  # the project, when it is installed with pip install -e
    where = str(root) if (root / DEFAULT_CONFIG).is_file() else "the project's root folder"
    raise InputError(f"no {DEFAULT_CONFIG} in {Path.cwd()}: run the command from {where}, or pass --config FILE")


def main() -> None:
    """The console script and ``python -m {{ cookiecutter.package_name }}``: bad input ends it with one line."""
    command = sys.argv[1] if len(sys.argv) > 1 else None
    try:
{%- if cookiecutter.task == "gan" %}
        if command in REFUSED:
            raise InputError(f"{command} does not work on a GAN: {REFUSED[command]}")
{%- elif not versioned %}
        if command in REFUSED:
            raise InputError(f"{command} does not work here: {REFUSED[command]}")
{%- endif %}
        if command in COMMANDS:
            importlib.import_module(f"{__package__}.{COMMANDS[command]}").main(sys.argv[2:])
{%- if cookiecutter.experiments %}
        elif command in ("sweep", "seeds", "report"):
            experiments.main(sys.argv[1:])
{%- endif %}
        else:
            run_cli()
{%- if cookiecutter.experiments %}
    except experiments.Pruned as pruned:  # a trial of a sweep, stopped by its study
        print(pruned, file=sys.stderr)
        sys.exit(experiments.PRUNED_EXIT)
{%- endif %}
    except (InputError, NonFiniteLossError, ExportMismatchError) as error:
        sys.exit(f"error: {error}")
