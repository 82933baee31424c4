"""In-memory data is served a batch at a time: the same samples, in the same order, as sample by sample."""

from pathlib import Path

import torch
from torch.utils.data import DataLoader, TensorDataset

from {{ cookiecutter.package_name }}.batches import TensorBatches
from {{ cookiecutter.package_name }}.cli import run_cli


def batches_equal(served: list, expected: list) -> bool:
    return len(served) == len(expected) and all(
        len(batch) == len(reference) and all(torch.equal(a, b) for a, b in zip(batch, reference, strict=True))
        for batch, reference in zip(served, expected, strict=True)
    )


def test_batches_are_those_of_a_per_sample_loader_shuffled_anew_every_epoch(workdir: Path) -> None:
    data = run_cli([], run=False).datamodule
    data.prepare_data()
    data.setup("fit")
    train, val = data.splits["train"], data.splits["val"]
    assert isinstance(train, TensorBatches)
    batch_size = data.hparams.batch_size
    per_sample = DataLoader(TensorDataset(*train.tensors), batch_size=batch_size, shuffle=True)
    epochs = []
    for seed in (0, 0, 1):
        torch.manual_seed(seed)
        served = list(data.train_dataloader())
        torch.manual_seed(seed)
        assert batches_equal(served, list(per_sample))
        epochs.append(served)
    assert batches_equal(epochs[0], epochs[1])  # the same seed, the same order
    assert not batches_equal(epochs[0], epochs[2])  # shuffled anew from torch's seed
    # Every sample once per epoch: the served features, sorted, are the split's.
    served_rows = torch.cat([batch[0] for batch in epochs[2]]).flatten(1)
    assert torch.equal(served_rows.unique(dim=0), train.tensors[0].flatten(1).unique(dim=0))
    assert len(served_rows) == len(train)
    # Validation is served in order.
    in_order = DataLoader(TensorDataset(*val.tensors), batch_size=batch_size)
    assert batches_equal(list(data.val_dataloader()), list(in_order))
