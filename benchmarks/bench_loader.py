"""Loader throughput: the project's train loader against a per-sample ``TensorDataset`` loader, in one process.

    python -m bench_loader PACKAGE ROUNDS OUTPUT DEVICE [fit's data options, e.g. --data.samples_per_split=16384]

Run from the project root (it reads ``configs/``) with this folder on PYTHONPATH. Both loaders serve the
same training split with the same batch size, shuffling and workers, and every batch is moved to the
device (pinned first on CUDA, as the project's loader does there). In each round each loader serves
one epoch, in an order that alternates between rounds; OUTPUT gets the samples per second of every
round, as JSON.
"""

import argparse
import importlib
import json
import time
from pathlib import Path

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset


def epoch_seconds(loader: DataLoader, device: torch.device) -> float:
    started = time.perf_counter()
    for batch in loader:
        moved = [tensor.to(device, non_blocking=True) for tensor in batch]
    if device.type == "cuda":
        torch.cuda.synchronize()
    del moved
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("package")
    parser.add_argument("rounds", type=int)
    parser.add_argument("output", type=Path)
    parser.add_argument("device", choices=["cpu", "cuda"])
    args, options = parser.parse_known_args()
    cli = importlib.import_module(f"{args.package}.cli")
    data = cli.run_cli(options, run=False).datamodule
    data.prepare_data()
    data.setup("fit")
    device = torch.device(args.device)
    if device.type == "cuda":  # the data module pins its batches for a trainer on a GPU, as in fit
        data.trainer = pl.Trainer(accelerator="gpu", devices=1, logger=False)
    project = data.train_dataloader()
    per_sample = DataLoader(
        TensorDataset(*data.splits["train"].tensors),
        batch_size=data.hparams.batch_size,
        shuffle=True,
        num_workers=project.num_workers,
        pin_memory=project.pin_memory,
    )
    loaders = {"project": project, "per_sample": per_sample}
    samples = len(data.splits["train"])
    results: dict[str, list[float]] = {name: [] for name in loaders}
    for round_ in range(args.rounds):
        for name in list(loaders)[:: 1 if round_ % 2 == 0 else -1]:
            results[name].append(samples / epoch_seconds(loaders[name], device))
    args.output.write_text(json.dumps(results))


if __name__ == "__main__":
    main()
