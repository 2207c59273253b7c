"""WeasyPrint's native libraries, found without a compiler run for each name it tries.

WeasyPrint tries several spellings of each library (Windows, macOS, Linux). cffi looks up
every spelling that does not open at once with ctypes.util.find_library, which on Linux
runs ldconfig, then gcc, then ld: 54 processes and about 0.4 s on each import of WeasyPrint,
in every command, fork server and studio. While WeasyPrint's library module runs, a lookup
asks the loader's cache only (one `ldconfig -p`); the spellings that open directly are
unaffected, so the libraries loaded are the same.
"""

from __future__ import annotations

# Only sys here: this module runs in `twinprint --version` too; the rest is imported with WeasyPrint.
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import ModuleType

LIBRARY_MODULE = "weasyprint.text.ffi"


def loader_cache_listing() -> str:
    import subprocess

    try:
        return subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def finder_in_loader_cache() -> Any:
    import re

    listing = loader_cache_listing()

    def find_in_loader_cache(name: str) -> str | None:
        found = re.search(rf"\s(lib{re.escape(name)}\.so[^\s]*)\s", listing)
        return found.group(1) if found else None

    return find_in_loader_cache


class _LoaderCacheLoader:
    def __init__(self, loader: Any):
        self.loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        import ctypes.util

        original = ctypes.util.find_library
        ctypes.util.find_library = finder_in_loader_cache()
        try:
            self.loader.exec_module(module)
        finally:
            ctypes.util.find_library = original


class _LibraryModuleFinder:
    """Hands out WeasyPrint's library module with the quick lookup around its execution, once."""

    def find_spec(self, name: str, path: Any, target: ModuleType | None = None) -> ModuleSpec | None:
        if name != LIBRARY_MODULE:
            return None
        from importlib.machinery import PathFinder

        sys.meta_path.remove(self)
        spec = PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _LoaderCacheLoader(spec.loader)  # type: ignore[assignment]
        return spec


def find_weasyprint_libraries_quickly() -> None:
    if sys.platform.startswith("linux") and LIBRARY_MODULE not in sys.modules and \
            not any(isinstance(finder, _LibraryModuleFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _LibraryModuleFinder())
