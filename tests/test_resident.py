"""The studio's warm render child: it stays between calls, yet every call is still stopped at its limits from outside."""

from __future__ import annotations

import os
import time
from functools import partial

import pytest

from twinprint.batch.contained import LimitExceeded, Limits, resident_mb
from twinprint.batch.resident import RETIRE_AT, ResidentChild
from twinprint.errors import BuildError
from twinprint.render.fontfolders import font_cache_root

_calls = 0


def count_calls() -> tuple[int, int]:
    """This process's id and how many calls it has answered: what a warm child keeps."""
    global _calls
    _calls += 1
    return os.getpid(), _calls


def grow_without_end() -> None:
    kept = []
    while True:
        kept.append(b"x" * (8 << 20))  # written, so resident


def fail() -> None:
    raise BuildError("content/x/exhibit.yaml: title: expected text")


@pytest.fixture
def child():
    resident = ResidentChild()
    yield resident
    resident.stop()


# An allowance above this process's size: a child of it is never retired for what it inherited (RETIRE_AT).
LIMITS = Limits(memory_mb=max(120.0, resident_mb()), seconds=20, whole_process=False)


def test_calls_share_one_warm_child_and_errors_come_back(child: ResidentChild) -> None:
    first_pid, first = child.run(count_calls, LIMITS, "job")
    second_pid, second = child.run(count_calls, LIMITS, "job")
    assert first_pid == second_pid == child.pid != os.getpid()
    assert (first, second) == (1, 2)  # the child remembered the first call
    with pytest.raises(BuildError, match="title: expected text"):
        child.run(fail, LIMITS, "job")
    assert child.run(count_calls, LIMITS, "job") == (first_pid, 3)  # an error is an answer, not a death


def test_a_runaway_call_is_killed_at_the_memory_and_time_limits_and_the_next_gets_a_fresh_child(child: ResidentChild) -> None:
    warm_pid, _ = child.run(count_calls, LIMITS, "job")
    with pytest.raises(LimitExceeded, match=f"poster: stopped at the memory limit of {LIMITS.memory_mb:g} MB"):
        child.run(grow_without_end, LIMITS, "poster")
    with pytest.raises(ProcessLookupError):
        os.kill(warm_pid, 0)  # killed and reaped
    fresh_pid, calls = child.run(count_calls, LIMITS, "job")
    assert fresh_pid != warm_pid and calls == 1
    started = time.monotonic()
    with pytest.raises(LimitExceeded, match="stopped after the time limit of 0.3 s"):
        child.run(partial(time.sleep, 30), Limits(LIMITS.memory_mb, 0.3, whole_process=False), "poster")
    assert time.monotonic() - started < 5


def test_stop_ends_the_child_with_its_font_copies_and_refuses_later_calls(child: ResidentChild) -> None:
    pid, _ = child.run(count_calls, LIMITS, "job")
    copies = font_cache_root() / f"{pid}-fonts-test"
    copies.mkdir(parents=True)  # as WeasyPrint's font copies of that child
    child.stop()
    assert not copies.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(BuildError, match="stopped"):
        child.run(count_calls, LIMITS, "job")


GROWING_CHILD = """
import json, os
from functools import partial
from twinprint.batch.contained import Limits
from twinprint.batch.resident import ResidentChild

kept = []
calls = 0

def keep_megabytes(count):
    global calls
    calls += 1
    kept.append(b"x" * (count << 20))  # written, so resident: what caches and faces a warm child keeps
    return os.getpid(), calls

child = ResidentChild()
seen = []
for _ in range(5):  # 45 MB more each call, within its allowance of 50 MB
    answer = child.run(partial(keep_megabytes, 45), Limits(50, 20, whole_process=False), "job")
    seen.append([answer[0], answer[1], child.pid])
child.stop()
print(json.dumps(seen))
"""


def test_a_child_grown_past_twice_the_allowance_is_replaced_after_answering(tmp_path) -> None:
    """In a process of its own, as the studio's server is: the pages a child shares with a large parent blur its growth."""
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", GROWING_CHILD], env={**os.environ, "TMPDIR": str(tmp_path)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    first = seen[0][0]
    assert seen[0] == [first, 1, first] and seen[1] == [first, 2, first]  # 90 MB kept: under twice the allowance
    replaced = next(i for i, (_, _, pid) in enumerate(seen) if pid is None)  # answered, then replaced
    assert replaced in (2, 3) and all(pid == first for pid, _, _ in seen[:replaced + 1])
    assert seen[replaced + 1][:2] != [first, replaced + 2] and seen[replaced + 1][1] == 1  # a fresh child



EXITING_PARENT = """
import sys, threading, time
from functools import partial
from twinprint.batch.contained import Limits, run_contained
from twinprint.render.fontfolders import font_cache_root, private_folder

def render_for_a_while():
    private_folder("fonts-")  # as WeasyPrint's font copies of this child
    time.sleep(60)

threading.Thread(target=partial(run_contained, render_for_a_while, Limits(400, 120), "job"), daemon=True).start()
while not list(font_cache_root().glob("*-fonts-*")):
    time.sleep(0.05)
sys.exit(0)  # the studio's server ending while a board build renders in a daemon thread
"""


def test_a_render_child_does_not_outlive_its_exiting_parent_with_its_font_copies(tmp_path) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", EXITING_PARENT], env={**os.environ, "TMPDIR": str(tmp_path)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert not list(tmp_path.glob("twinprint-*/*")), list(tmp_path.glob("twinprint-*/*"))
