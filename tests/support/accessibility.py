"""Accessibility checks run in the browser tests: axe-core, keyboard reach and visible focus, page width.

axe-core comes from the PyPI package ``axe-playwright-python`` (pinned in requirements.lock; it ships Deque's
``axe.min.js``, MPL-2.0). It is evaluated through Playwright, which the page's strict Content-Security-Policy
does not block (an injected ``<script>`` tag would be), in a browser context where JavaScript is on only for
the check: the pages themselves carry no script.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

BLOCKING_IMPACTS = ("serious", "critical")

# Every control a keyboard user must be able to reach: links, buttons, fields, <summary>. Radio buttons of one
# group are one tab stop (the arrow keys move inside the group), so only the group's first counts.
_MARK_FOCUSABLE = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[tabindex]:not([tabindex="-1"])';
  const seen = new Set();
  let n = 0;
  for (const el of document.querySelectorAll(selector)) {
    if (el.disabled || el.closest('[hidden]')) continue;
    if (el.type === 'radio') { if (seen.has(el.name)) continue; seen.add(el.name); }
    el.dataset.kbStop = String(n++);
  }
  return n;
}"""

_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || !el.dataset || el.dataset.kbStop === undefined) return null;
  const group = el.type === 'radio' ? document.querySelector(`input[type=radio][name="${el.name}"]`) : el;
  const style = getComputedStyle(el);
  const rect = el.getBoundingClientRect();
  const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
  const shown = rect.width > 0 && rect.height > 0 && rect.right > 0 && rect.left < window.innerWidth;
  return {stop: group.dataset.kbStop, ring: ring, shown: shown, what: el.outerHTML.slice(0, 120)};
}"""


def serious_violations(page: Any) -> list[str]:
    """Run axe-core on the page; return its serious and critical violations, one readable line each."""
    results = Axe().run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING_IMPACTS:
            targets = [", ".join(node["target"]) for node in violation["nodes"]][:3]
            lines.append(f"{violation['impact']} {violation['id']}: {violation['help']} at {targets}")
    return lines


def keyboard_problems(page: Any) -> list[str]:
    """Tab through a freshly loaded page; return the controls never reached or reached without a visible focus.

    Works with JavaScript off in the page: Playwright evaluates in its own context.
    """
    total = page.evaluate(_MARK_FOCUSABLE)
    reached: set[str] = set()
    problems = []
    # A date field is three tab stops (day, month, year), so allow for more presses than controls.
    for _ in range(3 * total + 5):
        if len(reached) == total:
            break
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        if focused is None:
            continue
        reached.add(focused["stop"])
        if not focused["ring"]:
            problems.append(f"no visible focus ring on {focused['what']}")
        if not focused["shown"]:
            problems.append(f"focused but off screen: {focused['what']}")
    missing = [str(n) for n in range(total) if str(n) not in reached]
    for stop in missing:
        html = page.evaluate("(s) => document.querySelector(`[data-kb-stop='${s}']`).outerHTML.slice(0, 120)", stop)
        problems.append(f"never reached by Tab: {html}")
    return problems


def horizontal_overflow(page: Any) -> int:
    """Return by how many CSS pixels the document is wider than the viewport (0 when it fits)."""
    width = page.evaluate("() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    return max(0, int(width) - int(page.viewport_size["width"]))
