"""torch.compile: the compiled model computes what the plain one does, and checkpoints do not depend on it."""
{%- set gan = cookiecutter.task == "gan" %}
{%- set nets = ["generator", "discriminator"] if gan else ["net"] %}

from pathlib import Path

import torch

from {{ cookiecutter.package_name }}.cli import run_cli
from {{ cookiecutter.package_name }}.model import {{ cookiecutter.__model_class }}

from .conftest import QUIET


def test_the_compiled_model_matches_the_plain_one(workdir: Path) -> None:
    cli = run_cli(["fit", "--config", "configs/debug/fast_dev_run.yaml", *QUIET])
    compiled = cli.model.eval()
{%- for net in nets %}
    assert compiled.{{ net }}._compiled_call_impl is not None  # nn.Module.compile() compiles in place
{%- endfor %}

    # The state dict keeps the plain names, so the weights load into a model that is not compiled.
    hparams = {name: value for name, value in compiled.hparams.items() if not name.startswith("_")}  # not the CLI's own
    plain = {{ cookiecutter.__model_class }}(**{**hparams, "compile_model": False}).eval()
    plain.load_state_dict(compiled.state_dict())
{%- if gan %}
    inputs = compiled.noise(8, seed=0)
{%- else %}
    inputs, _ = next(iter(cli.datamodule.val_dataloader()))
{%- endif %}
    with torch.no_grad():
        torch.testing.assert_close(compiled(inputs), plain(inputs), rtol=1e-4, atol=1e-4)
