"""Drawing time of Explore's graph: the app's own graph component (assets/graph/graph.js) in Debian's chromium.

Three views side by side in one run: a 1,000-node view (Hetionet, the ladder's data: a typical compound two
steps out, cut by ``max_view_nodes=1000``; laid out on the server, no physics), everything ketamine reaches in
the bundled graph (about 540 nodes: the bundled graph has no 1,000-node view), and ketamine's one-step view as
Explore opens it (studies folded, grouped in columns). A page on a loopback server imports the component's ES
module from the installed package's asset folder as Streamlit does, calls it with the view's data
(``GraphView.to_data``) at t = 0, and stops the clock when the component marks the drawing done
(``data-drawn``: vis-network's first ``afterDrawing`` once the layout is settled). Each view is drawn
``--runs`` times in fresh pages; medians are reported, with the ratio of the 1,000-node view to Explore's
opening view. ``python -m bench.graph_draw`` runs only this.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import statistics
import sys
import threading
from pathlib import Path
from typing import Any

__all__ = ["run_graph_draw_bench"]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="stylesheet" href="graph.css"></head>
<body style="width:900px"><div id="host"></div><script type="module">
import draw from "./graph.js";
window.drawView = async (data) => {
  const host = document.getElementById("host");
  const t0 = performance.now();
  draw({data, parentElement: host, setTriggerValue: () => {}});
  const root = host.querySelector(".kg-graph");
  while (!root.dataset.drawn) await new Promise((r) => requestAnimationFrame(r));
  return {seconds: (performance.now() - t0) / 1000, nodes: root.__kgNetwork.body.nodeIndices.length};
};
window.ready = true;
</script></body></html>"""


def _views() -> dict[str, dict[str, Any]]:
    from kgexplorer import KnowledgeGraph, Settings
    from kgexplorer.views.render import render

    from .hetionet import convert
    from .ladder import HETIONET, OUT

    big = Settings(max_view_nodes=1000, neighbours_per_relation=1000)
    views: dict[str, dict[str, Any]] = {}
    # The bundled graph has no 1,000-node view (everything ketamine reaches is about 540 nodes), so the
    # 1,000-node view is Hetionet's (the ladder's data): a typical compound two steps out, cut at 1,000 nodes.
    data = OUT / "data" / "hetionet.nt.gz"
    picks = convert(HETIONET, data)  # the ladder's conversion; it checks the counts
    with KnowledgeGraph.from_files([str(data)], settings=big) as kg:
        view = render(kg.neighbourhood(picks.typical_compound, depth=2, max_nodes=1000), settings=big)
        views[f"Hetionet, {picks.typical_compound_label}, 2 steps ({len(view.nodes)} nodes)"] = view.to_data()
    with KnowledgeGraph.bundled(settings=big) as kg:
        whole = render(kg.neighbourhood("ketamine", depth=3, max_nodes=1000, per_relation=1000), settings=big)
    with KnowledgeGraph.bundled() as kg:  # Explore's own settings
        one_step = render(kg.neighbourhood("ketamine", studies=False))
    views[f"bundled, ketamine, 3 steps ({len(whole.nodes)} nodes)"] = whole.to_data()
    views[f"bundled, ketamine, 1 step as Explore opens it ({len(one_step.nodes)} nodes, grouped)"] = one_step.to_data()
    return {name: {**data, "height": 540} for name, data in views.items()}


def run_graph_draw_bench(*, runs: int = 5, progress: Any = None) -> dict[str, Any]:
    """Draw each view ``runs`` times in a fresh page; the seconds of each, their medians and the ratio."""
    from playwright.sync_api import sync_playwright

    from kgexplorer._assets import asset_file

    assets = asset_file("vis-network").parent
    views = _views()
    page_dir = Path(assets)
    handler = functools.partial(_Handler, directory=str(page_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/__bench__.html"
    measured: dict[str, list[float]] = {name: [] for name in views}
    drawn: dict[str, int] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for i in range(runs):
                for name, data in views.items():
                    page = browser.new_page(viewport={"width": 1400, "height": 900})
                    page.goto(url)
                    page.wait_for_function("window.ready === true")
                    result = page.evaluate("data => window.drawView(data)", data)
                    measured[name].append(round(float(result["seconds"]), 4))
                    drawn[name] = int(result["nodes"])
                    page.close()
                if progress:
                    progress(f"graph draw: run {i + 1} of {runs}")
            browser.close()
    finally:
        server.shutdown()
    medians = {name: statistics.median(times) for name, times in measured.items()}
    big, small = next(iter(medians.values())), list(medians.values())[-1]
    return {"runs": measured, "median": medians, "nodes": drawn, "ratio": round(big / small, 2), "target_s": 2.0}


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the component's asset folder, plus the bench page at /__bench__.html (never written to disk)."""

    def do_GET(self) -> None:
        if self.path == "/__bench__.html":
            body = _PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.graph_draw", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    result = run_graph_draw_bench(runs=args.runs, progress=lambda m: print(m, file=sys.stderr))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
