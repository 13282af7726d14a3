// Keyboard shortcuts, listed on "?": "/" finds, "g" then a letter goes to a screen.
import { html, useEffect, useRef, useState } from "./vendor/preact-htm.js";

const KEYS = [
  ["/", "Find an order (number, email, SKU, tag)"],
  ["g then h", "Go home (today's counts)"],
  ["g then o", "Go to the orders"],
  ["g then f", "Go to fulfilment (then type or scan into its field)"],
  ["g then s", "Go to the stock"],
  ["g then r", "Go to the returns"],
  ["?", "Show these shortcuts"],
  ["Esc", "Close a dialog"],
];

const GO = { h: "#/home", o: "#/orders", f: "#/fulfilment", s: "#/stock", r: "#/returns" };

function typing(event) {
  const t = event.target;
  return t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
}

export function Shortcuts() {
  const dialog = useRef(null);
  const [, setPrefix] = useState("");
  useEffect(() => {
    const onKey = (event) => {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "?") {
        dialog.current.showModal();
      } else if (event.key === "/") {
        const search = document.getElementById("q");
        if (search) {
          event.preventDefault();
          search.focus();
        }
      } else if (event.key === "g") {
        setPrefix("g");
        setTimeout(() => setPrefix(""), 1500);
        return;
      } else if (event.key in GO) {
        setPrefix((p) => {
          if (p === "g") location.hash = GO[event.key];
          return "";
        });
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, []);
  return html`<dialog ref=${dialog} aria-labelledby="keys-title">
    <h2 id="keys-title">Keyboard shortcuts</h2>
    <table>
      <thead><tr><th scope="col">Keys</th><th scope="col">Does</th></tr></thead>
      <tbody>${KEYS.map(([k, d]) => html`<tr><td><kbd>${k}</kbd></td><td>${d}</td></tr>`)}</tbody>
    </table>
    <form method="dialog"><button type="submit">Close</button></form>
  </dialog>`;
}
