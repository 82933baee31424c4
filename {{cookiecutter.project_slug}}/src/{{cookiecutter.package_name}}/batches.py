"""Data held in tensors, served to the DataLoader a whole batch at a time.

Over a ``TensorDataset`` the DataLoader calls ``__getitem__`` once per sample and stacks the samples:
Python work per sample, a few percent of a small CPU step and a bottleneck beside a fast GPU step. A
:class:`TensorBatches` has ``__getitems__``, which the DataLoader calls once per batch with the batch's
rows; it indexes each tensor with them in one operation. The rows still come from the DataLoader's own
sampler (shuffled anew every epoch from torch's seed, or in order; a ``DistributedSampler`` under DDP),
so a batch holds the same samples, in the same order, as it would sample by sample.
"""

import torch
from torch import Tensor
from torch.utils.data import TensorDataset


class TensorBatches(TensorDataset):
    """A ``TensorDataset`` whose batches are one indexing of its tensors; give its DataLoader ``as_batch``."""

    def __getitems__(self, rows: list[int]) -> tuple[Tensor, ...]:
        index = torch.tensor(rows)
        return tuple(tensor[index] for tensor in self.tensors)


def as_batch(batch: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    """The DataLoader's ``collate_fn`` for a batch that ``__getitems__`` has put together already: as it is."""
    return batch
