"""The CMYK pass gives every shading function as many values as its colour space has: types 0, 2, 3 and 4.

Each function type is planted as the RGB-in-CMYK defect WeasyPrint writes for PDF/X-4; poppler
and MuPDF warn about the file before the pass and not after.
"""

from __future__ import annotations

import io

import pikepdf
import pytest

from twinprint.prepress.cmyk import convert_pdf_to_cmyk, icc_profile_path, rgb_to_cmyk
from twinprint.prepress.functions import evaluate, parse_calculator, run_calculator
from twinprint.prepress.renderers import renderer_warnings
from twinprint.prepress.shadings import shading_mismatches

RED_TO_BLUE = ([1, 0, 0], [0, 0, 1])


def functions(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Object]:
    """Red to blue four ways: exponential, stitching, sampled (8 bit) and PostScript calculator."""
    start, end = RED_TO_BLUE
    exponential = pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=start, C1=end, N=1)
    stitching = pikepdf.Dictionary(FunctionType=3, Domain=[0, 1], Bounds=[0.5], Encode=[0, 1, 0, 1],
                                   Functions=[pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=start, C1=[0.5, 0, 0.5], N=1),
                                              pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[0.5, 0, 0.5], C1=end, N=1)])
    sampled = pikepdf.Stream(pdf, bytes([255, 0, 0, 128, 0, 128, 0, 0, 255]), FunctionType=0, Domain=[0, 1],
                             Range=[0, 1] * 3, Size=[3], BitsPerSample=8)
    calculator = pikepdf.Stream(pdf, b"{ dup 1 exch sub exch 0 exch }", FunctionType=4, Domain=[0, 1], Range=[0, 1] * 3)
    return {"exponential": exponential, "stitching": stitching, "sampled": sampled, "calculator": calculator}


def defective_pdf() -> bytes:
    """One page, four axial shadings in an ICC-based CMYK space whose functions return RGB."""
    pdf = pikepdf.new()
    cmyk = pikepdf.Array([pikepdf.Name.ICCBased, pikepdf.Stream(pdf, icc_profile_path().read_bytes(), N=4)])
    shadings, content = pikepdf.Dictionary(), b""
    for index, function in enumerate(functions(pdf).values()):
        y = 20 + index * 50
        shadings[f"/Sh{index}"] = pikepdf.Dictionary(ShadingType=2, ColorSpace=cmyk, Coords=[20, y, 280, y], Function=function)
        content += f"q 20 {y} 260 40 re W n /Sh{index} sh Q\n".encode()
    pdf.add_blank_page(page_size=(300, 230))
    pdf.pages[0].Resources = pikepdf.Dictionary(Shading=shadings)
    pdf.pages[0].Contents = pdf.make_stream(content)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_calculator_functions_run_like_postscript():
    assert run_calculator(parse_calculator(b"{ dup 1 exch sub exch 0 exch }"), [0.25]) == [0.75, 0, 0.25]
    assert run_calculator(parse_calculator(b"{ 2 copy gt { exch } if pop }"), [5, 3]) == [3]
    assert run_calculator(parse_calculator(b"{ 0.5 gt { 1 } { 0 } ifelse }"), [0.7]) == [1]
    assert run_calculator(parse_calculator(b"{ 3 2 roll }"), [1, 2, 3]) == [2, 3, 1]


def test_every_function_type_ends_with_four_cmyk_values_and_no_renderer_warns():
    data = defective_pdf()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(shading_mismatches(pdf)) == 4
    before, _ = renderer_warnings(data, 1)
    assert {w.renderer for w in before} == {"poppler", "mupdf"}
    with pikepdf.open(io.BytesIO(data)) as pdf:
        count = convert_pdf_to_cmyk(pdf)
        assert count.shadings == 4
        assert shading_mismatches(pdf) == []
        red, blue = (list(rgb_to_cmyk(*c)) for c in RED_TO_BLUE)
        for name, shading in zip(functions(pdf), pdf.pages[0].Resources.Shading.values()):
            assert shading.ColorSpace == "/DeviceCMYK"
            assert evaluate(shading.Function, [0.0]) == pytest.approx(red, abs=0.01), name
            assert evaluate(shading.Function, [1.0]) == pytest.approx(blue, abs=0.01), name
        out = io.BytesIO()
        pdf.save(out)
    after, _ = renderer_warnings(out.getvalue(), 1)
    assert after == []
