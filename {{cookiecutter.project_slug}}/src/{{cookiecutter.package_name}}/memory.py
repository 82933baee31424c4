"""Keep the memory a training step frees for the next step, instead of returning it to the system.

A CPU step allocates and frees a few megabytes of activations and gradients. By default glibc's
malloc gives that memory back to the kernel when it is freed and faults it in again, page by page,
on the next step: on the default model here, 2,000-4,000 page faults and 8-16 ms of system time per
step of ~45 ms, and more of it under a Trainer than in a hand-written loop. Two malloc settings keep
it: blocks up to 32 MiB come from the heap, and the heap keeps up to 256 MiB of free memory at its
top. Larger blocks still go straight to the system. On a GPU the activations live on the device and
this changes little; elsewhere than glibc (macOS, Windows, musl) it does nothing.
"""

import ctypes
import platform

# From glibc's <malloc.h>.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
HEAP_BLOCKS_UP_TO = 32 << 20  # bytes; glibc's largest allowed value
KEEP_FREE_AT_HEAP_TOP = 256 << 20  # bytes


def keep_freed_memory() -> bool:
    """Apply the two settings to this process (and the DataLoader workers it forks); whether it could."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)
    heap_blocks = libc.mallopt(M_MMAP_THRESHOLD, HEAP_BLOCKS_UP_TO)
    kept_free = libc.mallopt(M_TRIM_THRESHOLD, KEEP_FREE_AT_HEAP_TOP)
    return bool(heap_blocks and kept_free)
