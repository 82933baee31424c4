"""Memory a step frees stays with the process, so the next step does not fault it in again."""

import platform
import subprocess
import sys

import pytest

from {{ cookiecutter.package_name }} import memory

# Allocate and free 16 MB in 4 MB blocks twenty times, as training steps do with their activations,
# and print how many pages the kernel had to fault in. The module runs from its file: importing the
# package would import torch, and the probe would take seconds instead of a tenth of one.
PROBE = """
import resource, runpy, sys

mode, path = sys.argv[1:]
if mode == "kept":
    assert runpy.run_path(path)["keep_freed_memory"]()
start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    blocks = [bytearray(4 << 20) for _ in range(4)]
    del blocks
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start)
"""


def page_faults(mode: str) -> int:
    command = [sys.executable, "-c", PROBE, mode, memory.__file__]
    return int(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the settings are glibc's")
def test_freed_memory_is_reused_without_page_faults() -> None:
    # By default freed blocks go back to the kernel and fault in again every round; kept, only the first round faults.
    assert page_faults("kept") * 5 < page_faults("default")
