// The reading list page: filter as one types, filter by section, year and category, sort,
// copy BibTeX. Plain JavaScript on the entries already in the HTML; nothing is fetched.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const search = $("search");
  const section = $("section");
  const year = $("year");
  const category = $("category");
  const sort = $("sort");
  const count = $("count");
  const empty = $("empty");
  const sorted = $("sorted");
  const groups = Array.from(document.querySelectorAll("section.group"));
  const entries = Array.from(document.querySelectorAll("li.entry"));

  // What the search box looks at, lowercased once: title, label, authors, abstract, section
  // and subsection tags, a web link's host; not the buttons, dates or BibTeX.
  const searched = ".title, .label, .authors, .abstract > p, .tag, .host";
  const items = entries.map((li) => ({
    li,
    home: li.parentElement,
    text: normalize(
      Array.from(li.querySelectorAll(searched), (el) => el.textContent).join(" \n "),
    ),
    section: li.dataset.section,
    year: li.dataset.year,
    categories: li.dataset.categories ? li.dataset.categories.split(" ") : [],
    date: li.dataset.date,
    position: Number(li.dataset.position),
  }));

  function normalize(text) {
    // Case- and accent-insensitive: "lebron" finds "Lebrón".
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function apply() {
    const words = normalize(search.value).split(/\s+/).filter(Boolean);
    let shown = 0;
    const groupsShown = new Set();
    for (const item of items) {
      const match =
        (!section.value || item.section === section.value) &&
        (!year.value || item.year === year.value) &&
        (!category.value || item.categories.includes(category.value)) &&
        words.every((word) => item.text.includes(word));
      // Touch the DOM only where something changes: long lists stay fast.
      if (item.li.hidden === match) item.li.hidden = !match;
      if (match) {
        shown += 1;
        groupsShown.add(item.home);
      }
    }
    for (const group of groups) {
      const hide = !groupsShown.has(group.querySelector("ul.entries"));
      if (group.hidden !== hide) group.hidden = hide;
    }
    empty.hidden = shown > 0;
    count.textContent = `${shown} of ${items.length} entries`;
  }

  function reorder() {
    if (sort.value === "list") {
      for (const item of items) item.home.appendChild(item.li);
      sorted.hidden = true;
      document.body.classList.remove("flat");
    } else {
      const sign = sort.value === "new" ? -1 : 1;
      // Undated entries (web links) last, list order among equals.
      const order = items.slice().sort((a, b) => {
        if (!a.date !== !b.date) return a.date ? -1 : 1;
        if (a.date !== b.date) return a.date < b.date ? -sign : sign;
        return a.position - b.position;
      });
      for (const item of order) sorted.appendChild(item.li);
      sorted.hidden = false;
      document.body.classList.add("flat");
    }
    apply();
  }

  async function copyBibtex(button) {
    const pre = button.closest("li").querySelector("pre.bibtex");
    const text = pre.textContent;
    let done = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        done = true;
      }
    } catch (error) {
      done = false;
    }
    if (!done) done = copyWithSelection(text);
    if (done) {
      flash(button, "Copied");
    } else {
      // Last resort: show the entry selected, for Ctrl+C.
      pre.hidden = false;
      const range = document.createRange();
      range.selectNodeContents(pre);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      flash(button, "Press Ctrl+C");
    }
  }

  function copyWithSelection(text) {
    // Works where the async clipboard does not (some file:// pages, older browsers).
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    let done = false;
    try {
      done = document.execCommand("copy");
    } catch (error) {
      done = false;
    }
    area.remove();
    return done;
  }

  function flash(button, message) {
    button.textContent = message;
    button.setAttribute("aria-live", "polite");
    setTimeout(() => {
      button.textContent = "BibTeX";
    }, 1500);
  }

  let pending = 0;
  search.addEventListener("input", () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(apply);
  });
  for (const select of [section, year, category]) select.addEventListener("change", apply);
  sort.addEventListener("change", reorder);
  document.querySelector("form.controls").addEventListener("submit", (e) => e.preventDefault());
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.copy-bibtex");
    if (button) copyBibtex(button);
  });
  document.addEventListener("keydown", (event) => {
    const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName);
    if (event.key === "/" && !typing) {
      event.preventDefault();
      search.focus();
    } else if (event.key === "Escape" && document.activeElement === search) {
      search.value = "";
      apply();
    }
  });
  apply();
})();
