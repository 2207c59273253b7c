"""The studio's web server: home cards, live document views, page images, events, approve and diff (Starlette + uvicorn).

One builder thread renders the open documents (WeasyPrint in one thread, one
shared font configuration); one watcher thread turns file changes into
rebuilds of the documents that read them; the browser hears of both through
Server-Sent Events. It listens on 127.0.0.1 unless told another host.
"""

from __future__ import annotations

import errno
import queue
import socket
import threading
import time
import webbrowser
from pathlib import Path
from typing import Any, Callable

import jinja2
import watchfiles
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..batch.jobs import Job
from ..batch.resident import ResidentChild
from ..batch.worker import warm_up_fonts
from ..errors import TwinprintError, UsageError
from ..prepress.diff import diff_pdfs, report_html
from ..request import write_atomically
from ..watch import _DependencyFilter, watched_folders
from .board import JobBoard
from .events import Broadcaster
from .live import PREVIEW_LIMITS, LiveDocument, page_px_for

HERE = Path(__file__).parent
APPROVED_FOLDER = ".approved"
# Quiet time before a batch of changes counts: an editor's truncate-then-write (microseconds apart) is one
# change; a file caught half-written shows its error, and the next write rebuilds.
WATCH_STEP_MS = 20


def approved_path(output_dir: Path, name: str) -> Path:
    """Where `approve` keeps a job's approved PDF: build/.approved/<job name>."""
    return Path(output_dir) / APPROVED_FOLDER / name


class Studio:
    """The studio's state: the job board, the open live documents, the builder and the watcher."""

    def __init__(self, project_root: Path) -> None:
        self.project_root = Path(project_root)
        self.events = Broadcaster()
        self.board = JobBoard(self.project_root, self.events.publish)
        self.documents: dict[str, LiveDocument] = {}
        self.renderer = ResidentChild()  # started and used by the builder thread only
        self._queue: queue.Queue[str] = queue.Queue()
        self._queued: set[str] = set()
        self._lock = threading.Lock()
        self.stop = threading.Event()
        self.templates = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True)
        self.plan = self.board.plan()  # an unreadable twinprint.toml fails here, before the server starts

    # --- documents -------------------------------------------------------------------------

    def document(self, name: str, page_px: int | None = None) -> LiveDocument | None:
        """The live document of a job for one more viewer, opened (and its first build queued) on first use."""
        with self._lock:
            live = self.documents.get(name)
            if live is None:
                job = self.board.job(name)
                if job is None:
                    return None
                live = self.documents[name] = LiveDocument(job, page_px_for(page_px), self.renderer)
                self.rebuild(name)
            elif live.stale:
                live.stale = False
                self.rebuild(name)
            live.viewers += 1
            live.last_viewed = time.monotonic()
            return live

    def close(self, name: str) -> None:
        """A browser page stopped showing the document: its pages stay, its rebuilds wait until it is shown again."""
        with self._lock:
            live = self.documents.get(name)
            if live is not None:
                live.viewers = max(0, live.viewers - 1)

    def rebuild(self, name: str) -> None:
        if name not in self._queued:
            self._queued.add(name)
            self._queue.put(name)

    def _build_forever(self) -> None:
        try:
            self._warm_up()
            self._build_until_stopped()
        finally:
            self.renderer.stop()

    def _warm_up(self) -> None:
        """Register the built-in faces in the render child before the first document asks (it forks from this thread)."""
        try:
            self.renderer.run(warm_up_fonts, PREVIEW_LIMITS, "studio warm-up")
        except TwinprintError:
            pass  # the first document's render starts a fresh child and reports what is wrong

    def _build_until_stopped(self) -> None:
        while not self.stop.is_set():
            try:
                name = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            self._queued.discard(name)
            live = self.documents.get(name)
            if live is not None:
                try:
                    live.rebuild(self.events.publish)
                except Exception as error:  # noqa: BLE001 - a bug in one build must not stop the studio; it is shown
                    self.events.publish({"type": "error", "job": name, "message": f"internal error, {type(error).__name__}: {error}"})

    # --- watching --------------------------------------------------------------------------

    def watched(self) -> list[Path]:
        """The folders every job reads (content, layouts, fonts) and twinprint.toml."""
        manifest = self.project_root / "twinprint.toml"
        folders: list[Path] = [manifest.resolve()] if manifest.is_file() else []
        for job in self.plan.jobs:
            folders += watched_folders(job.request)
        unique: list[Path] = []
        for folder in sorted(set(folders), key=lambda f: len(f.parts)):
            if not any(folder.is_relative_to(kept) for kept in unique):
                unique.append(folder)
        return unique

    def _watch_forever(self) -> None:
        changes = watchfiles.watch(*self.watched(), watch_filter=_DependencyFilter(self.plan.output_dir), debounce=1600,
                                   step=WATCH_STEP_MS, stop_event=self.stop, raise_interrupt=False, rust_timeout=200)
        for batch in changes:
            self.changed([Path(path).resolve() for _, path in batch])

    def changed(self, paths: list[Path]) -> None:
        """Rebuild every open document that reads one of these files; tell the home page."""
        for name, live in sorted(self.documents.items(), key=lambda item: -item[1].last_viewed):
            folders = watched_folders(live.job.request)
            if any(path.is_relative_to(folder) for path in paths for folder in folders):
                if live.viewers:
                    self.rebuild(name)
                else:
                    live.stale = True
        if any(path.name == "twinprint.toml" for path in paths):
            self.plan = self.board.plan()
        self.events.publish({"type": "jobs"})

    def start(self) -> None:
        for target in (self._build_forever, self._watch_forever):
            threading.Thread(target=target, daemon=True, name=f"studio-{target.__name__.strip('_')}").start()

    # --- approve and diff ----------------------------------------------------------------------

    def current_pdf(self, name: str) -> bytes | None:
        live = self.documents.get(name)
        if live is not None and live.pdf is not None:
            return live.pdf
        built = self.plan.output_dir / name
        return built.read_bytes() if built.is_file() else None

    def approve(self, name: str) -> str | None:
        """Keep the job's current PDF as its approved edition; an error message, or None."""
        pdf = self.current_pdf(name)
        if pdf is None:
            return "nothing built yet to approve"
        write_atomically(approved_path(self.plan.output_dir, name), pdf)
        return None

    def diff_page(self, name: str) -> str:
        approved = approved_path(self.plan.output_dir, name)
        current = self.current_pdf(name)
        if not approved.is_file() or current is None:
            return self.render("message.html", title=name, message="No approved build of this job yet: open it and press “approve”.")
        diff = diff_pdfs(approved.read_bytes(), current, f"approved {name}", f"current {name}")
        return report_html(diff)

    def render(self, template: str, **values: Any) -> str:
        return self.templates.get_template(template).render(**values)


def siblings(job: Job, jobs: list[Job]) -> list[Job]:
    """The same document in its other languages (same content, layout, paper, profile, theme and variables)."""
    def same(other: Job) -> bool:
        a, b = job.request, other.request
        return (a.content_dir, a.layout, a.paper, a.profile, a.theme, a.variables) == (b.content_dir, b.layout, b.paper, b.profile, b.theme, b.variables)
    return [other for other in jobs if same(other)]


def make_app(studio: Studio) -> Starlette:
    def home(request: Request) -> HTMLResponse:
        return HTMLResponse(studio.render("home.html", project=studio.project_root.resolve(), cards=studio.board.cards()))

    def cards(request: Request) -> HTMLResponse:
        return HTMLResponse(studio.render("cards.html", cards=studio.board.cards()))

    def thumbnail(request: Request) -> Response:
        png = studio.board.thumbnail(request.path_params["name"])
        return Response(png, media_type="image/png") if png else Response(status_code=404)

    def build(request: Request) -> JSONResponse:
        return JSONResponse({"started": studio.board.build(request.path_params["name"])}, status_code=202)

    def document_page(request: Request) -> Response:
        name = request.path_params["name"]
        job = studio.board.job(name)
        if job is None:
            return HTMLResponse(studio.render("message.html", title=name, message=f"No job {name} in this project."), status_code=404)
        beside = request.query_params.get("beside")
        columns = [name] + ([beside] if beside and studio.board.job(beside) else [])
        return HTMLResponse(studio.render("document.html", job=name, columns=columns, current_language=job.request.language,
                                          siblings=[{"name": s.name, "language": s.request.language} for s in siblings(job, studio.plan.jobs)]))

    def document_state(request: Request) -> JSONResponse:
        asked = request.query_params.get("px", "")
        live = studio.document(request.path_params["name"], int(asked) if asked.isdigit() else None)
        return JSONResponse(live.state()) if live else JSONResponse({"error": "no such job"}, status_code=404)

    def page_image(request: Request) -> Response:
        live = studio.documents.get(request.path_params["name"])
        number = request.path_params["number"]
        if live is None or not 1 <= number <= len(live.pages):
            return Response(status_code=404)
        return Response(live.pages[number - 1].png, media_type="image/png", headers={"Cache-Control": "no-cache"})

    def pdf(request: Request) -> Response:
        name = request.path_params["name"]
        data = studio.current_pdf(name)
        if data is None:
            return Response(status_code=404)
        return Response(data, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{Path(name).name}"'})

    def close(request: Request) -> Response:
        studio.close(request.path_params["name"])
        return Response(status_code=204)

    def approve(request: Request) -> JSONResponse:
        error = studio.approve(request.path_params["name"])
        return JSONResponse({"ok": error is None, "error": error})

    def diff(request: Request) -> HTMLResponse:
        try:
            return HTMLResponse(studio.diff_page(request.path_params["name"]))
        except TwinprintError as error:
            return HTMLResponse(studio.render("message.html", title="diff", message=error.message), status_code=500)

    def events(request: Request) -> StreamingResponse:
        return StreamingResponse(studio.events.stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    return Starlette(routes=[
        Route("/", home), Route("/cards", cards), Route("/events", events),
        Route("/thumb/{name:path}", thumbnail), Route("/build/{name:path}", build, methods=["POST"]),
        Route("/doc/{name:path}", document_page), Route("/state/{name:path}", document_state),
        Route("/page/{number:int}/{name:path}", page_image), Route("/pdf/{name:path}", pdf),
        Route("/close/{name:path}", close, methods=["POST"]),
        Route("/approve/{name:path}", approve, methods=["POST"]), Route("/diff/{name:path}", diff),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ])


def listen_on(host: str, port: int) -> socket.socket:
    """The studio's listening socket, bound before anything starts (port 0: any free one, as the
    line announcing the studio then says). A taken port or an unknown host is a usage error
    (exit 2) in one line."""
    listening = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((host, port))
        listening.listen(128)
    except OSError as error:
        listening.close()
        hint = " (another --port?)" if error.errno == errno.EADDRINUSE else ""
        raise UsageError(f"--host {host} --port {port}: cannot listen there: {error.strerror or error}{hint}") from None
    return listening


def serve(project_root: Path, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False,
          on_ready: Callable[[str], None] = print) -> None:
    """Run the studio until Ctrl-C."""
    import uvicorn

    listening = listen_on(host, port)
    port = listening.getsockname()[1]
    studio = Studio(project_root)
    studio.start()
    config = uvicorn.Config(make_app(studio), host=host, port=port, log_level="warning", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"

    def announce() -> None:
        while not server.started and not studio.stop.is_set():
            studio.stop.wait(0.05)
        on_ready(url)
        if open_browser:
            webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    try:
        server.run(sockets=[listening])
    finally:
        studio.stop.set()
        studio.renderer.stop()  # before this process ends: a killed child could not remove its font copies
