"""Markdown to HTML that is safe to put in a page: a model's output is untrusted."""

from __future__ import annotations

import markdown
import nh3

# Only what report prose needs: no scripts, styles, forms, frames, images or event handlers.
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "code", "pre",
    "h3", "h4", "h5", "table", "thead", "tbody", "tr", "th", "td", "hr", "a", "sup", "sub",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


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


def to_safe_html(text: str) -> str:
    """Render markdown (with tables) and keep only harmless tags and attributes."""
    html = markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
