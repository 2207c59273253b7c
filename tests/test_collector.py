"""Bounded renders without automatic garbage collection (render/collector.py): their cycles are
freed at the end, and the collector is left as it was found, whatever happens inside."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from twinprint.render.collector import collected_after


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle, as WeasyPrint's box trees hold


def test_a_render_s_cycles_are_freed_when_it_ends_and_the_collector_is_back_on():
    assert gc.isenabled()
    with collected_after():
        assert not gc.isenabled()
        node = Node()
        alive = weakref.ref(node)
        del node
        assert alive() is not None  # no automatic collection inside
    assert alive() is None and gc.isenabled()


def test_the_collector_is_back_on_after_a_failing_render_and_only_after_the_last_of_several():
    with pytest.raises(RuntimeError):
        with collected_after():
            raise RuntimeError("layout failed")
    assert gc.isenabled()
    inside, leave = threading.Event(), threading.Event()

    def other_render() -> None:
        with collected_after():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other_render)
    thread.start()
    inside.wait(10)
    with collected_after():
        pass
    assert not gc.isenabled()  # the other thread's render is still running
    leave.set()
    thread.join()
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_caller_stays_off():
    gc.disable()
    try:
        with collected_after():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
