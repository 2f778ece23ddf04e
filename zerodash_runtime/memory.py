"""Make the loaded master cheap to fork: give freed heap back to the system and keep shared pages shared."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys


def prepare_for_fork() -> None:
    """Call in gunicorn's master once the app is imported and its data loaded, before the worker is forked."""
    release_free_memory()
    # The worker's garbage collector would write to every object's GC header and so copy every page of the
    # master's objects into the worker; frozen objects are never scanned, so their pages stay shared.
    gc.collect()
    gc.freeze()
    gc.enable()  # wsgi.py disables it for the imports


def release_free_memory() -> None:
    """Hand memory freed after parsing (a CSV's text, dropped columns) back to the operating system."""
    pyarrow = sys.modules.get("pyarrow")  # only if the app (or a Parquet dataset) loaded it: never import it here
    if pyarrow is not None:
        pyarrow.default_memory_pool().release_unused()  # Arrow keeps freed buffers in its own pool otherwise
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return
    malloc_trim = getattr(ctypes.CDLL(libc_name), "malloc_trim", None)  # glibc only; musl has none
    if malloc_trim is not None:
        malloc_trim(0)
