"""A local stand-in for the Hugging Face Hub on 127.0.0.1, for ``HF_ENDPOINT``.

It answers ``HEAD``/``GET /{org}/{repo}/resolve/{revision}/{path}`` the way the Hub
does for a file (``X-Repo-Commit``, ``ETag``, ``Content-Length``, ranges for resumed
downloads), serving files from a folder. ``tampered`` paths are served with altered
bytes (to test the sha256 check); every request is recorded.
"""

from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class HubServer:
    def __init__(self, root: Path, repo: str = "imgcr/weights"):
        self.root, self.repo = Path(root), repo
        self.tampered: set[str] = set()
        self.requests: list[tuple[str, str]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_HEAD(self):
                self._answer(body=False)

            def do_GET(self):
                self._answer(body=True)

            def _answer(self, body: bool):
                server.requests.append((self.command, self.path))
                prefix = f"/{server.repo}/resolve/"
                if not self.path.startswith(prefix):
                    return self._missing("RepoNotFound")
                _revision, _, name = self.path[len(prefix):].partition("/")
                path = server.root / name
                if not name or ".." in name or not path.is_file():
                    return self._missing("EntryNotFound")
                data = path.read_bytes()
                if name in server.tampered:
                    data = data[:-1] + bytes([data[-1] ^ 0xFF])
                start = 0
                rng = self.headers.get("Range", "")
                if body and rng.startswith("bytes="):
                    start = int(rng[len("bytes="):].split("-")[0] or 0)
                self.send_response(206 if start else 200)
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
                self.send_header("Content-Length", str(len(data) - start))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                if body:
                    self.wfile.write(data[start:])

            def _missing(self, code: str):
                self.send_response(404)
                self.send_header("X-Error-Code", code)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> HubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def gets(self) -> list[str]:
        return [p for m, p in self.requests if m == "GET"]
