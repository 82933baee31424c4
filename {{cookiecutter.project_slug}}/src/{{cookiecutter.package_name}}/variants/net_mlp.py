"""The network: a plain ``nn.Module`` that knows nothing about training."""

from torch import Tensor, nn


class MLP(nn.Module):
    """A multilayer perceptron for rows of numeric features."""

    def __init__(
        self,
        num_features: int = 20,
        num_outputs: int = 1,
        hidden_size: int = 64,
        num_layers: int = 2,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        size = num_features
        for _ in range(num_layers):
            layers += [nn.Linear(size, hidden_size), nn.ReLU(), nn.Dropout(dropout)]
            size = hidden_size
        layers.append(nn.Linear(size, num_outputs))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)
