"""The page for readers in a real browser: Playwright driving Debian's Chromium.

The page is built from the seed list (the repo's README and committed cache, through
`enrich --offline`) and opened from disk. Screenshots go to test-artifacts/ (gitignored).
Where /usr/bin/chromium or Playwright is missing the tests skip and say why (`-ra`).
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli import main
from pipeline.site import SiteEntry, load_bibtex, load_entries
from tests.conftest import REPO

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"

if not CHROMIUM.exists():
    pytest.skip(
        f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install -y chromium; "
        ".ci/run installs it)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")


@dataclass
class Built:
    outputs: Path
    index: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("seed-site")
    shutil.copyfile(REPO / "README.md", root / "README.md")
    shutil.copyfile(REPO / "data" / "arxiv-cache.jsonl", root / "cache.jsonl")
    outputs, site = root / "outputs", root / "site"
    common = ["--outputs", str(outputs)]
    status = main(
        ["enrich", "--offline", "--no-readme", "--readme", str(root / "README.md"),
         "--cache", str(root / "cache.jsonl"), "--catalog", str(root / "catalog.csv"), *common]
    )  # fmt: skip
    assert status == 0
    assert main(["site", *common, "--site", str(site)]) == 0
    return Built(outputs, site / "index.html")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@dataclass
class Page:
    page: Any
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # console errors, uncaught exceptions

    def visible(self, selector: str) -> int:
        return int(self.page.locator(f"{selector}:visible").count())


def open_page(browser: Any, index: Path, init_script: str = "", **context: Any) -> Page:
    ctx = browser.new_context(**context)
    if init_script:
        ctx.add_init_script(init_script)
    page = ctx.new_page()
    opened = Page(page)

    def record(route: Any) -> None:
        opened.requests.append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    ctx.route("**/*", record)
    page.on(
        "console",
        lambda m: (
            opened.problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda e: opened.problems.append(f"uncaught: {e}"))
    page.goto(index.as_uri())
    page.wait_for_load_state("load")
    return opened


@pytest.fixture
def seed_page(browser: Any, built: Built) -> Iterator[Page]:
    opened = open_page(browser, built.index, viewport={"width": 1200, "height": 900})
    yield opened
    opened.page.context.close()


def entry_titles(built: Built) -> list[str]:
    return [e.title for e in load_entries(built.outputs / "papers.parquet") if e.title]


def test_every_paper_with_title_and_abstract_and_nothing_leaves_disk(
    seed_page: Page, built: Built
) -> None:
    page = seed_page.page
    entries = load_entries(built.outputs / "papers.parquet")
    assert page.locator("li.entry").count() == len(entries) == 47
    text = page.locator("main").text_content()
    for entry in entries:
        if entry.title:
            assert entry.title in text
            assert entry.abstract and entry.abstract in text
        else:
            assert page.locator(f"#e{entry.position} a").get_attribute("href") == entry.url
    # Abstracts are folded: present but not shown until opened.
    assert seed_page.visible("details.abstract > p") == 0
    page.locator("details.abstract summary").first.click()
    assert seed_page.visible("details.abstract > p") == 1
    assert page.locator("#count").text_content() == "47 of 47 entries"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "site-seed.png"), full_page=False)
    assert seed_page.requests and all(u.startswith("file://") for u in seed_page.requests)
    assert {u.rsplit("/", 1)[1] for u in seed_page.requests} == {
        "index.html",
        "style.css",
        "app.js",
    }
    assert seed_page.problems == []


def matching(entries: list[SiteEntry], query: str) -> set[int]:
    """Positions of the entries whose title, label, authors or abstract hold every word."""

    def fold(text: str) -> str:
        return unicodedata.normalize("NFD", text).encode("ascii", "ignore").decode().lower()

    words = fold(query).split()
    found = set()
    for e in entries:
        text = fold(" ".join([e.title or "", e.label, ", ".join(e.authors), e.abstract or ""]))
        if all(w in text for w in words):
            found.add(e.position)
    return found


def shown(page: Page) -> set[int]:
    positions = page.page.locator("li.entry:visible").evaluate_all(
        "els => els.map(e => Number(e.dataset.position))"
    )
    return set(positions)


@pytest.mark.parametrize(
    "query",
    [
        "attention is all you need",  # a title
        "vaswani",  # an author
        "lebron",  # an author, typed without the accent of "Lebrón"
        "byte pair encoding compression",  # words of one abstract
        "scaling laws",
        "illustrated transformer",  # the label of a web link
    ],
)
def test_typing_filters_as_one_types(seed_page: Page, built: Built, query: str) -> None:
    entries = load_entries(built.outputs / "papers.parquet")
    wanted = matching(entries, query)
    assert 0 < len(wanted) < len(entries)
    seed_page.page.locator("#search").press_sequentially(query)
    # The filter runs on the next animation frame: wait for it (bounded) before looking.
    sync_api.expect(seed_page.page.locator("#count")).to_have_text(
        f"{len(wanted)} of 47 entries", timeout=5000
    )
    assert shown(seed_page) == wanted
    seed_page.page.locator("#search").press("Escape")
    assert len(shown(seed_page)) == 47
    assert seed_page.problems == []


@pytest.mark.parametrize("query", ["zzzz no such words", "BibTeX", "PDF abstract"])
def test_nothing_matches(seed_page: Page, built: Built, query: str) -> None:
    # The page's own words (buttons, links, the Abstract fold) are not searched.
    assert matching(load_entries(built.outputs / "papers.parquet"), query) == set()
    seed_page.page.locator("#search").press_sequentially(query)
    sync_api.expect(seed_page.page.locator("#empty")).to_be_visible(timeout=5000)
    assert shown(seed_page) == set()
    assert seed_page.visible("section.group") == 0


def test_section_year_and_category_filters(seed_page: Page, built: Built) -> None:
    page = seed_page.page
    entries = load_entries(built.outputs / "papers.parquet")
    sections = list(dict.fromkeys(e.section for e in entries))
    assert len(sections) > 2
    for section in sections:
        page.select_option("#section", value=section)
        positions = {e.position for e in entries if e.section == section}
        assert shown(seed_page) == positions
        assert seed_page.visible("section.group") == 1
    page.select_option("#section", value="")
    page.select_option("#year", value="2017")
    assert seed_page.visible("li.entry") == sum(
        1 for e in entries if e.published and e.published.year == 2017
    )
    page.select_option("#category", value="cs.CL")
    assert seed_page.visible("li.entry") == sum(
        1 for e in entries if e.published and e.published.year == 2017 and "cs.CL" in e.categories
    )
    assert seed_page.problems == []


def test_sort_by_date_then_back_to_list_order(seed_page: Page, built: Built) -> None:
    page = seed_page.page
    order = "els => els.map(e => Number(e.dataset.position))"
    listed = page.locator("li.entry").evaluate_all(order)
    page.select_option("#sort", value="new")
    dates = page.locator("li.entry:visible").evaluate_all("els => els.map(e => e.dataset.date)")
    dated = [d for d in dates if d]
    assert dated == sorted(dated, reverse=True)
    assert dates[: len(dated)] == dated  # undated web links last
    page.select_option("#sort", value="old")
    dated = [d for d in page.locator("li.entry").evaluate_all(
        "els => els.map(e => e.dataset.date)") if d]  # fmt: skip
    assert dated == sorted(dated)
    page.select_option("#sort", value="list")
    assert page.locator("li.entry").evaluate_all(order) == listed
    assert seed_page.problems == []


RECORD_CLIPBOARD = """
window.__copied = [];
const write = navigator.clipboard && navigator.clipboard.writeText.bind(navigator.clipboard);
if (write) {
  navigator.clipboard.writeText = (text) => { window.__copied.push(text); return write(text); };
}
document.addEventListener("copy", () => window.__copied.push(String(document.getSelection())
  || document.activeElement.value));
"""


@pytest.mark.parametrize("clipboard_api", [True, False], ids=["clipboard", "fallback"])
def test_bibtex_button_copies_the_entry(browser: Any, built: Built, clipboard_api: bool) -> None:
    script = RECORD_CLIPBOARD
    if not clipboard_api:  # as in browsers that refuse the async clipboard on file://
        script = "Object.defineProperty(navigator, 'clipboard', {value: undefined});" + script
    opened = open_page(browser, built.index, init_script=script)
    page = opened.page
    try:
        bibtex = load_bibtex(built.outputs / "papers.bib")
        item = page.locator("li.entry.paper").nth(2)
        arxiv_id = item.locator(".actions a").first.text_content().removeprefix("arXiv:")
        button = item.locator("button.copy-bibtex")
        # Keyboard: focus the button, press Enter.
        button.focus()
        page.keyboard.press("Enter")
        page.wait_for_function("window.__copied.length > 0")
        assert page.evaluate("window.__copied")[0] == bibtex[arxiv_id]
        assert button.text_content() == "Copied"
        assert opened.problems == []
    finally:
        page.context.close()


def test_slash_focuses_search_and_tab_reaches_the_controls(seed_page: Page) -> None:
    page = seed_page.page
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "section"


def test_phone_width_and_dark_scheme(browser: Any, built: Built) -> None:
    opened = open_page(
        browser,
        built.index,
        viewport={"width": 375, "height": 740},
        color_scheme="dark",
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = opened.page
    try:
        # Nothing wider than the screen: no sideways scrolling on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        red, green, blue = map(int, re.findall(r"\d+", background)[:3])
        assert red + green + blue < 3 * 64, background  # dark
        page.screenshot(path=str(ARTIFACTS / "site-phone-dark.png"))
        assert opened.problems == []
    finally:
        page.context.close()
