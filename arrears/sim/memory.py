"""Keeping freed memory for the next chunk instead of handing it back to the kernel.

Every chunk allocates and frees the same few hundred arrays. By default glibc's malloc returns
the freed top of its heap to the kernel and serves large arrays with fresh ``mmap`` calls, so
each chunk pays again for zero-filled pages: a third of the generator's CPU time went to such
page faults. Raising the two thresholds makes malloc reuse what the last chunk freed; memory
stays bounded by the largest chunk. Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 << 20  # the largest glibc accepts; arrays above it still get mmap
TRIM_THRESHOLD_BYTES = 512 << 20


@functools.cache
def reuse_freed_memory() -> bool:
    """Tune glibc malloc once per process; True when it took."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    )
