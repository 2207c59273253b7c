"""The sandboxed URL fetcher: file: only inside the project, data: always, http(s) only from allowed hosts."""

from __future__ import annotations

import base64
import gzip
import io
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
from PIL import Image

from batchproject import add_long_exhibit, make_project, with_ctrl_c
from twinprint.batch.contained import LimitExceeded, Limits, run_contained
from twinprint.errors import FetchRefused
from twinprint.render.fontfolders import remove_folders_of_ended_processes
from twinprint.render.pdf import SandboxFetcher, render_pdf



def _tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(buffer, "PNG")
    return buffer.getvalue()


TINY_PNG = _tiny_png()


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "content" / "demo" / "images").mkdir(parents=True)
    (root / "content" / "demo" / "images" / "dot.png").write_bytes(TINY_PNG)
    (tmp_path / "secret.txt").write_text("outside the project", encoding="utf-8")
    return root


def fetcher_for(root: Path, **options) -> SandboxFetcher:
    return SandboxFetcher(allowed_roots=(root,), **options)


def refusal(fetcher: SandboxFetcher, url: str) -> str:
    with pytest.raises(BaseException) as caught:
        fetcher.fetch(url)
    assert fetcher.refused, f"{url} was not refused but raised {caught.value!r}"
    return fetcher.refused[-1]


def test_file_inside_the_project_is_fetched_and_recorded(project):
    fetcher = fetcher_for(project)
    image = project / "content" / "demo" / "images" / "dot.png"
    response = fetcher.fetch(image.as_uri())
    assert response.read() == TINY_PNG
    assert image.resolve().as_uri() in fetcher.fetched


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "file:///proc/self/environ",
    "file://localhost/etc/passwd",
])
def test_system_files_are_refused(project, url):
    assert "outside the project" in refusal(fetcher_for(project), url)


def test_dot_dot_is_resolved_before_the_check(project):
    fetcher = fetcher_for(project / "content" / "demo")
    escaping = (project / "content" / "demo").as_uri() + "/../../../secret.txt"
    assert "outside the project" in refusal(fetcher, escaping)
    encoded = (project / "content" / "demo").as_uri() + "/%2e%2e/%2e%2e/%2e%2e/secret.txt"
    assert "outside the project" in refusal(fetcher, encoded)
    deep = (project / "content" / "demo").as_uri() + "/images/../../../../../../../etc/passwd"
    assert "outside the project" in refusal(fetcher, deep)


def test_symlinks_out_of_the_project_are_refused(project):
    link = project / "content" / "demo" / "images" / "innocent.png"
    link.symlink_to(project.parent / "secret.txt")
    assert "outside the project" in refusal(fetcher_for(project), link.as_uri())
    folder_link = project / "content" / "demo" / "etc"
    folder_link.symlink_to("/etc")
    assert "outside the project" in refusal(fetcher_for(project), folder_link.as_uri() + "/passwd")


def test_odd_file_urls_are_refused(project):
    fetcher = fetcher_for(project)
    assert "another host" in refusal(fetcher, "file://fileserver/share/secret.txt")
    assert "not a valid file path" in refusal(fetcher, (project / "x").as_uri() + "%00.png")
    assert "file not found" in refusal(fetcher, (project / "content" / "missing.png").as_uri())
    assert "file not found" in refusal(fetcher, (project / "content").as_uri())


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.169.254./latest/meta-data/",
    "https://example.org@169.254.169.254/",
    "http://[::1]/",
    "http://localhost:8080/",
    "https://example.org/image.png",
])
def test_hosts_not_allowed_are_refused_without_connecting(project, url):
    started = time.perf_counter()
    message = refusal(fetcher_for(project, allowed_hosts=("example.net",)), url)
    assert "allowed_hosts" in message
    assert time.perf_counter() - started < 0.5  # refused before any connection attempt


@pytest.mark.parametrize("url", [
    "ftp://example.org/x.png", "gopher://example.org/", "javascript:alert(1)", "about:blank",
    "blob:https://example.org/1", "jar:file:///x.jar!/a", "mailto:a@example.org", "//example.org/x.png",
])
def test_other_schemes_are_refused(project, url):
    assert "not allowed" in refusal(fetcher_for(project), url)


def test_data_urls_are_allowed(project):
    response = fetcher_for(project).fetch("data:text/plain;base64,aGVsbG8=")
    assert response.read() == b"hello"


def test_refusal_names_the_file_that_wrote_the_reference(project):
    layout = project / "layouts" / "evil" / "layout.html"
    layout.parent.mkdir(parents=True)
    layout.write_text('<img src="../../../../../../etc/passwd">', encoding="utf-8")
    fetcher = fetcher_for(project, referrers=(layout,), document="content/demo/exhibit.yaml")
    assert refusal(fetcher, "file:///etc/passwd").startswith(f"{layout}: refused 'file:///etc/passwd'")
    assert refusal(fetcher, "http://169.254.169.254/").startswith("content/demo/exhibit.yaml: refused")


class _Handler(http.server.BaseHTTPRequestHandler):
    """A tiny local server: /ok, /big, /redirect, /slow, /gzip."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/")
            self.end_headers()
            return
        body = {"/ok": TINY_PNG, "/big": b"x" * 200_000, "/gzip": gzip.compress(b"x" * 1000)}.get(self.path, b"")
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        if self.path == "/gzip":
            self.send_header("Content-Encoding", "gzip")
        if self.path == "/slow":
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(40):
                self.wfile.write(b"x" * 1000)
                self.wfile.flush()
                time.sleep(0.05)
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def local_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_allowed_host_is_fetched(project, local_server):
    fetcher = fetcher_for(project, allowed_hosts=("127.0.0.1",))
    assert fetcher.fetch(f"{local_server}/ok").read() == TINY_PNG
    assert f"{local_server}/ok" in fetcher.fetched


def test_allowed_host_is_capped_in_size_time_redirects_and_encoding(project, local_server):
    fetcher = fetcher_for(project, allowed_hosts=("127.0.0.1",), max_remote_bytes=100_000, timeout_s=0.5)
    assert "larger than 100000 bytes" in refusal(fetcher, f"{local_server}/big")
    assert "could not fetch" in refusal(fetcher, f"{local_server}/redirect")
    assert "compressed responses" in refusal(fetcher, f"{local_server}/gzip")
    started = time.perf_counter()
    assert "took longer than 0.5 s" in refusal(fetcher, f"{local_server}/slow")
    assert time.perf_counter() - started < 1.5


# End to end through WeasyPrint: every way a document can name a resource goes through the sandbox.

def render_refusal(project: Path, html: str) -> str:
    base = (project / "content" / "demo").as_uri() + "/"
    with pytest.raises(FetchRefused) as caught:
        render_pdf(html, base, fetcher_for(project))
    return str(caught.value)


@pytest.mark.parametrize("html", [
    '<img src="file:///etc/passwd">',
    '<img src="../../../../../../../../etc/passwd">',
    '<link rel="stylesheet" href="file:///etc/passwd">',
    '<style>@import url("file:///etc/passwd");</style>',
    '<style>@font-face { font-family: x; src: url(file:///etc/passwd) } p { font-family: x }</style><p>x</p>',
    '<p style="background: url(file:///etc/passwd)">x</p>',
    '<object data="file:///etc/passwd"></object>',
    '<embed src="file:///etc/passwd">',
    '<link rel="attachment" href="file:///etc/passwd">',
])
def test_weasyprint_cannot_read_outside_the_project(project, html):
    assert "outside the project" in render_refusal(project, html)


def test_weasyprint_cannot_reach_the_metadata_service(project):
    started = time.perf_counter()
    assert "169.254.169.254" in render_refusal(project, '<img src="http://169.254.169.254/latest/meta-data/">')
    assert time.perf_counter() - started < 5


def test_svg_inside_the_project_cannot_reach_out(project):
    # WeasyPrint swallows exceptions while drawing SVG: the refusal must still fail the render.
    svg = project / "content" / "demo" / "images" / "evil.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                   '<image href="file:///etc/passwd" width="10" height="10"/></svg>', encoding="utf-8")
    assert "outside the project" in render_refusal(project, '<img src="images/evil.svg">')


def test_allowed_resources_render(project):
    base = (project / "content" / "demo").as_uri() + "/"
    fetcher = fetcher_for(project)
    data_url = "data:image/png;base64," + base64.b64encode(TINY_PNG).decode()
    rendered = render_pdf(f'<img src="images/dot.png"><img src="{data_url}">', base, fetcher)
    assert rendered.pdf.startswith(b"%PDF") and not fetcher.refused
    assert any(url.endswith("images/dot.png") for url in rendered.fetched)


# End to end through `twinprint build`: twinprint.toml's [sandbox] allowed_hosts is the only way out.

def remote_project(tmp_path: Path, image_url: str, allowed: list[str] | None) -> Path:
    root = tmp_path / "remote"
    content = root / "content" / "demo"
    (content / "text").mkdir(parents=True)
    (content / "exhibit.yaml").write_text(
        "kind: exhibition\ntitle: Remote\ncities:\n  - {name: A, country: B}\n  - {name: C, country: D}\ntwinned_since: 1980\n"
        "sections:\n  - id: one\n    title: One\n    body_file: text/one.md\n", encoding="utf-8")
    (content / "text" / "one.md").write_text("Text.\n", encoding="utf-8")
    layout = root / "layouts" / "remote" / "layout.html"
    layout.parent.mkdir(parents=True)
    layout.write_text(f'<h1>{{{{ exhibit.title }}}}</h1><img src="{image_url}" style="width: 20mm">\n', encoding="utf-8")
    if allowed is not None:
        hosts = ", ".join(f'"{host}"' for host in allowed)
        (root / "twinprint.toml").write_text(f'[sandbox]\nallowed_hosts = [{hosts}]\n\n[[jobs]]\nlayouts = "remote"\nlanguages = "en"\n',
                                             encoding="utf-8")
    return root


def test_build_fetches_only_from_allowed_hosts(tmp_path, local_server, capsys):
    from twinprint.cli import main

    url = f"{local_server}/ok"
    refused = remote_project(tmp_path / "a", url, None)
    assert main(["--project", str(refused), "build", str(refused / "content" / "demo"), "--layout", "remote", "-o", str(tmp_path / "a" / "out")]) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "layouts/remote/layout.html: refused" in errors[0] and "allowed_hosts" in errors[0], errors
    assert not list((tmp_path / "a" / "out").rglob("*.pdf"))

    allowed = remote_project(tmp_path / "b", url, ["127.0.0.1"])
    assert main(["--project", str(allowed), "build", "-o", str(tmp_path / "b" / "out")]) == 0, capsys.readouterr().err
    manifest = (tmp_path / "b" / "out" / "manifest.json").read_text(encoding="utf-8")
    assert url in manifest  # recorded as an input of the job, with its hash
    # The content-folder form of the command reads the same allow-list from twinprint.toml.
    assert main(["--project", str(allowed), "build", str(allowed / "content" / "demo"), "--layout", "remote",
                 "-o", str(tmp_path / "b" / "out2")]) == 0


def test_allowed_hosts_must_be_bare_host_names(tmp_path, capsys):
    from twinprint.cli import main

    project = remote_project(tmp_path, "https://example.org/x.png", ["https://example.org/"])
    assert main(["--project", str(project), "build", "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "twinprint.toml:2: sandbox.allowed_hosts: expected host names such as 'images.example.org'" in err, err


# Limits enforced from outside the renderer, processes and temporary files that do not outlive a run.

def session_processes(session_id: int) -> list[str]:
    listing = subprocess.run(["ps", "-o", "pid=,args=", "-s", str(session_id)], capture_output=True, text=True).stdout
    return [line.strip() for line in listing.splitlines() if line.strip()]


def python_processes(session_id: int) -> list[str]:
    """The session's Python processes: not the passing gcc, ld or fc-list a library lookup or a preflight starts."""
    return [line for line in session_processes(session_id) if line.split()[1] == sys.executable]


def test_killing_the_coordinator_mid_build_leaves_no_process_and_no_font_copies(tmp_path: Path, project_root: Path):
    project = make_project(tmp_path / "project", project_root)
    for n in range(2):
        add_long_exhibit(project, f"long{n}", 30)
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    command = [sys.executable, "-m", "twinprint", "--project", str(project), "build", "--jobs", "2"]
    coordinator = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                                   env={**os.environ, "TMPDIR": str(private_tmp)})
    try:
        deadline = time.monotonic() + 180
        # Coordinator, resource tracker, fork server and the two workers (with their render children, once jobs run).
        while len(python_processes(coordinator.pid)) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)
        assert len(python_processes(coordinator.pid)) >= 5, session_processes(coordinator.pid)
        os.kill(coordinator.pid, signal.SIGKILL)
        coordinator.wait()
        time.sleep(5)
        assert session_processes(coordinator.pid) == []
    finally:
        for line in session_processes(coordinator.pid):
            os.kill(int(line.split()[0]), signal.SIGKILL)
        coordinator.wait()
    # The next run clears the font copies of the killed processes: the one cache folder is left, empty.
    previous, tempfile.tempdir = tempfile.tempdir, str(private_tmp)
    try:
        remove_folders_of_ended_processes()
    finally:
        tempfile.tempdir = previous
    assert [p.name for p in private_tmp.glob("weasyprint-*")] == []
    assert [p.name for p in private_tmp.iterdir() if p.name.startswith("twinprint-")] == [f"twinprint-{os.getuid()}"]
    assert list((private_tmp / f"twinprint-{os.getuid()}").iterdir()) == []  # font copies and job scratch folders


project_root_of_tests = Path(__file__).resolve().parents[1]


def test_twenty_renders_and_a_killed_one_leave_at_most_one_font_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    fonts = (project_root_of_tests / "fonts").as_uri() + "/"
    css = f'@font-face {{ font-family: "TP Sans"; src: url("{fonts}NotoSans-Regular.ttf") }}'  # each render copies this face
    html = f'<style>{css}</style><p style="font-family: \'TP Sans\'">twinprint</p>'

    def render() -> int:
        return render_pdf(html, fonts, fetcher_for(project_root_of_tests)).page_count

    for _ in range(20):
        assert run_contained(render, Limits(450, 60, whole_process=False), "render") == 1
    bomb = (Path(__file__).parent / "bad_inputs" / "svg-use-bomb" / "content" / "demo" / "images" / "bomb.svg").as_uri()
    with pytest.raises(LimitExceeded, match="stopped after the time limit of 3 s"):
        run_contained(lambda: render_pdf(f'<style>{css}</style><img src="{bomb}">', fonts, fetcher_for(project_root_of_tests)),
                      Limits(450, 3, whole_process=False), "bomb")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [f"twinprint-{os.getuid()}"] and not list((tmp_path / left[0]).iterdir()), left


BOMB_PROJECT = Path(__file__).parent / "bad_inputs" / "svg-use-bomb"
PEAK_RSS = """
import json, resource, subprocess, sys, time
started = time.monotonic()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(json.dumps({"code": done.returncode, "err": done.stderr, "seconds": time.monotonic() - started,
                  "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def test_the_use_bomb_is_killed_at_a_limit_from_outside(tmp_path: Path):
    """WeasyPrint's SVG code swallows every exception: only a process outside it can stop the drawing.

    The bomb grows slowly in memory and without end in time: whichever limit it reaches first stops it.
    """
    project = tmp_path / "bomb"
    shutil.copytree(BOMB_PROJECT, project)
    (project / "twinprint.toml").write_text('[build]\nmemory_limit_mb = 150\ntimeout = 10\n\n[[jobs]]\nlanguages = "en"\n', encoding="utf-8")
    command = [sys.executable, "-m", "twinprint", "--project", str(project), "build"]
    measured = json.loads(subprocess.run([sys.executable, "-c", PEAK_RSS, *command], capture_output=True, text=True, timeout=300,
                                         check=True).stdout)
    errors = [line for line in measured["err"].splitlines() if line.startswith("Error:")]
    assert measured["code"] == 1 and len(errors) == 1, measured["err"]
    assert re.search(r"demo/catalogue.en.pdf: stopped (at the memory limit of 150 MB|after the time limit of 10 s) while "
                     r"(laying out|drawing) the figure \S+/images/bomb.svg", errors[0]), errors[0]
    assert measured["peak_mb"] < 150 + 100 and measured["seconds"] < 40, measured  # the poll interval lets it pass a limit by a little
    print(f"<use> bomb: killed after {measured['seconds']:.1f} s, peak {measured['peak_mb']:.0f} MB: {errors[0]}")
    assert not (project / "build" / "demo" / "catalogue.en.pdf").exists()
    state = json.loads((project / "build" / "manifest.json").read_text(encoding="utf-8")) if (project / "build" / "manifest.json").exists() else {}
    assert "demo/catalogue.en.pdf" not in state.get("jobs", {})


GOOD_PROJECT = Path(__file__).parent / "bad_inputs" / "_good"


def test_the_manifest_records_no_file_outside_the_project_and_every_theme_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from twinprint.cli import main

    project = Path(shutil.copytree(GOOD_PROJECT, tmp_path / "project", symlinks=True))
    (project / "content" / "demo" / "images" / "unreferenced.png").symlink_to("/etc/hostname")
    (project / "brand").mkdir()
    theme = project / "brand" / "theme.toml"
    theme.write_text('extends = "default"\n[colours]\naccent = "#5a2a82"\n', encoding="utf-8")
    args = ["--project", str(project), "build", str(project / "content" / "demo"), "--theme", str(theme), "-o", str(project / "build")]
    assert main(args) == 0, capsys.readouterr().err
    manifest = (project / "build" / "manifest.json").read_text(encoding="utf-8")
    assert "/etc/hostname" not in manifest and "unreferenced.png" not in manifest
    assert "brand/theme.toml" in manifest
    theme.write_text('extends = "default"\n[colours]\naccent = "#225522"\n', encoding="utf-8")
    capsys.readouterr()
    assert main(args) == 0
    assert "built" in capsys.readouterr().out.split("\n")[-3]  # the edited theme makes the job stale


def test_ctrl_c_stops_the_use_bomb_at_once(tmp_path: Path):
    """SIGINT reaches the coordinator, outside WeasyPrint's catch-all: the drawing child is killed, the command ends."""
    project = Path(shutil.copytree(BOMB_PROJECT, tmp_path / "bomb"))
    (project / "twinprint.toml").write_text('[build]\ntimeout = 120\n\n[[jobs]]\nlanguages = "en"\n', encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "twinprint", "--project", str(project), "build"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=with_ctrl_c)
    try:
        assert process.stdout is not None
        for line in process.stdout:  # planning is over (its fc-list is a second process of the session too)
            if line.startswith("building on"):
                break
        deadline = time.monotonic() + 60
        while len(session_processes(process.pid)) < 2 and time.monotonic() < deadline:  # the render child has started
            time.sleep(0.1)
        time.sleep(1)
        os.killpg(process.pid, signal.SIGINT)  # as a terminal does: the whole process group
        _, err = process.communicate(timeout=20)
    finally:
        for line in session_processes(process.pid):
            os.kill(int(line.split()[0]), signal.SIGKILL)
        process.wait()
    assert process.returncode == 130 and "Interrupted." in err, err
    assert session_processes(process.pid) == []
