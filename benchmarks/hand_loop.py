"""A hand-written PyTorch training script doing the work of a default project's ``fit``: the whole-process baseline.

    python hand_loop.py NET_PY DATA_FILE --epochs 8 [--batch_size 256 --lr 3e-3 --device cpu]

What a careful engineer would write without Lightning, for the default answers (image classification on
the synthetic data set): it imports only torch and TensorBoard's writer, builds the project's own
network (``NET_PY``, loaded by path so that the package and Lightning are not imported) and reads the
data file that the project's data module wrote. Then, as the project's ``fit`` does with its defaults:
seed; the network's weights channels-last if the project's are; Adam with a cosine schedule over the
epochs; batches of shuffled rows by tensor indexing; validation after every epoch; the training loss to
TensorBoard every 4 steps and the epoch's accuracies and validation loss at its end; the best checkpoint
by validation loss and ``last.ckpt`` after every epoch, each written to a temporary file and renamed;
early stopping after 3 epochs without a better validation loss; then the best checkpoint is loaded and
tested. It prints the test accuracy.
"""

import argparse
import importlib.util
import math
import os
import time
from pathlib import Path

import torch
from torch.nn import functional as F
from torch.utils.tensorboard import SummaryWriter


def load_network(path: Path, in_channels: int, image_size: int, num_classes: int) -> torch.nn.Module:
    spec = importlib.util.spec_from_file_location("net", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ConvNet(in_channels, image_size, num_classes)


def batches(x: torch.Tensor, y: torch.Tensor, size: int, generator: torch.Generator | None = None):
    order = torch.randperm(len(y), generator=generator) if generator is not None else torch.arange(len(y))
    for rows in order.split(size):
        yield x[rows], y[rows]


@torch.inference_mode()
def evaluate(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, size: int, device: str) -> tuple[float, float]:
    """Mean loss and accuracy over the split."""
    net.eval()
    loss, correct = torch.zeros((), device=device), torch.zeros((), device=device)
    for xb, yb in batches(x, y, size):
        xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
        logits = net(xb)
        loss += F.cross_entropy(logits, yb, reduction="sum")
        correct += (logits.argmax(1) == yb).sum()
    net.train()
    return loss.item() / len(y), correct.item() / len(y)


def save(state: dict, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as file:
        torch.save(state, file)
        file.flush()
        os.fsync(file.fileno())
    temporary.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("net_py", type=Path)
    parser.add_argument("data_file", type=Path)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch_size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--log_every", type=int, default=4)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--channels_last", action="store_true", help="the network's weights stored NHWC")
    parser.add_argument("--output", type=Path, default=Path("hand_logs"))
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    splits = torch.load(args.data_file, weights_only=True)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = (splits[name] for name in ("train", "val", "test"))
    num_classes = int(y_train.max()) + 1
    net = load_network(args.net_py, x_train.shape[1], x_train.shape[-1], num_classes).to(args.device)
    if args.channels_last:
        net = net.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    checkpoints = args.output / "checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    writer = SummaryWriter(args.output)
    generator = torch.Generator().manual_seed(args.seed)
    best_loss, best_path, waited, step = math.inf, None, 0, 0
    for epoch in range(args.epochs):
        correct = torch.zeros((), device=args.device)
        for xb, yb in batches(x_train, y_train, args.batch_size, generator):
            xb, yb = xb.to(args.device, non_blocking=True), yb.to(args.device, non_blocking=True)
            logits = net(xb)
            loss = F.cross_entropy(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            correct += (logits.detach().argmax(1) == yb).sum()
            step += 1
            if step % args.log_every == 0:
                writer.add_scalar("train_loss", loss.item(), step)
        scheduler.step()
        val_loss, val_acc = evaluate(net, x_val, y_val, args.batch_size, args.device)
        writer.add_scalar("train_acc", correct.item() / len(y_train), step)
        writer.add_scalar("val_loss", val_loss, step)
        writer.add_scalar("val_acc", val_acc, step)
        state = {
            "epoch": epoch,
            "net": net.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
        }
        if val_loss < best_loss:
            best_loss, waited = val_loss, 0
            path = checkpoints / f"best-epoch={epoch}-val_loss={val_loss:.3f}.ckpt"
            save(state, path)
            if best_path is not None:
                best_path.unlink()
            best_path = path
        else:
            waited += 1
        save(state, checkpoints / "last.ckpt")
        if waited >= args.patience:
            break
    writer.flush()
    net.load_state_dict(torch.load(best_path, weights_only=True)["net"])
    test_loss, test_acc = evaluate(net, x_test, y_test, args.batch_size, args.device)
    writer.add_scalar("test_loss", test_loss, step)
    writer.add_scalar("test_acc", test_acc, step)
    writer.close()
    print(f"test_acc {test_acc:.4f} test_loss {test_loss:.4f} at {time.time():.3f}")


if __name__ == "__main__":
    main()
