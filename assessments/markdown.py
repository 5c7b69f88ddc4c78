"""Problem statements: Markdown (fenced code, tables) rendered to HTML that is safe to show.

Markdown passes raw HTML through, so its output is never trusted: nh3 (the Rust ``ammonia``
sanitiser) keeps an allow-list of tags and attributes, drops ``<script>``/``<style>`` with their
content, every ``on*`` attribute and any URL whose scheme is not http(s)/mailto, and stamps
``rel="noopener noreferrer nofollow"`` on links.
"""

from __future__ import annotations

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

EXTENSIONS = ["fenced_code", "tables", "sane_lists"]

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "code": {"class"},  # fenced_code's "language-python", for highlighting
    "th": {"align", "style"},
    "td": {"align", "style"},
    "ol": {"start"},
    "abbr": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"


def render_markdown(text: str) -> SafeString:
    """Render a Markdown statement to sanitised HTML."""
    html = md.markdown(text or "", extensions=EXTENSIONS, output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        # Tables align columns with style="text-align: ..."; nothing else survives in a style.
        filter_style_properties={"text-align"},
        strip_comments=True,
    )
    return mark_safe(clean)  # noqa: S308  (sanitised by nh3 just above)
