"""The studio: a local web page that previews documents live while their files are edited.

    board.py    the home page's job cards: status, thumbnail, verdict; builds stale jobs
    live.py     one document kept live: rebuilt in this process, pages as images, findings
    marks.py    where preflight findings are on a page: the boxes drawn over its image
    events.py   Server-Sent Events from the builder threads to every open tab
    server.py   the Starlette app, the builder and watcher threads, `serve()`
"""
