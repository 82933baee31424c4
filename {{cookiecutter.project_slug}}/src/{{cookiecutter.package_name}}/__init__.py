"""Image classification with PyTorch Lightning: the network, the LightningModule and the data."""

from {{ cookiecutter.package_name }}.data import SyntheticDataModule
from {{ cookiecutter.package_name }}.model import ImageClassifier
from {{ cookiecutter.package_name }}.net import ConvNet

__all__ = ["ConvNet", "ImageClassifier", "SyntheticDataModule"]
