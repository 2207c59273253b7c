"""One document end to end: load -> localise -> render HTML -> render PDF -> write.

Everything is gathered and rendered in memory first; the PDF reaches its final
path only through an atomic rename, so a failed build never leaves a partial file.
"""

from __future__ import annotations

import datetime as dt

from dataclasses import dataclass, field, replace
from pathlib import Path
from functools import partial
from typing import Any

from .confine import check_content_folder, readable_roots
from .content.load import EXHIBIT_FILE, load_exhibit
from .layout.design import FIT_ATTEMPTS, FIT_SHRINK, Design, design_context, finish_layout, load_design, overflow_error
from .errors import BuildError, ContentError, Problem
from .layout.fields import layout_prints, main_link, main_link_warning
from .layout.fit import LayoutOverflow, Overflow
from .content.i18n import LocalisedExhibit, language_name, localise, localised_text, second_language
from .layout.templates import LayoutRequest, builtin_root, layout_search_path, render_layout_html, template_files
from .content.model import Exhibit, Link, find_records
from .content.rasters import RasterScaler, scaler_for
from .layout.qr import qr_capacity_problem
from .layout.paper import page_settings
from .prepress.preflight import PreflightFailed, PreflightReport, build_context, finding_lines, preflight_pdf
from .prepress.preview import render_previews
from .prepress.profiles import finish_pdf, get_profile, profile_html, profile_pdf_options
from .render.chunks import CHUNK_CACHE_FOLDER, render_chunked, worth_chunking
from .render.pdf import PdfOptions, RenderedPdf, SandboxFetcher, render_pdf
# What a document is and where it goes live in request.py (light to import); the pipeline uses them from here too.
from .request import (  # noqa: F401
    DEFAULT_LAYOUT, check_command_line_values, is_known_language, year_variable, BuildRequest, inside_output_folder, output_name, prepare_output_folder, request_output, resolve_languages,
    write_atomically,
)


@dataclass
class BuildResult:
    request: BuildRequest
    output: Path
    page_count: int
    warnings: list[str] = field(default_factory=list)
    rendered: RenderedPdf | None = None
    preflight: PreflightReport | None = None
    previews: list[Path] = field(default_factory=list)


def check_request(exhibit: Exhibit, request: BuildRequest) -> None:
    """What only the request decides: every link fits a QR code at its level; with --strict, every printed field is translated."""
    file = str(Path(request.content_dir) / EXHIBIT_FILE)
    problems = [
        Problem(file, f"{path}.url", message, "qr-capacity")
        for path, link in find_records(exhibit, Link)
        if (message := qr_capacity_problem(link.url, request.qr_error_correction))
    ]
    if request.strict:
        problems += [
            Problem(file, path, f"missing {request.language} translation (--strict)", "missing-translation")
            for path in localise(exhibit, request.language).fallbacks if layout_prints(request.layout, path)
        ]
    if problems:
        raise ContentError(problems)


def edition_year(exhibit: Exhibit, variables: dict[str, str]) -> int:
    if "year" in variables:
        return year_variable(variables["year"])
    return exhibit.year or dt.date.today().year


def cities_in_both_scripts(exhibit: Exhibit, language: str) -> list[dict[str, str]]:
    """Each city's name in Latin script and in Chinese, for covers that show both."""
    latin_language = "en" if language == "zh" else language
    return [
        {
            "latin": localised_text(city.name, latin_language, exhibit.default_language),
            "hanzi": localised_text(city.name, "zh", exhibit.default_language),
            "country": localised_text(city.country, language, exhibit.default_language),
        }
        for city in exhibit.cities
    ]


def hero_figure(data: dict[str, Any], hero_id: str | None) -> dict[str, Any] | None:
    figures = [f for section in data["sections"] for f in section["figures"]]
    return next((f for f in figures if f["id"] == hero_id), figures[0] if figures else None)


def template_context(exhibit: Exhibit, localised: LocalisedExhibit, request: BuildRequest) -> dict[str, Any]:
    variables = dict(request.variables)
    year = edition_year(exhibit, variables)
    draft_languages = [code for code, status in exhibit.translations.items() if status == "draft"]
    return {
        "exhibit": localised.data,
        "lang": localised.language,
        "year": year,
        "anniversary": exhibit.anniversary(year),
        "cities": cities_in_both_scripts(exhibit, localised.language),
        "hero": hero_figure(localised.data, exhibit.hero),
        "main_link": main_link(localised.data, request.layout)[0],
        "draft_translation": localised.language in draft_languages,
        "vars": variables,
        "fonts_url": (builtin_root() / "fonts").as_uri() + "/",
        "content_url": Path(request.content_dir).resolve().as_uri() + "/",
        "layout": request.layout,
        "qr_error_correction": request.qr_error_correction,
        "second": bilingual_values(exhibit, second_language(exhibit, variables, localised.language), localised.language),
    }


def bilingual_values(exhibit: Exhibit, second: LocalisedExhibit | None, language: str) -> dict[str, Any] | None:
    """What layouts see as `second` in bilingual mode (--set bilingual=zh): language, its name, texts, draft status."""
    if second is None:
        return None
    return {"lang": second.language, "name": language_name(second.language, language), "exhibit": second.data,
            "draft": exhibit.translations.get(second.language) == "draft"}


def request_design(request: BuildRequest) -> Design:
    """Theme, paper and page settings of the request's layout."""
    search_path = tuple(layout_search_path(request.project_root))
    return load_design(request.layout, search_path, request.theme, request.paper, request.orientation, dict(request.variables))


def render_exhibit_html(exhibit: Exhibit, request: BuildRequest, design: Design | None = None,
                        fit_scale: float = 1.0) -> tuple[str, LocalisedExhibit]:
    localised = localise(exhibit, request.language)
    layout = LayoutRequest(request.layout, request.language, tuple(layout_search_path(request.project_root)))
    context = template_context(exhibit, localised, request) | design_context(design or request_design(request), fit_scale)
    html = render_layout_html(layout, context)
    return html, localised


def render_fitted(exhibit: Exhibit, request: BuildRequest,
                  overflowed: list[LayoutOverflow] | None = None) -> tuple[RenderedPdf, LocalisedExhibit]:
    """Render the PDF; while text in a fitted area overflows, shrink it and render again.

    With `overflowed`, a document that still overflows is returned as laid out, and the
    LayoutOverflow a build raises is put in that list instead (the studio shows where).
    """
    design = request_design(request)
    base_url = Path(request.content_dir).resolve().as_uri() + "/"
    scale = 1.0
    for attempt in range(FIT_ATTEMPTS):
        html, localised = render_exhibit_html(exhibit, request, design, scale)
        html = profile_html(html, request.profile, request.bleed_mm, tuple(layout_search_path(request.project_root)))
        # Made anew for each attempt: the archive profile's attachments are read once, when written.
        options = PdfOptions(qr_error_correction=request.qr_error_correction,
                             weasyprint_options=profile_pdf_options(request.profile, request.content_dir))
        found: list[Overflow] | None = [] if overflowed is not None else None
        try:
            rendered = render_pages(request, design, html, base_url, sandbox_for(request, image_scaler_for(request, design)), options,
                                    exhibit.slug, found)
        except LayoutOverflow as overflow:
            if not _may_shrink(overflow.overflows, attempt):
                raise
            scale *= FIT_SHRINK
            continue
        if found and _may_shrink(found, attempt):
            scale *= FIT_SHRINK
            continue
        if found and overflowed is not None:
            overflowed.append(overflow_error(design, found))
        return rendered, localised
    raise AssertionError("unreachable")


def _may_shrink(overflows: list[Overflow], attempt: int) -> bool:
    """Another attempt with smaller fitted text can help: attempts are left and a fitted area overflowed."""
    return attempt < FIT_ATTEMPTS - 1 and any(o.fitted for o in overflows)


def chunks_apply(request: BuildRequest, design: Design, html: str) -> bool:
    """Chunked rendering for long layouts that mark their cuts, unless tagged (one structure tree) or padded to a page multiple."""
    return (request.chunks and worth_chunking(html) and not get_profile(request.profile).tagged
            and design.settings.page_multiple == 1)


def render_pages(request: BuildRequest, design: Design, html: str, base_url: str, fetcher: SandboxFetcher,
                 options: PdfOptions, slug: str, overflows: list[Overflow] | None = None) -> RenderedPdf:
    """The whole document at once, or chunk by chunk where chunks apply; `overflows` as finish_layout takes it."""
    after_layout = partial(finish_layout, design=design, overflows=overflows)
    if not chunks_apply(request, design, html):
        return render_pdf(html, base_url, fetcher, options, after_layout=after_layout)
    output = request_output(request, slug)
    cache_dir = Path(request.output_dir) / CHUNK_CACHE_FOLDER / output.relative_to(request.output_dir).with_suffix("")
    return render_chunked(html, base_url, fetcher, options, after_layout, cache_dir).rendered


FIRST_FIELDS_LISTED = 3


def translation_warnings(exhibit: Exhibit, localised: LocalisedExhibit, request: BuildRequest) -> list[str]:
    """Per language, one line: how many printed fields fell back to the default language, and the first of them.

    Only fields the layout prints count (layout/fields.py); `verbose` lists every field, one line each.
    """
    second = second_language(exhibit, dict(request.variables), localised.language)
    lines = []
    for each in [localised] + ([second] if second else []):
        if request.verbose:
            lines += [f"missing {each.language} translation, used {exhibit.default_language}: {path}" for path in each.fallbacks]
            continue
        printed = [path for path in each.fallbacks if layout_prints(request.layout, path)]
        if printed:
            first = ", ".join(printed[:FIRST_FIELDS_LISTED]) + (", …" if len(printed) > FIRST_FIELDS_LISTED else "")
            lines.append(f"missing {each.language} translation of {len(printed)} printed field{'s' if len(printed) > 1 else ''}, "
                         f"used {exhibit.default_language}: {first} (--verbose lists all)")
    return lines


def link_warnings(exhibit: Exhibit, localised: LocalisedExhibit, request: BuildRequest) -> list[str]:
    """Links printed with a derived label, and a main QR code that is not the call to action's."""
    lines = [f"{path}: no label, printed the title of what carries the link" for path in exhibit.unlabelled_links()
             if layout_prints(request.layout, f"{path}.label")]
    fallback = main_link_warning(localised.data, request.layout)
    return lines + ([fallback] if fallback else [])


def image_scaler_for(request: BuildRequest, design: Design) -> RasterScaler:
    """Rasters at the profile's resolution over the whole page and its bleed: no image prints larger."""
    bleed_mm = 2 * request.bleed_mm if request.profile == "print" else 0
    return scaler_for(request.profile, design.paper.width_mm + bleed_mm, design.paper.height_mm + bleed_mm, request.output_dir)


def sandbox_for(request: BuildRequest, scaler: RasterScaler | None = None) -> SandboxFetcher:
    roots = {*readable_roots(request.project_root), Path(request.content_dir).resolve()}
    layouts = template_files(tuple(layout_search_path(request.project_root)))
    content = sorted(p for p in Path(request.content_dir).rglob("*") if p.suffix in (".yaml", ".md", ".svg", ".css"))
    document = f"{Path(request.content_dir) / 'exhibit.yaml'} (layout {request.layout!r})"
    return SandboxFetcher(allowed_roots=tuple(sorted(roots)), allowed_hosts=request.allowed_hosts,
                          referrers=tuple(layouts + content), document=document, scale_image=scaler.scale if scaler else None)


def build_document(request: BuildRequest, exhibit: Exhibit | None = None) -> BuildResult:
    """Build one PDF; raises a TwinprintError with a user-facing message on failure."""
    check_content_folder(request.content_dir, request.project_root)
    exhibit = exhibit or load_exhibit(request.content_dir)
    check_request(exhibit, request)
    rendered, localised = render_fitted(exhibit, request)
    spot_inks = request_design(request).theme.spot_inks
    rendered.pdf, _ = finish_pdf(rendered.pdf, get_profile(request.profile), request.bleed_mm, spot_inks)
    output = request_output(request, exhibit.slug)
    try:
        write_atomically(output, rendered.pdf)
    except OSError as error:
        raise BuildError(f"{output}: cannot write the PDF: {error.strerror or error}") from None
    warnings = translation_warnings(exhibit, localised, request) + link_warnings(exhibit, localised, request)
    result = BuildResult(request, output, rendered.page_count, warnings + rendered.warnings, rendered)
    if request.previews:
        for path, png in render_previews(output).items():
            write_atomically(path, png)
            result.previews.append(path)
    if request.preflight:
        result.preflight = preflight_built(request, rendered, localised, output)
        result.warnings += finding_lines(result.preflight)
    return result


def preflight_built(request: BuildRequest, rendered: RenderedPdf, localised: LocalisedExhibit, output: Path) -> PreflightReport:
    """Preflight a fresh build, with what only the build knows: page rule, QR codes placed, content texts.

    Errors raise PreflightFailed: the PDF stays written for inspection, but the build fails.
    """
    multiple = page_settings(request.layout, tuple(layout_search_path(request.project_root))).page_multiple
    asked = dict(request.variables).get("qr_mm")
    # A side the user asked for (--set qr_mm=) lowers the paper rule's minimum to it.
    min_qr_mm = float(asked) if asked and asked.replace(".", "", 1).isdigit() else None
    context = build_context(request.profile, multiple, rendered.qr_codes, localised.data, min_qr_mm, request.content_dir)
    context = replace(context, chosen_cmyk=request_design(request).theme.cmyk_colours())
    report = preflight_pdf(rendered.pdf, str(output), context)
    if report.errors:
        raise PreflightFailed(report)
    return report
