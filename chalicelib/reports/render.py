"""Markdown to HTML that is safe to put in a page: a model's output is untrusted.

The allowlist is what report prose needs and nothing more (a test pins it exactly):
paragraphs, emphasis, lists, quotes, code, small headings, tables. Everything else is
removed: scripts and styles with their content; forms and their controls, images, frames
and media; every attribute but a table cell's alignment (so no event handler, no style, no
id a page script could be confused by). Links are removed too, their text kept: a report
has no sections to link to, and a link to another origin written by a model is a way to
send a reader somewhere nobody checked. (The page's CSP would stop scripts and inline
styles anyway; this keeps them out of the stored document.)
"""

from __future__ import annotations

import markdown
import nh3
from markdown.extensions.tables import TableExtension

ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "code", "pre",
    "h3", "h4", "h5", "table", "thead", "tbody", "tr", "th", "td", "hr", "sup", "sub",
})  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "th": frozenset({"align"}),
    "td": frozenset({"align"}),
}
ALIGNMENTS = frozenset({"left", "center", "right"})
# Removed with everything inside them, not just unwrapped.
REMOVED_WITH_CONTENT = frozenset({
    "script", "style", "template", "textarea", "select", "option", "button", "object",
    "noscript", "iframe", "svg", "math",
})  # fmt: skip


# Markdown's punctuation, escaped with a backslash; "<", ">" and "&" become entities.
_MARKDOWN_SPECIALS = set("\\`*_{}[]()#+-.!|~")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def md_text(value: str) -> str:
    """Text from data (a bank's name, its city) made literal inside markdown: a bank named
    ``<img src=x onerror=alert(1)>`` then reads as those characters instead of vanishing
    in the sanitizer."""
    return "".join(
        _ENTITIES.get(ch) or (f"\\{ch}" if ch in _MARKDOWN_SPECIALS else ch) for ch in value
    )


def _keep_alignment(tag: str, attribute: str, value: str) -> str | None:
    return value if value in ALIGNMENTS else None


def to_safe_html(text: str) -> str:
    """Render markdown (with tables) and keep only the allowlisted tags and attributes."""
    html = markdown.markdown(
        text,
        extensions=[TableExtension(use_align_attribute=True), "sane_lists"],
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(REMOVED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_keep_alignment,
        url_schemes=set(),
        strip_comments=True,
        link_rel=None,
    )
