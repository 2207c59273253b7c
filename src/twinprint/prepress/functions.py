"""Evaluate PDF functions (types 0, 2, 3 and 4, the PostScript calculator) so any of them can be resampled.

The CMYK pass rewrites exponential and stitching functions exactly; a
PostScript calculator function (or an array of one-output functions) that
returns RGB cannot be rewritten in place, so it is sampled here and replaced
by a sampled function of its CMYK values.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

import pikepdf

SAMPLES_PER_INPUT = 256
_TOKEN = re.compile(rb"[{}]|[^\s{}]+")
Program = list[Any]


def parse_calculator(code: bytes) -> Program:
    """A type 4 function's code `{ ... }` as nested lists of numbers, operator names and procedures."""
    stack: list[Program] = [[]]
    for token in _TOKEN.findall(code):
        if token == b"{":
            stack.append([])
        elif token == b"}":
            procedure = stack.pop()
            stack[-1].append(procedure)
        else:
            text = token.decode("ascii")
            try:
                stack[-1].append(float(text) if any(c in text for c in ".eE") else int(text))
            except ValueError:
                stack[-1].append(text)
    return stack[0][0] if len(stack[0]) == 1 and isinstance(stack[0][0], list) else stack[0]


_UNARY: dict[str, Callable[[Any], Any]] = {
    "abs": abs, "neg": lambda a: -a, "ceiling": math.ceil, "floor": math.floor, "round": lambda a: math.floor(a + 0.5),
    "truncate": math.trunc, "sqrt": math.sqrt, "sin": lambda a: math.sin(math.radians(a)),
    "cos": lambda a: math.cos(math.radians(a)), "ln": math.log, "log": math.log10, "cvi": int, "cvr": float,
    "not": lambda a: (not a) if isinstance(a, bool) else ~a,
}
_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
    "idiv": lambda a, b: int(a / b), "mod": lambda a, b: int(math.fmod(a, b)), "exp": lambda a, b: a ** b,
    "atan": lambda a, b: math.degrees(math.atan2(a, b)) % 360, "and": lambda a, b: a & b, "or": lambda a, b: a | b,
    "xor": lambda a, b: a ^ b, "bitshift": lambda a, b: a << b if b >= 0 else a >> -b,
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
}


def run_calculator(program: Program, stack: list[Any]) -> list[Any]:
    """Run a parsed calculator procedure on `stack` (changed in place and returned)."""
    for item in program:
        if isinstance(item, list) or not isinstance(item, str):
            stack.append(item)
        elif item in ("true", "false"):
            stack.append(item == "true")
        elif item in _UNARY:
            stack.append(_UNARY[item](stack.pop()))
        elif item in _BINARY:
            second = stack.pop()
            stack.append(_BINARY[item](stack.pop(), second))
        elif item == "if":
            procedure, condition = stack.pop(), stack.pop()
            if condition:
                run_calculator(procedure, stack)
        elif item == "ifelse":
            otherwise, procedure, condition = stack.pop(), stack.pop(), stack.pop()
            run_calculator(procedure if condition else otherwise, stack)
        else:
            _stack_operator(item, stack)
    return stack


def _stack_operator(name: str, stack: list[Any]) -> None:
    if name == "dup":
        stack.append(stack[-1])
    elif name == "pop":
        stack.pop()
    elif name == "exch":
        stack[-1], stack[-2] = stack[-2], stack[-1]
    elif name == "copy":
        count = stack.pop()
        stack.extend(stack[len(stack) - count:] if count else [])
    elif name == "index":
        stack.append(stack[-1 - stack.pop()])
    elif name == "roll":
        shift, count = stack.pop(), stack.pop()
        if count:
            part = stack[-count:]
            shift %= count
            stack[-count:] = part[-shift:] + part[:-shift]
    else:
        raise ValueError(f"unknown calculator operator {name}")


def _clip(values: list[float], bounds: list[float]) -> list[float]:
    return [min(max(v, bounds[2 * i]), bounds[2 * i + 1]) for i, v in enumerate(values)] if bounds else values


def evaluate(function: pikepdf.Object, inputs: list[float]) -> list[float]:
    """The values of one PDF function (or an array of one-output functions) at `inputs`."""
    if isinstance(function, pikepdf.Array):
        return [value for part in function for value in evaluate(part, inputs)]
    kind = int(function.get("/FunctionType", -1))
    inputs = _clip(inputs, [float(v) for v in function.get("/Domain", [])])
    ranges = [float(v) for v in function.get("/Range", [])]
    if kind == 2:
        c0 = [float(v) for v in function.get("/C0", [0])]
        c1 = [float(v) for v in function.get("/C1", [1])]
        t = inputs[0] ** float(function.N)
        return _clip([a + t * (b - a) for a, b in zip(c0, c1)], ranges)
    if kind == 3:
        return _stitched(function, inputs[0])
    if kind == 4:
        program = parse_calculator(function.read_bytes())
        return _clip([float(v) for v in run_calculator(program, list(inputs))], ranges)
    if kind == 0:
        return _sampled(function, inputs)
    raise ValueError(f"function type {kind}")


def _stitched(function: pikepdf.Object, x: float) -> list[float]:
    low, high = (float(v) for v in function.Domain)
    bounds = [low, *(float(v) for v in function.get("/Bounds", [])), high]
    parts = list(function.Functions)
    at = next((i for i in range(len(parts)) if x < bounds[i + 1]), len(parts) - 1)
    encode = [float(v) for v in function.Encode][2 * at: 2 * at + 2]
    span = bounds[at + 1] - bounds[at]
    t = encode[0] + ((x - bounds[at]) / span if span else 0) * (encode[1] - encode[0])
    return evaluate(parts[at], [t])


def _sampled(function: pikepdf.Stream, inputs: list[float]) -> list[float]:
    """Nearest-sample lookup of a one-input sampled function (enough to resample it)."""
    size = int(function.Size[0])
    bits = int(function.BitsPerSample)
    outputs = len(function.Range) // 2
    low, high = (float(v) for v in function.Domain[:2])
    encode = [float(v) for v in function.get("/Encode", [0, size - 1])]
    decode = [float(v) for v in function.get("/Decode", function.Range)]
    position = encode[0] + (inputs[0] - low) / ((high - low) or 1) * (encode[1] - encode[0])
    index = min(size - 1, max(0, round(position)))
    data, width = function.read_bytes(), bits // 8
    top = (1 << bits) - 1
    values = []
    for output in range(outputs):
        at = (index * outputs + output) * width
        raw = int.from_bytes(data[at: at + width], "big") / top
        values.append(decode[2 * output] + raw * (decode[2 * output + 1] - decode[2 * output]))
    return values


def resampled(pdf: pikepdf.Pdf, function: pikepdf.Object, domain: tuple[float, float],
              transform: Callable[[list[float]], list[float]]) -> pikepdf.Stream:
    """A one-input sampled function (8 bits) of `transform(function(x))` over `domain`."""
    low, high = domain
    samples = bytearray()
    outputs = 0
    for step in range(SAMPLES_PER_INPUT):
        values = transform(evaluate(function, [low + (high - low) * step / (SAMPLES_PER_INPUT - 1)]))
        outputs = len(values)
        samples.extend(round(min(1.0, max(0.0, v)) * 255) for v in values)
    return pikepdf.Stream(pdf, bytes(samples), FunctionType=0, Domain=[low, high], Range=[0, 1] * outputs,
                          Size=[SAMPLES_PER_INPUT], BitsPerSample=8)
