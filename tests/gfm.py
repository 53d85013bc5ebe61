"""What GitHub shows for a Markdown document: cmark-gfm (PyPI `cmarkgfm`), read back.

GitHub renders READMEs with cmark-gfm and its extensions table, autolink, strikethrough and
tagfilter (tasklist too), raw HTML allowed. `Page` keeps what the parity tests compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options


def github_html(markdown: str) -> str:
    """The HTML GitHub's renderer makes of `markdown`."""
    return str(
        cmarkgfm.github_flavored_markdown_to_html(
            markdown, options=Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_FOOTNOTES
        )
    )


@dataclass
class Anchor:
    href: str
    text: str = ""
    has_image: bool = False

    @property
    def is_badge(self) -> bool:
        """A link wrapping only an image: not a list entry."""
        return self.has_image and not self.text.strip()


class Page(HTMLParser):
    """The elements, links, images, emphasis, table shapes and text of rendered HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []  # every start tag, in order
        self.anchors: list[Anchor] = []
        self.images: list[str] = []
        self.ems: list[str] = []  # the text of each <em>
        self.tables: list[list[int]] = []  # cells per row, per table
        self.text = ""
        self._anchor: Anchor | None = None
        self._em: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "a" and values.get("href") is not None:
            self._anchor = Anchor(values["href"] or "")
            self.anchors.append(self._anchor)
        elif tag == "img":
            self.images.append(values.get("src") or "")
            if self._anchor:
                self._anchor.has_image = True
        elif tag == "em":
            self._em = []
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append(0)
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self.tables[-1][-1] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._anchor = None
        elif tag == "em" and self._em is not None:
            self.ems.append("".join(self._em))
            self._em = None

    def handle_data(self, data: str) -> None:
        self.text += data
        if self._anchor:
            self._anchor.text += data
        if self._em is not None:
            self._em.append(data)


def github_page(markdown: str) -> Page:
    """`markdown` as GitHub renders it, read back into a `Page`."""
    page = Page()
    page.feed(github_html(markdown))
    page.close()
    return page
