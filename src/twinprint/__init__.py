"""twinprint: structured twinning-exhibition content -> print-ready PDFs.

The public API is what this module exports; everything else is internal.
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import Any

from .native import find_weasyprint_libraries_quickly

find_weasyprint_libraries_quickly()

# Loaded on first use: `twinprint --version` must not pay for importing the renderer.
_EXPORTS = {"BuildRequest": "request", "BuildResult": "build", "build_document": "build", "load_exhibit": "content.load",
            "TwinprintError": "errors"}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'twinprint' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)


__all__ = ["BuildRequest", "BuildResult", "TwinprintError", "__version__", "build_document", "load_exhibit"]
