"""Shared fixtures: the project, the seed content, and seed catalogues built once per run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from twinprint.build import BuildRequest, BuildResult, build_document  # noqa: E402
from twinprint.content.load import load_exhibit  # noqa: E402
from twinprint.content.model import Exhibit  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONTENT = PROJECT_ROOT / "content"
SEEDS = ("nanjing-florence", "milan-shanghai")
# The source documents of the seeds, kept in the repository so the fidelity test runs on any clone.
SEED_TEXTS = PROJECT_ROOT / "docs" / "sources"


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def seed_exhibits() -> dict[str, Exhibit]:
    return {slug: load_exhibit(CONTENT / slug) for slug in SEEDS}


@pytest.fixture(scope="session")
def build_once(tmp_path_factory: pytest.TempPathFactory):
    """Build a document at most once per test run, keyed by its request."""
    cache: dict[tuple, BuildResult] = {}
    out = tmp_path_factory.mktemp("builds")

    def build(slug: str, layout: str = "catalogue", language: str = "en", **fields) -> BuildResult:
        key = (slug, layout, language, tuple(sorted(fields.items())))
        if key not in cache:
            request = BuildRequest(CONTENT / slug, layout, language, out, PROJECT_ROOT, **fields)
            cache[key] = build_document(request)
        return cache[key]

    return build
