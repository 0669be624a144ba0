"""``posegraph view``: one self-contained HTML file to turn a result around in a browser.

Built with plotly (plotly.js embedded in the file: it opens offline): the 3D skeleton(s) animated
with play/pause and a frame slider, orbit/zoom (drag/scroll), a metric ground grid (0.5 m), the
2D input beside it when there is one, every GraphMDN hypothesis (opacity by weight), and for
forecasts the observed past, the prediction and the ground truth in different colours.

Inputs (:func:`load_view_data`):

* a ``posegraph lift`` output folder or its ``lift.npz``: ``joints_3d`` (camera frame,
  pelvis-relative), ``keypoints_2d``, ``detected`` ("no detection" frames show no skeleton),
  ``hypotheses``/``weights``;
* a ``posegraph forecast`` output folder or ``forecast.npz``: ``past``, ``prediction``,
  ``future_true`` (+y up);
* a flat benchmark file (``posegraph data export``): ``p3d``/``p2d`` (lifting; the first
  ``--max-frames`` samples in file order) or ``past``/``future`` (forecasting; one window,
  ``--index``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import FormatError, PosegraphError

__all__ = ["load_view_data", "build_figure", "write_view", "find_browser", "browser_screenshot"]

COLORS = {"left": "#1f77b4", "right": "#d62728", "mid": "#444444", "past": "#444444", "pred": "#d62728",
          "true": "#2ca02c", "hyp": "#9467bd"}


def _skeleton_for(names, parents=None):  # noqa: D103
    from ..skeleton import Skeleton, get_skeleton

    names = tuple(str(n) for n in names)
    if parents is not None:
        return Skeleton("view", names, tuple(int(p) for p in parents))
    for n in ("h36m17", "h36m16"):
        if get_skeleton(n).joints == names:
            return get_skeleton(n)
    raise PosegraphError(f"joints {', '.join(names)}: no known skeleton")


def _by_count(J: int, path, key):
    from ..skeleton import H36M16, H36M17

    if J in (16, 17):
        return H36M17 if J == 17 else H36M16
    raise FormatError(path, f"{J} joints; the viewer knows 17 (h36m17) and 16 (h36m16)", key)


def load_view_data(result: str | os.PathLike, index: int = 0, max_frames: int | None = None) -> dict:
    """What to draw, from a lift/forecast output or a flat benchmark file (see the module docstring).

    Returns ``kind`` (``lift``/``forecast``/``samples``), ``up_y`` (True: +y up world; False:
    camera frame, y down), ``skeleton``, ``sequences`` ``{label: (F, J, 3)}`` with their
    colours, and optionally ``p2d`` ``(F, 17, 2)`` with ``skeleton_2d``, ``image_size``,
    ``detected`` ``(F,)``, ``hypotheses`` ``(F, M, J, 3)`` and ``hyp_weight`` ``(F, M)``, ``fps``.
    """
    from ..skeleton import H36M17

    p = Path(result)
    if not p.exists():
        raise PosegraphError(f"{p}: no such file or folder")
    if p.is_dir():
        cand = [q for q in (p / "lift.npz", p / "forecast.npz") if q.exists()]
        if not cand:
            raise PosegraphError(f"{p}: holds neither lift.npz nor forecast.npz")
        p = cand[0]
    try:
        with np.load(p, allow_pickle=False) as z:
            d = {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        raise PosegraphError(f"{p}: cannot read as an npz file ({type(e).__name__})") from None
    n = None if max_frames is None else int(max_frames)
    fps = float(d["fps"]) if "fps" in d and float(d["fps"]) > 0 else 30.0
    if "joints_3d" in d:
        sk = _skeleton_for(d["joint_names_3d"], d.get("parents_3d"))
        out = {"kind": "lift", "up_y": False, "skeleton": sk, "fps": fps, "path": p,
               "sequences": {"lifted": (d["joints_3d"][:n], None)}}
        if "keypoints_2d" in d:
            out.update(p2d=d["keypoints_2d"][:n], skeleton_2d=H36M17,
                       image_size=tuple(int(v) for v in d["image_size"]) if "image_size" in d else None)
        if "detected" in d:
            out["detected"] = d["detected"][:n].astype(bool)
        if "hypotheses" in d:
            out["hypotheses"] = d["hypotheses"][:n]
            if "weights" in d:
                w = np.nan_to_num(d["weights"][:n]).mean(1)
                out["hyp_weight"] = w / np.maximum(w.max(1, keepdims=True), 1e-9)
        return out
    if "prediction" in d and "past" in d:
        sk = _by_count(d["past"].shape[1], p, "past")
        past, pred = d["past"], d["prediction"]
        seqs = {"observed": (np.concatenate([past, np.full_like(pred, np.nan)]), COLORS["past"]),
                "predicted": (np.concatenate([np.full_like(past, np.nan), pred]), COLORS["pred"])}
        if "future_true" in d:
            t = d["future_true"]
            pad = np.full((len(past) + len(pred) - len(past) - len(t),) + t.shape[1:], np.nan, t.dtype)
            seqs["ground truth"] = (np.concatenate([np.full_like(past, np.nan), t, pad]), COLORS["true"])
        return {"kind": "forecast", "up_y": True, "skeleton": sk, "fps": fps, "path": p, "sequences": seqs}
    if "p3d" in d:
        p3d = d["p3d"][:n if n is not None else 300]
        sk = _by_count(p3d.shape[1], p, "p3d")
        out = {"kind": "samples", "up_y": False, "skeleton": sk, "fps": fps, "path": p,
               "sequences": {"ground truth": (p3d - p3d[:, :1], None)}}
        if "p2d" in d and d["p2d"].shape[1] == 17:
            from ..geometry import unnormalize_screen

            out.update(p2d=unnormalize_screen(d["p2d"][:len(p3d)], 1000, 1000), skeleton_2d=H36M17,
                       image_size=(1000, 1000))
        return out
    if "past" in d and "future" in d:
        if not 0 <= index < len(d["past"]):
            raise PosegraphError(f"{p}: --index {index} out of range (0..{len(d['past']) - 1})")
        past, fut = d["past"][index], d["future"][index]
        sk = _by_count(past.shape[1], p, "past")
        return {"kind": "forecast", "up_y": True, "skeleton": sk, "fps": 25.0, "path": p,
                "sequences": {"observed": (np.concatenate([past, np.full_like(fut, np.nan)]), COLORS["past"]),
                              "ground truth": (np.concatenate([np.full_like(past, np.nan), fut]), COLORS["true"])}}
    raise FormatError(p, "not a lift or forecast result nor a flat benchmark file (expected joints_3d, "
                         "past/prediction, p3d or past/future)", None)


def _to_view(P: np.ndarray, up_y: bool) -> np.ndarray:
    """Display axes (x right, y depth, z up) from camera (y down, z forward) or world (+y up) metres."""
    P = np.asarray(P, dtype=np.float64)
    if up_y:
        return np.stack([P[..., 0], -P[..., 2], P[..., 1]], axis=-1)
    return np.stack([P[..., 0], P[..., 2], -P[..., 1]], axis=-1)


def _segments(P: np.ndarray, edges) -> tuple[list, list, list]:
    """Line coordinates with ``None`` breaks for the bones ``edges`` of one pose ``(J, 3|2)``."""
    xs, ys, zs = [], [], []
    if P is None or not np.isfinite(P).all():
        return xs, ys, zs
    for a, b in edges:
        xs += [round(float(P[a, 0]), 4), round(float(P[b, 0]), 4), None]
        ys += [round(float(P[a, 1]), 4), round(float(P[b, 1]), 4), None]
        if P.shape[-1] > 2:
            zs += [round(float(P[a, 2]), 4), round(float(P[b, 2]), 4), None]
    return xs, ys, zs


def _groups(sk):
    g = {"left": [], "right": [], "mid": []}
    for p, c in sk.edges:
        n = sk.joints[c]
        g["left" if n.startswith("l_") else "right" if n.startswith("r_") else "mid"].append((p, c))
    return g


def build_figure(v: dict, title: str | None = None):
    """The plotly figure (one animation frame per pose frame) for :func:`load_view_data`'s dict."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    sk = v["skeleton"]
    seqs = {k: (_to_view(P, v["up_y"]), c) for k, (P, c) in v["sequences"].items()}
    F = max(len(P) for P, _ in seqs.values())
    has2d = "p2d" in v
    hyp = v.get("hypotheses")
    hyp = None if hyp is None else _to_view(hyp, v["up_y"])
    det = v.get("detected")
    allp = np.concatenate([P.reshape(-1, 3) for P, _ in seqs.values()])
    allp = allp[np.isfinite(allp).all(1)]
    if not len(allp):
        raise PosegraphError(f"{v['path']}: no frame with a pose to show")
    lo, hi = allp.min(0), allp.max(0)
    c = (lo + hi) / 2
    r = max(float((hi - lo)[:2].max()) / 2 + 0.25, 1.0)
    floor = float(lo[2])
    fig = make_subplots(rows=1, cols=2 if has2d else 1, specs=[[{"type": "scene"}] + ([{"type": "xy"}] if has2d else [])],
                        column_widths=[0.6, 0.4] if has2d else None,
                        subplot_titles=["3D (metres)"] + (["2D input (pixels)"] if has2d else []))
    # metric ground grid, 0.5 m
    step = 0.5
    g0 = np.floor((c[:2] - r) / step) * step
    ticks = [np.arange(g0[i], c[i] + r + 1e-9, step) for i in range(2)]
    gx, gy, gz = [], [], []
    for t in ticks[0]:
        gx += [t, t, None]; gy += [ticks[1][0], ticks[1][-1], None]; gz += [floor, floor, None]  # noqa: E702
    for t in ticks[1]:
        gx += [ticks[0][0], ticks[0][-1], None]; gy += [t, t, None]; gz += [floor, floor, None]  # noqa: E702
    fig.add_trace(go.Scatter3d(x=gx, y=gy, z=gz, mode="lines", line=dict(color="#cccccc", width=1),
                               name="ground grid (0.5 m)", hoverinfo="skip"), row=1, col=1)
    groups = _groups(sk)
    dyn = []  # (trace index, fn(frame) -> dict)

    def add3d(name, color, width, P, edges, opacity=1.0, show=True):
        x, y, z = _segments(P[0] if len(P) else None, edges)
        fig.add_trace(go.Scatter3d(x=x, y=y, z=z, mode="lines+markers", name=name, opacity=opacity,
                                   line=dict(color=color, width=width), marker=dict(size=2, color=color),
                                   showlegend=show), row=1, col=1)
        return len(fig.data) - 1

    for label, (P, col) in seqs.items():
        for gname, edges in groups.items():
            i = add3d(f"{label} ({gname})" if col is None else label, col or COLORS[gname], 6, P, edges,
                      show=(col is None or gname == "mid"))
            dyn.append((i, (lambda P=P, edges=edges: (lambda f: _segments(P[f] if f < len(P) else None, edges)))()))
    if hyp is not None:
        w = v.get("hyp_weight")
        w = np.ones(hyp.shape[:2]) if w is None else np.nan_to_num(w)
        for m in range(hyp.shape[1]):  # opacity by the hypothesis' mean weight over the clip
            i = add3d(f"hypothesis {m}", COLORS["hyp"], 3, hyp[:, m], sk.edges,
                      opacity=float(0.15 + 0.6 * w[:, m].mean()), show=True)
            dyn.append((i, (lambda m=m: (lambda f: _segments(hyp[f, m], sk.edges)))()))
    if has2d:
        p2 = np.asarray(v["p2d"], dtype=np.float64)
        sk2 = v["skeleton_2d"]
        for gname, edges in _groups(sk2).items():
            x, y, _ = _segments(p2[0], edges)
            fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers", line=dict(color=COLORS[gname], width=3),
                                     marker=dict(size=4), showlegend=False), row=1, col=2)
            dyn.append((len(fig.data) - 1, (lambda edges=edges: (lambda f: _segments(p2[f], edges)))()))
        W, H = v.get("image_size") or (float(np.nanmax(p2[..., 0])), float(np.nanmax(p2[..., 1])))
        fig.update_xaxes(range=[0, W], row=1, col=2, constrain="domain")
        fig.update_yaxes(range=[H, 0], row=1, col=2, scaleanchor="x", scaleratio=1)

    def label(f):
        t = f"frame {f}"
        if det is not None and not det[f]:
            t += ": no detection"
        if v["kind"] == "forecast":
            t += " (observed)" if f < n_obs else f" (+{round(1000 * (f - n_obs + 1) / v['fps'])} ms)"
        return t

    n_obs = 0
    if v["kind"] == "forecast":
        n_obs = int(np.isfinite(v["sequences"]["observed"][0].reshape(F, -1)).all(1).sum())

    frames = []
    for f in range(F):
        data = []
        for i, fn in dyn:
            x, y, z = fn(f)
            data.append(dict(type="scatter3d", x=x, y=y, z=z) if fig.data[i].type == "scatter3d"
                        else dict(type="scatter", x=x, y=y))
        frames.append(go.Frame(name=str(f), data=data, traces=[i for i, _ in dyn],
                               layout=dict(title=dict(text=(title or "") + "  " + label(f)))))
    fig.frames = frames
    ms = int(round(1000 / v["fps"]))
    fig.update_layout(
        title=dict(text=(title or "") + "  " + label(0)), height=640, margin=dict(l=10, r=10, t=60, b=10),
        scene=dict(xaxis=dict(range=[c[0] - r, c[0] + r], title="x (m)"),
                   yaxis=dict(range=[c[1] - r, c[1] + r], title="depth (m)" if not v["up_y"] else "z (m)"),
                   zaxis=dict(range=[floor - 0.05, floor - 0.05 + 2 * r], title="up (m)"),
                   aspectmode="cube", camera=dict(eye=dict(x=1.2, y=-1.6, z=0.6))),
        updatemenus=[dict(type="buttons", x=0.0, y=0.0, xanchor="left", yanchor="top", direction="left", buttons=[
            dict(label="play", method="animate", args=[None, dict(frame=dict(duration=ms, redraw=True),
                                                                  transition=dict(duration=0), fromcurrent=True)]),
            dict(label="pause", method="animate", args=[[None], dict(frame=dict(duration=0, redraw=False),
                                                                     mode="immediate")])])],
        sliders=[dict(active=0, x=0.12, len=0.86, y=0.0, currentvalue=dict(prefix="frame "),
                      steps=[dict(label=str(f), method="animate",
                                  args=[[str(f)], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                                       transition=dict(duration=0))]) for f in range(F)])])
    return fig


_GOTO_FRAME = """
(function () {
  var gd = document.getElementById('{plot_id}');
  function go() {
    var m = /frame=(\\d+)/.exec(window.location.hash);
    if (!m) return;
    var k = m[1];
    Plotly.animate(gd, [k], {mode: 'immediate', frame: {duration: 0, redraw: true}, transition: {duration: 0}});
    Plotly.relayout(gd, {'sliders[0].active': parseInt(k, 10)});
  }
  window.addEventListener('hashchange', go);
  go();
})();
"""
"""Opening ``view.html#frame=N`` shows frame N (the slider moves there too)."""


def write_view(result, out, *, overwrite: bool = False, index: int = 0, max_frames: int | None = None,
               title: str | None = None) -> Path:
    """Write the viewer for ``result`` to ``out`` (a self-contained ``.html``, atomically)."""
    from ..fileio import atomic_path

    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise PosegraphError(f"-o {out}: expected an .html file name")
    if out.exists() and not overwrite:
        raise PosegraphError(f"{out}: exists (pass --overwrite to replace it)")
    if max_frames is not None and max_frames < 1:
        raise PosegraphError(f"--max-frames must be >= 1, not {max_frames}")
    v = load_view_data(result, index=index, max_frames=max_frames)
    fig = build_figure(v, title=title or Path(result).name)
    with atomic_path(out) as tmp:
        fig.write_html(tmp, include_plotlyjs=True, full_html=True, auto_play=False, post_script=_GOTO_FRAME,
                       config={"displaylogo": False, "scrollZoom": True})
    return out


# --- a real browser: screenshots of the page and its console errors (tests, docs stills) ---

BROWSER = "chromium-headless-shell"
"""Chromium's headless shell (Debian package ``chromium-headless-shell``; ``make browser``);
``$POSEGRAPH_BROWSER`` names another Chromium-like binary."""

_ERROR_HOOK = """<script>(function () {
  function say(kind, msg) { console.log('[posegraph:' + kind + '] ' + msg); }
  var err = console.error;
  console.error = function () { say('console.error', [].map.call(arguments, String).join(' '));
                                return err.apply(console, arguments); };
  window.addEventListener('error', function (e) {
    say('uncaught', e.message || ('failed to load ' + ((e.target && (e.target.src || e.target.href)) || '?')));
  }, true);
  window.addEventListener('unhandledrejection', function (e) { say('uncaught', 'promise: ' + e.reason); });
})();</script>"""
"""Put first in ``<head>``: every ``console.error``, uncaught exception, unhandled promise
rejection and failed resource load is logged with a ``[posegraph:...]`` tag, because Chromium's
stderr log of the console (``--enable-logging=stderr``) does not say a message's level."""


def find_browser() -> str | None:
    """Path of the headless browser (``$POSEGRAPH_BROWSER`` or ``chromium-headless-shell``), or None."""
    import shutil

    return shutil.which(os.environ.get("POSEGRAPH_BROWSER") or BROWSER)


def browser_screenshot(html, png, *, frame: int | None = None, size=(1400, 700), budget_ms: int = 4000,
                       timeout: float = 600, browser: str | None = None) -> list[str]:
    """Open ``html`` (``#frame=N`` with ``frame``) in the headless browser, write a ``size`` (w, h)
    screenshot to ``png``; return the page's errors (console errors, uncaught exceptions, failed
    loads), from a copy of the page with :data:`_ERROR_HOOK` first in its ``<head>``.

    WebGL renders in software (SwiftShader). ``budget_ms`` of virtual time lets the page's
    scripts and the frame's redraw finish before the shot. Raises :class:`PosegraphError` if
    there is no browser or it writes no picture.
    """
    import re
    import subprocess
    import tempfile

    exe = browser or find_browser()
    if exe is None:
        raise PosegraphError(f"{BROWSER} not found (`make browser` installs it; or set POSEGRAPH_BROWSER)")
    html, png = Path(html), Path(png)
    text = html.read_text(encoding="utf-8")
    m = re.search(r"<head[^>]*>", text, re.I)
    text = text[:m.end()] + _ERROR_HOOK + text[m.end():] if m else _ERROR_HOOK + text
    with tempfile.TemporaryDirectory() as td:
        page = Path(td) / html.name
        page.write_text(text, encoding="utf-8")
        shot = Path(td) / "shot.png"
        url = page.resolve().as_uri() + ("" if frame is None else f"#frame={int(frame)}")
        cmd = [exe, "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
               f"--window-size={int(size[0])},{int(size[1])}", f"--virtual-time-budget={int(budget_ms)}",
               "--hide-scrollbars", "--enable-logging=stderr", "--v=0", f"--screenshot={shot}", url]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0 or not shot.exists():
            raise PosegraphError(f"{exe} failed (exit {r.returncode}): {r.stderr[-800:]}")
        png.parent.mkdir(parents=True, exist_ok=True)
        png.write_bytes(shot.read_bytes())
    console = [ln for ln in r.stderr.splitlines() if ":CONSOLE" in ln]
    return [ln for ln in console if "[posegraph:" in ln or "Uncaught" in ln]
