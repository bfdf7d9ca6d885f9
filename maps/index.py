"""index.html: links to the overview, the bureau maps and the county or township maps, all relative, so
the folder still works copied to a USB stick and opened from there (file://)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

_CSS = """body { font: 14px/1.5 sans-serif; margin: 2em auto; max-width: 46em; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 1.4em; } li { margin: 2px 0; }
.count { color: #555; }"""


def _links(entries: Sequence[tuple[str, str, str]]) -> str:
    return "".join(f'<li><a href="{escape(href)}">{escape(label)}</a> <span class="count">{escape(note)}</span></li>'
                   for href, label, note in entries)


def index_html(title: str, words: Mapping[str, str], overview: tuple[str, str, str],
               bureaus: Sequence[tuple[str, str, str]], townships: Sequence[tuple[str, str, str]],
               counties: Sequence[tuple[str, str, str]] = ()) -> str:
    """The page; every entry is (relative href, label, note) and every text is escaped."""
    lang = "zh-CN" if words["list.sep"] == "、" else "en"
    heading = f"{title} · {words['index.title']}" if title else words["index.title"]
    parts = [f"<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">",
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
             f"<title>{escape(heading)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{escape(heading)}</h1><ul>{_links([overview])}</ul>",
             f"<h2>{escape(words['index.bureaus'])}</h2><ul>{_links(bureaus)}</ul>"]
    if counties:
        parts.append(f"<h2>{escape(words['index.counties'])}</h2><ul>{_links(counties)}</ul>")
    if townships:
        parts.append(f"<h2>{escape(words['index.townships'])}</h2><ul>{_links(townships)}</ul>")
    parts.append("</body></html>\n")
    return "".join(parts)
