// Markdown from the bot -> sanitized DOM. Raw HTML in the markdown is shown as text, images are
// shown as their alt text (no request leaves the page), and DOMPurify keeps a short allow-list.
import { Marked } from "./vendor/marked.esm.js";
import DOMPurify from "./vendor/purify.es.mjs";

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);

const markdown = new Marked({
  gfm: true,
  breaks: true,
  renderer: {
    html: ({ text }) => escapeHtml(text),
    image: ({ text }) => escapeHtml(text),
  },
});

const PURIFY = {
  ALLOWED_TAGS: [
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
  ],
  ALLOWED_ATTR: ["href", "title", "align", "start"],
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#|\/)/i,
  RETURN_DOM_FRAGMENT: true,
};

/**
 * Renders bot markdown into a DocumentFragment that is safe to insert. `tableLabel` names each
 * table's scrollable region for screen readers, in the widget's language.
 */
export function renderMarkdown(text, { tableLabel = "Table" } = {}) {
  const fragment = DOMPurify.sanitize(markdown.parse(String(text ?? "")), PURIFY);
  for (const link of fragment.querySelectorAll("a[href]")) {
    link.target = "_blank";
    link.rel = "noopener noreferrer";
  }
  // Comparison tables: in a narrow panel each row becomes a card, each cell labelled with its
  // column's heading (widget.css, data-label); a wide one still scrolls instead of overflowing.
  for (const table of fragment.querySelectorAll("table")) {
    const headings = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    for (const row of table.querySelectorAll("tbody tr")) {
      [...row.cells].forEach((cell, index) => {
        if (headings[index]) cell.dataset.label = headings[index];
      });
    }
    const wrap = document.createElement("div");
    wrap.className = "table-wrap";
    wrap.tabIndex = 0;
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", tableLabel);
    table.replaceWith(wrap);
    wrap.append(table);
  }
  return fragment;
}
