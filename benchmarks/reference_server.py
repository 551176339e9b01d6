"""SPEC §9's reference upstream: pages rendered to bytes beforehand, served by the standard library.

The project's simulator renders every page of its three listings once (`ses` dialect), before the
server starts; `http.server.ThreadingHTTPServer` then answers each GET with the stored bytes and
nothing else (no authentication, no page generation), so fetching from it costs what fetching
and decoding costs, not what our simulator costs. A page past the end of a listing is `[]`.

As a module: `render_pages()` and `serve()`. As a program, in a process of its own (so the
server's work does not share a benchmark's interpreter lock), it prints `port N` once it serves:

    python benchmarks/reference_server.py [--services 4000 --carriers 1000 --resources 200000]
"""

from __future__ import annotations

import argparse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tui_inventory.simulator.app import COLLECTIONS
from tui_inventory.simulator.dataset import Dataset
from tui_inventory.simulator.render import encode, render

EMPTY = b"[]"


def path_of(kind: str) -> str:
    """The `ses` path of a listing (what `Simulator.settings("ses")` points the product at)."""
    api, collection = COLLECTIONS[kind]
    return f"/ses/{api}/{collection}"


def render_pages(sizes: dict[str, int], page_size: int, seed: int = 1) -> dict[str, list[bytes]]:
    """path -> its pages as the simulator serves them (page 1 first); the last one is short (or
    empty when the listing fills its pages exactly)."""
    dataset = Dataset(**sizes, seed=seed)
    out: dict[str, list[bytes]] = {}
    for kind in COLLECTIONS:
        pages = out[path_of(kind)] = []
        start = 0
        while True:
            entities, _ = dataset.page(kind, start, start + page_size, None)
            pages.append(encode([render(kind, e, None) for e in entities]))
            if len(entities) < page_size:
                break
            start += page_size
    return out


def serve(pages: dict[str, list[bytes]], page_size: int, port: int = 0) -> ThreadingHTTPServer:
    """A server on 127.0.0.1:`port` (0: any free port) answering `GET path?page=N` from `pages`;
    call `serve_forever()` on it (and `shutdown()` from another thread)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the product's client expects
        # Headers and body are two writes: without TCP_NODELAY the body waits for the client's
        # delayed acknowledgement of the headers (40 ms a page on Linux).
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            listing = pages.get(url.path)
            if listing is None or query.get("recordsPerPage", [str(page_size)])[0] != str(
                page_size
            ):
                self.send_error(404 if listing is None else 400)
                return
            number = int(query.get("page", ["1"])[0])
            body = listing[number - 1] if 1 <= number <= len(listing) else EMPTY
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    return server


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--services", type=int, default=4000)
    p.add_argument("--carriers", type=int, default=1000)
    p.add_argument("--resources", type=int, default=200_000)
    p.add_argument("--page-size", type=int, default=50)
    args = p.parse_args()
    sizes = {"services": args.services, "carriers": args.carriers, "resources": args.resources}
    server = serve(render_pages(sizes, args.page_size), args.page_size)
    print(f"port {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
