"""``predictions.html``: the predictions as a page a person looks at, without a server.

One self-contained file beside ``predictions.csv``: the model and the run it came from,
the rule and every genre's threshold, then a card per painting (its thumbnail, embedded
as a small JPEG; its top genres with probability, threshold and decision; the genres it
was given; any warning; its overlay, the file ``explanations/<file>`` beside the page,
when ``predict.explain`` is on), then the files that could not be read and why. A genre
menu (inline JavaScript) shows only the paintings given that genre.
"""

from __future__ import annotations

import base64
import html
import json
from typing import Any
from urllib.parse import quote

import pandas as pd

NONE_ASSIGNED = "(no genre assigned)"
FLAGS = {"top-not-assigned": "top genre not assigned", "warning": "with a warning"}
"""Menu entries beside the genres: paintings to look at twice."""

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:1400px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}
.meta td:first-child{color:#555}
.card{border:1px solid #ccc;border-radius:6px;padding:10px;margin:10px 0;display:flex;
gap:14px;align-items:flex-start}
.card>div{flex:1;min-width:0}
.card>.thumbcell{width:160px;flex:none}.card img.thumb{max-width:160px;max-height:160px}
.card img.overlay{max-width:100%;display:block;margin-top:6px}
.yes{color:#070;font-weight:600}.no{color:#a00}
.warning{color:#a60;font-weight:600}.genres{font-weight:600}
.filter{position:sticky;top:0;background:#fff;padding:6px 0;border-bottom:1px solid #ddd}
"""

_SCRIPT = """
function applyFilter(){
  const g=document.getElementById('genre').value;let n=0;
  document.querySelectorAll('.card').forEach(function(c){
    const within=g.startsWith('flag:')?JSON.parse(c.dataset.flags):JSON.parse(c.dataset.genres);
    const show=(g==='')||within.indexOf(g.replace(/^flag:/,''))>=0;
    c.style.display=show?'':'none';if(show){n+=1;}
  });
  document.getElementById('shown').textContent=n;
}
document.getElementById('genre').addEventListener('change',applyFilter);
applyFilter();
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _meta(rule: dict[str, Any]) -> str:
    """The model, its calibration and the training run, as a small table."""
    run = rule.get("training_run") or {}
    rows = [
        ("model", f"{rule['model']} (content hash {str(rule.get('model_hash'))[:12]}, "
                  f"{rule.get('model_file')})"),
        ("calibration", f"temperature {rule.get('temperature', 1.0):g}"
         + ("" if rule.get("calibrated") else " (not calibrated)")),
        ("training run", ", ".join(f"{k} {v}" for k, v in run.items() if v)
         or "unknown (no data/08_reporting/run_manifest.json)"),
        ("rule", rule["rule"]),
    ]
    body = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table class="meta">{body}</table>'


def _thresholds(rule: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{_e(g)}</td><td>{v['threshold']:.3f}</td></tr>"
        for g, v in rule["genres"].items()
    )
    return f"<table><tr><th>genre</th><th>threshold</th></tr>{rows}</table>"


def _ranks(row: pd.Series, k: int) -> str:
    """A painting's top ``k`` genres: probability, threshold, decision."""
    body = ""
    for n in range(1, k + 1):
        assigned = str(row[f"assigned_{n}"]) == "True"
        mark = '<span class="yes">assigned</span>' if assigned else (
            '<span class="no">not assigned</span>')
        body += (f"<tr><td>{_e(row[f'genre_{n}'])}</td><td>{float(row[f'probability_{n}']):.3f}"
                 f"</td><td>{float(row[f'threshold_{n}']):.3f}</td><td>{mark}</td></tr>")
    head = "<tr><th>genre</th><th>probability</th><th>threshold</th><th>decision</th></tr>"
    return f"<table>{head}{body}</table>"


def _flags(row: pd.Series) -> list[str]:
    flags = [] if str(row["assigned_1"]) == "True" else ["top-not-assigned"]
    return flags + (["warning"] if row.get("warning") else [])


def _card(row: pd.Series, k: int, thumbnail: bytes | None) -> str:
    genres = [g for g in str(row["genres"]).split("|") if g] or [NONE_ASSIGNED]
    thumb = (
        f'<img class="thumb" alt="{_e(row["file"])}" src="data:image/jpeg;base64,'
        f'{base64.b64encode(thumbnail).decode("ascii")}">' if thumbnail else ""
    )
    warning = f'<p class="warning">{_e(row["warning"])}</p>' if row.get("warning") else ""
    overlay = ""
    if row.get("explanation"):
        overlay = (f'<img class="overlay" alt="maps of {_e(row["file"])}" '
                   f'src="{_e(quote(str(row["explanation"])))}">')
    return (
        f"<div class=\"card\" data-genres='{_e(json.dumps(genres))}' "
        f"data-flags='{_e(json.dumps(_flags(row)))}'><div class=\"thumbcell\">{thumb}</div>"
        f"<div><b>{_e(row['file'])}</b>"
        f'<p>genres: <span class="genres">{_e(" | ".join(genres))}</span></p>'
        f"{warning}{_ranks(row, k)}{overlay}</div></div>"
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _unreadable(failed: pd.DataFrame) -> str:
    if failed.empty:
        return "<p>Every file was read.</p>"
    rows = "".join(
        f"<tr><td>{_e(r.file)}</td><td>{_e(r.error)}</td></tr>" for r in failed.itertuples()
    )
    return f"<table><tr><th>file</th><th>why</th></tr>{rows}</table>"


def build_predictions_page(
    predictions: pd.DataFrame, prediction_rule: dict[str, Any], new_features: dict[str, Any]
) -> str:
    """The page (see the module docstring).

    Args:
        predictions: ``predictions.csv``'s table (``predict_genres``).
        prediction_rule: Its sidecar (model, temperature, training run, thresholds).
        new_features: Output of ``extract_new_features`` (its ``thumbnails``).

    Returns:
        The HTML document.
    """
    k = sum(1 for c in predictions.columns if c.startswith("assigned_"))
    failed = predictions[predictions["error"] != ""]
    readable = predictions[predictions["error"] == ""]
    thumbnails = new_features.get("thumbnails", {})
    cards = "".join(_card(row, k, thumbnails.get(row["file"])) for _, row in readable.iterrows())
    genres = sorted(prediction_rule["genres"]) + [NONE_ASSIGNED]
    options = '<option value="">every painting</option>' + "".join(
        f'<option value="{_e(g)}">{_e(g)}</option>' for g in genres) + "".join(
        f'<option value="flag:{f}">{_e(label)}</option>' for f, label in FLAGS.items())
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Predictions ({_e(prediction_rule['model'])})</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>Predictions: {_plural(len(readable), 'painting')}, "
        f"{_plural(len(failed), 'file')} not read</h1>"
        f"{_meta(prediction_rule)}<h2>Thresholds</h2>{_thresholds(prediction_rule)}"
        f'<h2>Paintings</h2><div class="filter"><label>Show paintings given '
        f'<select id="genre">{options}</select></label> '
        f'(<span id="shown">{len(readable)}</span> shown)</div>'
        f'<div id="cards">{cards}</div>'
        f"<h2>Files not read</h2>{_unreadable(failed)}"
        f"<script>{_SCRIPT}</script></body></html>"
    )
