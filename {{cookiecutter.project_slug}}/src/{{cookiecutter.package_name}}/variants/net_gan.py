"""The networks: plain ``nn.Module``s that know nothing about training."""

from torch import Tensor, nn


class Generator(nn.Module):
    """Turn a vector of Gaussian noise into an image of ``in_channels`` x ``image_size`` x ``image_size``."""

    def __init__(
        self,
        latent_dim: int = 64,
        in_channels: int = 1,
        image_size: int = 16,
        hidden_size: int = 256,
    ) -> None:
        super().__init__()
        self.image_shape = (in_channels, image_size, image_size)
        self.layers = nn.Sequential(
            nn.Linear(latent_dim, hidden_size),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden_size, hidden_size),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden_size, in_channels * image_size * image_size),
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.layers(z).view(-1, *self.image_shape)


class Discriminator(nn.Module):
    """Score how real an image looks: one logit per image, high for real, low for generated."""

    def __init__(self, in_channels: int = 1, image_size: int = 16, hidden_size: int = 256) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_channels * image_size * image_size, hidden_size),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden_size, hidden_size),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden_size, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x).squeeze(-1)
