"""The shell of the customer's public pages (a choice while an order waits, the returns page): one
style, no scripts, no outside resources, strict headers; every value shown is escaped by the page
that shows it. Pure."""

from __future__ import annotations

import html

_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:40em;padding:1.5em;color:#111}"
    "h1{font-size:1.4em}ul{padding-left:1.2em}fieldset{border:1px solid #888;padding:1em}"
    "label{display:block;margin:.5em 0}button{font:inherit;padding:.5em 1.2em;margin-top:1em;"
    "background:#0b4f9c;color:#fff;border:0;border-radius:4px}.note{color:#333}"
)
# No scripts, no outside resources; the form posts back to the page itself.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self';"
    " frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def error_page(title: str, message: str) -> str:
    """A refusal in a sentence (our messages start in lower case)."""
    sentence = message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
    return page(title, f"<h1>{html.escape(title)}</h1><p>{html.escape(sentence)}</p>")
