{%- set image = cookiecutter.task == "image_classification" -%}
{%- set classes = [cookiecutter.__datamodule_class, cookiecutter.__model_class] + (["ConvNet"] if image else []) -%}
"""{{ {"image_classification": "Image classification", "tabular_classification": "Tabular classification", "regression": "Regression"}[cookiecutter.task] }} with PyTorch Lightning: the network, the LightningModule and the data."""

from {{ cookiecutter.package_name }}.data import {{ cookiecutter.__datamodule_class }}
from {{ cookiecutter.package_name }}.model import {{ cookiecutter.__model_class }}
from {{ cookiecutter.package_name }}.net import {{ "ConvNet" if cookiecutter.task == "image_classification" else "MLP" }}

__all__ = [{{ ((["MLP"] if not image else []) + (classes | sort(case_sensitive=true))) | map("tojson") | join(", ") }}]
