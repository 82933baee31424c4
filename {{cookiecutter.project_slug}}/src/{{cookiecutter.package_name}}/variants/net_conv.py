"""The network: a plain ``nn.Module`` that knows nothing about training."""

from torch import Tensor, nn


class ConvNet(nn.Module):
    """Two convolution blocks and a linear classifier for small square images."""

    def __init__(
        self,
        in_channels: int = 1,
        image_size: int = 16,
        num_classes: int = 10,
        hidden_channels: int = 16,
    ) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, hidden_channels, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(hidden_channels, 2 * hidden_channels, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        feature_size = 2 * hidden_channels * (image_size // 4) ** 2
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(feature_size, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))
