"""Generated exhibits far from the seeds: a seeded generator (and a hypothesis strategy over its seeds).

`write_exhibit(spec, folder)` writes a content folder (exhibit.yaml, Markdown
bodies, PNG/JPEG/SVG figures made with Pillow) that loads like any other.
`random_spec(seed)` draws one from the whole range the issue asks for: titles of
1–200 characters in Latin, Italian, Chinese only or mixed; 0–40 sections, some
with no body, 5 figures or 10 links; figures of aspect 1:4 to 4:1 and 300 to
6000 px; quotes of 5–600 characters; 0–60 timeline events with partial dates;
every optional field sometimes absent. `SAMPLE` is the fixed handful `make test`
renders across every layout and language; scripts/corpus_sweep.py draws more.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from PIL import Image, ImageDraw

LANGUAGES = ("en", "it", "zh")
LATIN_WORDS = ("twin", "city", "river", "bridge", "harbour", "friendship", "delegation", "exchange", "culture", "week",
               "mayor", "council", "students", "festival", "silk", "road", "museum", "archive", "treaty", "anniversary",
               "industrial", "design", "fashion", "university", "partnership", "cooperation", "municipal", "orchestra")
ITALIAN_WORDS = ("città", "gemellaggio", "amicizia", "fiume", "ponte", "perché", "così", "università", "società", "più",
                 "settimana", "cultura", "sindaco", "delegazione", "scambio", "cooperazione", "già", "verità", "dell'arte")
CHINESE = "南京上海佛罗伦萨米兰友好城市合作交流文化周年纪念代表团市长大学艺术丝绸之路长江古城墙博物馆历史经济发展创新设计时装学生青年音乐节"
CHINESE_PUNCTUATION = "，。、：；"
RECIPIENT_EXTRAS = ("王小明", "欧阳娜娜", "Ms. Maria Grazia Dell'Acqua-Bianchi", "محمد بن عبد الله", "דוד בן-גוריון",
                    "Léa 🌸 Durand", "Ο Γιώργος", "X")


@dataclass
class ExhibitSpec:
    """Everything write_exhibit needs: the YAML data, Markdown bodies and images to make."""

    seed: int
    data: dict[str, Any]
    bodies: dict[str, str] = field(default_factory=dict)  # relative path -> Markdown
    images: dict[str, tuple[int, int]] = field(default_factory=dict)  # relative path -> (width, height) px
    recipient: str = "A. Recipient"


class Words:
    """Text of a given length in one script, drawn from a seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def latin(self, length: int, words: tuple[str, ...] = LATIN_WORDS) -> str:
        text = ""
        while len(text) < length:
            word = self.rng.choice(words)
            text += (" " if text else "") + (word.capitalize() if not text or self.rng.random() < 0.15 else word)
        return text[:length].rstrip() or "A"

    def chinese(self, length: int) -> str:
        chars = [self.rng.choice(CHINESE) for _ in range(length)]
        for position in range(7, length - 1, 9):
            chars[position] = self.rng.choice(CHINESE_PUNCTUATION)
        return "".join(chars)

    def mixed(self, length: int) -> str:
        text = ""
        while len(text) < length:
            text += (self.chinese(self.rng.randint(2, 6)) if self.rng.random() < 0.5 else " " + self.latin(self.rng.randint(3, 14)) + " ")
        return text[:length].strip() or "城"

    def in_script(self, script: str, length: int) -> str:
        return {"latin": self.latin, "italian": lambda n: self.latin(n, ITALIAN_WORDS), "chinese": self.chinese,
                "mixed": self.mixed}[script](length)

    def text_field(self, length: int, languages: tuple[str, ...], script: str | None = None) -> Any:
        """A plain string, or a mapping with some languages (a missing one falls back to English)."""
        if script or self.rng.random() < 0.25:
            return self.in_script(script or self.rng.choice(("latin", "italian", "chinese", "mixed")), length)
        texts = {"en": self.latin(length)}
        if "it" in languages and self.rng.random() < 0.85:
            texts["it"] = self.latin(length, ITALIAN_WORDS)
        if "zh" in languages and self.rng.random() < 0.85:
            texts["zh"] = self.chinese(max(1, length // 2))
        return texts

    def paragraphs(self, count: int, script: str) -> str:
        sizes = [self.rng.choice((1, 2, 3, 6, 12, 40)) for _ in range(count)]
        return "\n\n".join(self.in_script(script, 12 * size) + ("。" if script == "chinese" else ".") for size in sizes) + "\n"

    def partial_date(self, low: int = 1400, high: int = 2030) -> str | int:
        year = self.rng.randint(low, high)
        precision = self.rng.choice(("year", "month", "day"))
        if precision == "year":
            return year
        month = self.rng.randint(1, 12)
        return f"{year}-{month:02d}" if precision == "month" else f"{year}-{month:02d}-{self.rng.randint(1, 28):02d}"


def recipient_name(rng: random.Random, length: int | None = None) -> str:
    """A recipient of 1–120 characters: Latin, CJK, right-to-left or with emoji."""
    if length is None and rng.random() < 0.4:
        return rng.choice(RECIPIENT_EXTRAS)
    words = Words(rng)
    length = length or rng.randint(1, 120)
    return words.chinese(length) if rng.random() < 0.3 else words.latin(length)


# Names the installed fonts draw (Noto CJK, DejaVu): Latin with accents, Greek, Vietnamese, Polish, Chinese.
DRAWABLE_NAMES = ("王小明", "欧阳娜娜", "Ms. Maria Grazia Dell'Acqua-Bianchi", "Ο Γιώργος", "X", "Đặng Thị Ngọc Hà", "Łukasz Żółć")


def recipients_csv(count: int, seed: int = 13) -> str:
    """A personalise recipients CSV of `count` rows: names in every script the fonts draw, of 1–60
    characters (Latin, Italian, Chinese, mixed), each with its own link and a delegation."""
    rng = random.Random(seed)
    words = Words(rng)
    out = io.StringIO()
    table = csv.writer(out, lineterminator="\n")
    table.writerow(("name", "title", "organisation", "url", "delegation"))
    for number in range(count):
        script = rng.choice(("latin", "italian", "chinese", "mixed", "named"))
        name = rng.choice(DRAWABLE_NAMES) if script == "named" else words.in_script(script, rng.randint(1, 60))
        delegation = rng.choice(("Nanjing delegation", "Florence delegation", "佛罗伦萨代表团"))
        table.writerow((name, "Delegate", "Friendship Society", f"https://example.org/twinprint/d/{number:05d}", delegation))
    return out.getvalue()


def random_spec(seed: int, max_sections: int = 40, max_pixels: int = 6000, max_events: int = 60,
                section_count: int | None = None, event_count: int | None = None) -> ExhibitSpec:
    """One exhibit drawn from the whole range, reproducible from its seed (counts may be forced)."""
    rng = random.Random(seed)
    words = Words(rng)
    languages = ("en",) + tuple(lang for lang in ("it", "zh") if rng.random() < 0.7)
    spec = ExhibitSpec(seed, {}, recipient=recipient_name(rng))
    title_script = rng.choice(("latin", "italian", "chinese", "mixed"))
    data: dict[str, Any] = {
        "kind": rng.choice(("exhibition", "partnership")),
        "title": words.text_field(rng.choice((1, 3, 12, 40, 90, 200)), languages, rng.choice((title_script, None))),
        "languages": list(languages),
        "translations": {lang: "original" if lang == "en" else rng.choice(("draft", "reviewed")) for lang in languages},
        "cities": [{"name": words.text_field(rng.choice((2, 6, 14, 30)), languages), "country": words.text_field(rng.choice((4, 10)), languages)}
                   for _ in range(2)],
        "twinned_since": words.partial_date(1950, 2015),
    }
    data["year"] = rng.choice((None, 2020, 2025))
    if rng.random() < 0.5:
        data["subtitle"] = words.text_field(rng.choice((5, 60, 160)), languages)
    sections = [_random_section(spec, words, index, languages, max_pixels) for index in range(section_count if section_count is not None else rng.randint(0, max_sections))]
    data["sections"] = sections
    figures = [f["id"] for s in sections for f in s.get("figures", [])]
    if figures and rng.random() < 0.7:
        data["hero"] = rng.choice(figures)
    data["timeline"] = [{"date": words.partial_date(), "title": words.text_field(rng.choice((4, 30, 90)), languages),
                         **({"text": words.text_field(rng.choice((10, 80, 200)), languages)} if rng.random() < 0.6 else {})}
                        for _ in range(event_count if event_count is not None else min(max_events, rng.choice((0, 1, 3, 12, 60))))]
    if rng.random() < 0.5:
        data["call_to_action"] = {"heading": words.text_field(rng.choice((3, 25, 70)), languages),
                                  "link": _link(words, seed, 999, languages)}
    if rng.random() < 0.5:
        data["source"] = {"organisation": words.text_field(rng.choice((5, 40)), languages)}
    data["credits"] = [{"role": words.text_field(8, languages), "name": words.latin(rng.randint(3, 50))} for _ in range(rng.randint(0, 3))]
    spec.data = {key: value for key, value in data.items() if value is not None}
    return spec


def _link(words: Words, seed: int, number: int, languages: tuple[str, ...]) -> dict[str, Any]:
    return {"url": f"https://example.org/corpus/{seed}/{number}", "label": words.text_field(words.rng.choice((3, 20, 60)), languages),
            "placeholder": True}


def _random_section(spec: ExhibitSpec, words: Words, index: int, languages: tuple[str, ...], max_pixels: int) -> dict[str, Any]:
    rng = words.rng
    section: dict[str, Any] = {"id": f"s{index + 1}", "title": words.text_field(rng.choice((1, 8, 30, 80, 140)), languages)}
    shape = rng.choice(("plain", "plain", "no-body", "figures", "links"))
    if shape != "no-body":
        body_files = {}
        for lang in languages:
            path = f"text/s{index + 1}.{lang}.md"
            spec.bodies[path] = words.paragraphs(rng.randint(1, 5), "chinese" if lang == "zh" else "italian" if lang == "it" else "latin")
            body_files[lang] = path
        section["body_file"] = body_files
    figure_count = 5 if shape == "figures" else rng.choice((0, 0, 1))
    section["figures"] = [_random_figure(spec, words, index, n, max_pixels) for n in range(figure_count)]
    section["links"] = [_link(words, spec.seed, index * 10 + n, languages) for n in range(10 if shape == "links" else rng.choice((0, 1)))]
    if rng.random() < 0.4:
        section["quotes"] = [{"text": words.text_field(rng.choice((5, 60, 250, 600)), languages), "author": words.latin(rng.randint(2, 40)),
                              **({"role": words.text_field(20, languages)} if rng.random() < 0.5 else {})}]
    return section


def _random_figure(spec: ExhibitSpec, words: Words, section: int, number: int, max_pixels: int) -> dict[str, Any]:
    rng = words.rng
    aspect = 2 ** rng.uniform(-2, 2)  # width / height, 1:4 to 4:1
    long_side = rng.randint(300, max_pixels)
    size = (long_side, max(1, round(long_side / aspect))) if aspect >= 1 else (max(1, round(long_side * aspect)), long_side)
    suffix = rng.choice(("png", "jpg", "svg"))
    path = f"images/s{section + 1}-{number + 1}.{suffix}"
    spec.images[path] = size
    figure = {"id": f"s{section + 1}-f{number + 1}", "image": path, "caption": words.text_field(rng.choice((3, 40, 160)), spec.data.get("languages", LANGUAGES)),
              "alt": words.latin(rng.randint(5, 80))}
    if rng.random() < 0.4:
        figure["credit"] = words.latin(rng.randint(5, 40))
    return figure


def write_exhibit(spec: ExhibitSpec, folder: Path) -> Path:
    """Write the content folder of `spec` into `folder` (created) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "exhibit.yaml").write_text(yaml.safe_dump(spec.data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for path, text in spec.bodies.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
    for path, (width, height) in spec.images.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        write_picture(folder / path, width, height)
    return folder


def write_picture(path: Path, width: int, height: int) -> None:
    """A small file of any size: sky, roof-tops along the top edge, ground along the bottom (cropping shows)."""
    if path.suffix == ".svg":
        path.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
                        f'<rect width="{width}" height="{height}" fill="#9cc3e6"/><rect width="{width}" height="{height * 0.12:.0f}" fill="#a0522d"/>'
                        f'<rect y="{height * 0.8:.0f}" width="{width}" height="{height * 0.2:.0f}" fill="#5b8c3a"/></svg>', encoding="utf-8")
        return
    image = Image.new("RGB", (width, height), "#9cc3e6")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, height * 0.12), fill="#a0522d")
    draw.rectangle((0, height * 0.8, width, height), fill="#5b8c3a")
    image.save(path, quality=60) if path.suffix == ".jpg" else image.save(path, optimize=True)


def sample_specs() -> list[ExhibitSpec]:
    """The fixed sample `make test` renders: each far from the seeds in its own way, small enough to render fast."""
    long_titled = random_spec(11, max_pixels=900, section_count=2, event_count=0)
    long_titled.data.update(title={"en": Words(random.Random(1)).latin(200), "it": Words(random.Random(2)).latin(200, ITALIAN_WORDS),
                                   "zh": Words(random.Random(3)).chinese(90)},
                            subtitle=Words(random.Random(4)).latin(160), languages=list(LANGUAGES))
    long_titled.recipient = Words(random.Random(5)).latin(120)
    bare = random_spec(23, max_pixels=600, section_count=2, event_count=3)
    bare.data.update(title="城", languages=list(LANGUAGES))
    for optional in ("hero", "call_to_action", "source", "subtitle"):
        bare.data.pop(optional, None)
    bare.recipient = "欧阳娜娜"
    busy = random_spec(37, max_pixels=1200, section_count=5, event_count=24)
    busy.data.update(languages=list(LANGUAGES))
    busy.recipient = "Ms. Maria Grazia Dell'Acqua-Bianchi"
    empty = random_spec(5, max_pixels=600, section_count=0, event_count=0)  # a title, two cities, a subtitle, credits
    empty.data.update(languages=list(LANGUAGES))
    for spec in (long_titled, bare, busy, empty):
        spec.data["translations"] = {lang: "original" if lang == "en" else "draft" for lang in LANGUAGES}
    return [long_titled, bare, busy, empty]


LAYOUTS = ("catalogue", "poster", "booklet", "report")


@dataclass
class CorpusRender:
    """What one build of a generated exhibit gave: its preflight findings, or the error that stopped it."""

    folder: Path
    layout: str
    language: str
    seconds: float
    findings: list[Any] = field(default_factory=list)  # preflight Findings
    error: str | None = None

    @property
    def geometry_errors(self) -> list[Any]:
        return [f for f in self.findings if f.check == "geometry" and f.severity == "error"]


def render_corpus_exhibit(folder: Path, layout: str, language: str, output: Path, recipient: str | None = None) -> CorpusRender:
    """Build one document of a generated exhibit (screen profile) and keep every preflight finding."""
    import time

    from twinprint.build import BuildRequest, build_document
    from twinprint.errors import TwinprintError
    from twinprint.prepress.preflight import PreflightFailed

    project = Path(__file__).resolve().parents[1]
    variables = (("recipient", recipient),) if recipient and layout == "booklet" else ()
    started = time.perf_counter()
    render = CorpusRender(folder, layout, language, 0.0)
    try:
        result = build_document(BuildRequest(folder, layout, language, output, project, variables=variables))
        render.findings = list(result.preflight.findings) if result.preflight else []
    except PreflightFailed as failed:
        render.findings = list(failed.report.findings)
    except TwinprintError as error:
        render.error = str(error)
    render.seconds = time.perf_counter() - started
    return render


def sample_matrix() -> list[tuple[int, str, str]]:
    """(sample index, layout, language): every layout in every language once, spread over the sample with sections,
    and every layout once more for the exhibit without sections (languages in turn)."""
    with_sections = len(sample_specs()) - 1
    spread = [((i + j) % with_sections, layout, language) for i, layout in enumerate(LAYOUTS) for j, language in enumerate(LANGUAGES)]
    return spread + [(with_sections, layout, LANGUAGES[(i + 2) % len(LANGUAGES)]) for i, layout in enumerate(LAYOUTS)]


def write_long_catalogue(folder: Path, panels: int) -> Path:
    """A plain long exhibit for benchmarks: `panels` sections of about a page of text each, every
    fifth with a quote, each body in its own Markdown file (so one panel can be edited alone)."""
    words = Words(random.Random(panels))
    (folder / "text").mkdir(parents=True, exist_ok=True)
    sections = []
    for n in range(panels):
        (folder / "text" / f"p{n:04d}.md").write_text("\n\n".join(words.latin(560) + "." for _ in range(4)) + "\n", encoding="utf-8")
        section: dict[str, Any] = {"id": f"p{n:04d}", "title": f"Panel {n + 1}: {words.latin(24)}", "body_file": f"text/p{n:04d}.md"}
        if n % 5 == 0:
            section["quotes"] = [{"text": words.latin(120), "author": words.latin(16)}]
        sections.append(section)
    data = {"kind": "exhibition", "title": f"A long exhibition of {panels} panels",
            "cities": [{"name": {"en": "Nanjing", "zh": "南京"}, "country": "China"}, {"name": {"en": "Florence", "zh": "佛罗伦萨"}, "country": "Italy"}],
            "twinned_since": 1980, "sections": sections}
    (folder / "exhibit.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder
