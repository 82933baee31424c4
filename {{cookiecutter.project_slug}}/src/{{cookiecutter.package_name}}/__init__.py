{%- set nets = {"image_classification": ["ConvNet"], "gan": ["Discriminator", "Generator"]}.get(cookiecutter.task, ["MLP"]) -%}
{%- set names = [cookiecutter.__datamodule_class, cookiecutter.__model_class] + nets -%}
"""{{ {"image_classification": "Image classification", "tabular_classification": "Tabular classification", "regression": "Regression", "gan": "A generative adversarial network"}[cookiecutter.task] }} with PyTorch Lightning: the {{ "networks" if nets | length > 1 else "network" }}, the LightningModule and the data."""

from {{ cookiecutter.package_name }}.data import {{ cookiecutter.__datamodule_class }}
from {{ cookiecutter.package_name }}.model import {{ cookiecutter.__model_class }}
from {{ cookiecutter.package_name }}.net import {{ nets | join(", ") }}

__all__ = [{{ ((names | select("upper") | sort) + (names | reject("upper") | sort(case_sensitive=true))) | map("tojson") | join(", ") }}]
