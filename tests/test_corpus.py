"""The generated-content corpus: a fixed sample rendered in every layout and language shows no geometry error."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import LANGUAGES, LAYOUTS, random_spec, render_corpus_exhibit, sample_matrix, sample_specs, write_exhibit

from twinprint.content.load import load_exhibit


def test_generated_exhibits_load_across_the_whole_range(tmp_path: Path):
    """Six random draws (no rendering): every one is valid content, and the range the issue asks for is reached."""
    titles, sections, events, aspects = [], [], [], []
    for seed in range(6):
        spec = random_spec(seed, max_pixels=300)
        exhibit = load_exhibit(write_exhibit(spec, tmp_path / f"e{seed}"))
        titles.append(max(len(t) for t in ([exhibit.title] if isinstance(exhibit.title, str) else exhibit.title.values())))
        sections.append(len(exhibit.sections))
        events.append(len(exhibit.timeline))
        aspects += [w / h for w, h in spec.images.values()]
    assert min(titles) <= 3 and max(titles) >= 150
    assert max(sections) >= 20 and max(events) == 60 and min(events) == 0
    assert min(aspects) < 0.35 and max(aspects) > 2.8


def test_an_exhibit_without_sections_is_valid_content(tmp_path: Path):
    """The sample's last exhibit has no sections at all (a title, the cities, credits): it loads, and the range reaches 0."""
    assert load_exhibit(write_exhibit(sample_specs()[-1], tmp_path / "empty")).sections == []
    assert min(len(random_spec(seed, max_pixels=300).data["sections"]) for seed in range(60)) == 0


@pytest.fixture(scope="module")
def sample_folders(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, str]]:
    root = tmp_path_factory.mktemp("corpus")
    return [(write_exhibit(spec, root / f"sample-{index}"), spec.recipient) for index, spec in enumerate(sample_specs())]


def test_sample_covers_every_layout_and_language():
    assert {(layout, language) for _, layout, language in sample_matrix()} == {(l, g) for l in LAYOUTS for g in LANGUAGES}


@pytest.mark.slow
@pytest.mark.parametrize("index,layout,language", sample_matrix())
def test_sample_renders_without_geometry_errors(sample_folders, tmp_path: Path, index: int, layout: str, language: str):
    folder, recipient = sample_folders[index]
    render = render_corpus_exhibit(folder, layout, language, tmp_path, recipient)
    assert render.error is None
    assert [f"page {f.pages_text()}: {f.message}" for f in render.geometry_errors] == []
    assert [f.message for f in render.findings if f.severity == "error"] == []
