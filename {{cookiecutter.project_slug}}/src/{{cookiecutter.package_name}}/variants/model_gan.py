{%- set scheduled = cookiecutter.scheduler != "none" -%}
"""The LightningModule: how the generator and the discriminator are trained against each other."""

import pytorch_lightning as pl
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from {{ cookiecutter.package_name }}.net import Discriminator, Generator

Batch = tuple[Tensor, Tensor]


class GAN(pl.LightningModule):
    """Generate images like the data's with a :class:`Generator`, trained against a :class:`Discriminator`.

    Each batch steps two optimizers in turn, so the model steps them itself: manual optimization is how
    Lightning 2.x trains with more than one optimizer. The data's labels are not used.
    The hyperparameters are plain numbers, so checkpoints load under torch's ``weights_only`` loading.
    """

    def __init__(
        self,
        in_channels: int = 1,
        image_size: int = 16,
        latent_dim: int = 64,
        hidden_size: int = 256,
{% include "optimizer_arguments.py.j2" %}    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False
        self.generator = Generator(latent_dim, in_channels, image_size, hidden_size)
        self.discriminator = Discriminator(in_channels, image_size, hidden_size)
{%- if cookiecutter.torch_compile %}
        if compile_model:
            # Compiled on the first batch; the state dict keeps its plain parameter names.
            self.generator.compile()
            self.discriminator.compile()
{%- endif %}

    def forward(self, z: Tensor) -> Tensor:
        return self.generator(z)

    def noise(self, num_samples: int, seed: int | None = None) -> Tensor:
        """Latent vectors for ``num_samples`` images: random, or the same every time for the same ``seed``."""
        generator = None if seed is None else torch.Generator(self.device).manual_seed(seed)
        return torch.randn(num_samples, self.hparams.latent_dim, generator=generator, device=self.device)

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        """How badly the discriminator tells real images (target 1) from generated ones (target 0)."""
        real_logits, fake_logits = self.discriminator(real), self.discriminator(fake)
        real_loss = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
        fake_loss = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        return (real_loss + fake_loss) / 2

    def generator_loss(self, fake: Tensor) -> Tensor:
        """How rarely the discriminator takes generated images for real ones."""
        logits = self.discriminator(fake)
        return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))

    def training_step(self, batch: Batch, batch_idx: int) -> dict[str, Tensor]:
        real, _ = batch
        optimizer_g, optimizer_d = self.optimizers()
        fake = self(self.noise(len(real)))

        # The discriminator learns from real and generated images (the generator is not updated here)...
        with self.toggled_optimizer(optimizer_d):
            d_loss = self.discriminator_loss(real, fake.detach())
            optimizer_d.zero_grad()
            self.manual_backward(d_loss)
            optimizer_d.step()

        # ...then the generator learns to make the updated discriminator take its images for real.
        with self.toggled_optimizer(optimizer_g):
            g_loss = self.generator_loss(fake)
            optimizer_g.zero_grad()
            self.manual_backward(g_loss)
            optimizer_g.step()
{%- if cookiecutter.scheduler == "onecycle" %}

        # With manual optimization the model steps its schedulers too: OneCycle after every batch.
        for scheduler in self.lr_schedulers():
            scheduler.step()
{%- endif %}

        losses = {"train_g_loss": g_loss.detach(), "train_d_loss": d_loss.detach()}
        self.log_dict(losses, prog_bar=True)
        return losses
{%- if scheduled and cookiecutter.scheduler != "onecycle" %}

    def on_train_epoch_end(self) -> None:
        # With manual optimization the model steps its schedulers too: once per epoch.
        for scheduler in self.lr_schedulers():
            scheduler.step()
{%- endif %}

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self._evaluate(batch, batch_idx, "val")

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        self._evaluate(batch, batch_idx, "test")

    def predict_step(self, batch: Batch, batch_idx: int) -> Tensor:
        """As many generated images as the batch holds, the same ones for the same batch index."""
        real, _ = batch
        return self(self.noise(len(real), seed=batch_idx)).float()

    def _evaluate(self, batch: Batch, batch_idx: int, stage: str) -> None:
        """Both losses on held-out real images and as many generated ones.

        Each batch index draws the same latent vectors every time, so the losses of two epochs or two
        runs differ only because the networks do.
        """
        real, _ = batch
        fake = self(self.noise(len(real), seed=batch_idx))
        losses = {"g_loss": self.generator_loss(fake), "d_loss": self.discriminator_loss(real, fake)}
        metrics = {f"{stage}_{name}": loss for name, loss in losses.items()}
        self.log_dict(metrics, prog_bar=stage == "val", sync_dist=True)
{% if scheduled %}
    def configure_optimizers(self) -> tuple[list[torch.optim.Optimizer], list[torch.optim.lr_scheduler.LRScheduler]]:
        optimizers = [self._optimizer(self.generator), self._optimizer(self.discriminator)]
        return optimizers, [self._scheduler(optimizer) for optimizer in optimizers]
{%- else %}
    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        return [self._optimizer(self.generator), self._optimizer(self.discriminator)]
{%- endif %}
{%- set parameters = "module.parameters()" %}
{%- set lead = "return " %}

    def _optimizer(self, module: nn.Module) -> torch.optim.Optimizer:
{%- include "optimizer.py.j2" %}
{%- if scheduled %}

    def _scheduler(self, optimizer: torch.optim.Optimizer) -> torch.optim.lr_scheduler.LRScheduler:
{%- include "scheduler.py.j2" %}
{%- endif %}
