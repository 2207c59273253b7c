"""twinprint: structured twinning-exhibition content -> print-ready PDFs.

The public API is what this module exports; everything else is internal.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .build import BuildRequest, BuildResult, build_document  # noqa: E402
from .content.load import load_exhibit  # noqa: E402
from .errors import TwinprintError  # noqa: E402

__all__ = ["BuildRequest", "BuildResult", "TwinprintError", "__version__", "build_document", "load_exhibit"]
