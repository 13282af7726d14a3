// Stock: every SKU with on hand / reserved / available (low stock marked in words, not only in
// colour), one SKU per location, and a count per location (reserved units are never touched by a
// count; orders held for the SKU are released by it). Orders waiting for stock: the on-hold list.
import { html, useEffect, useState } from "./vendor/preact-htm.js";
import { api, actionKey } from "./api.js";
import { useLive } from "./live.js";
import { when } from "./format.js";

const LOW = 5;
// Why a count changed the shelf: sent with it, and carried by its StockAdjusted events.
const REASONS = ["cycle count", "goods received", "damaged", "lost or stolen", "found", "correction"];

function Sku({ sku, onChanged }) {
  // Live: reservations change as orders come and go; the counts being typed are kept.
  const { data: level, problem: unread, reload } = useLive(() => api("GET", `/stock/${encodeURIComponent(sku)}`), [sku], 4000);
  const [typed, setTyped] = useState({}); // counts typed since the last save, by location
  const [reason, setReason] = useState(REASONS[0]);
  const [locations, setLocations] = useState([]);
  const [refused, setProblem] = useState(null);
  const [notice, setNotice] = useState(null);
  useEffect(() => {
    setTyped({});
    api("GET", "/locations").then((r) => setLocations(r.locations || []), () => {});
  }, [sku]);
  const problem = refused || unread;
  const counts = { ...Object.fromEntries((level ? level.locations : []).map((x) => [x.location, x.on_hand])), ...typed };
  const save = async (event) => {
    event.preventDefault();
    setProblem(null);
    const changed = Object.entries(typed)
      .filter(([loc, n]) => !level.locations.some((x) => x.location === loc && x.on_hand === n))
      .map(([location, on_hand]) => ({ location, on_hand }));
    if (!changed.length) return;
    try {
      await api("PUT", `/stock/${encodeURIComponent(sku)}`, { locations: changed, reason }, { key: actionKey("count") });
      setNotice(`Counted: ${changed.map((c) => `${c.on_hand} at ${c.location}`).join(", ")} (${reason}).`);
      setTyped({});
      reload();
      onChanged();
    } catch (e) {
      setProblem(e.message);
    }
  };
  if (!level) return problem ? html`<p class="error" role="alert">${problem}</p>` : html`<p role="status">Loading ${sku}…</p>`;
  const known = new Set(level.locations.map((l) => l.location));
  const rows = [...level.locations, ...locations.filter((l) => !known.has(l.location_id)).map((l) => ({ location: l.location_id, on_hand: 0, reserved: 0, available: 0 }))];
  return html`<section class="card" aria-label=${`Stock of ${sku}`}>
    <h2>${sku}</h2>
    <p>${level.on_hand} on hand, ${level.reserved} reserved, ${level.available} available</p>
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    <form onSubmit=${save}>
      <table aria-label=${`${sku} per location`}>
        <thead><tr><th scope="col">Location</th><th scope="col" class="num">Reserved</th><th scope="col" class="num">Available</th><th scope="col">Counted on hand</th><th scope="col">Updated</th></tr></thead>
        <tbody>${rows.map((l) => html`<tr key=${l.location}>
          <td>${l.location}</td><td class="num">${l.reserved}</td><td class="num">${l.available}</td>
          <td><input type="number" min="0" aria-label=${`Counted on hand at ${l.location}`} value=${counts[l.location] ?? 0}
            onInput=${(e) => setTyped({ ...typed, [l.location]: Math.max(0, Number(e.target.value) || 0) })} /></td>
          <td>${when(l.updated_at)}</td></tr>`)}</tbody>
      </table>
      <div class="bar"><label for="count-reason">Reason</label>
        <select id="count-reason" value=${reason} onChange=${(e) => setReason(e.target.value)}>${REASONS.map((r) => html`<option value=${r}>${r}</option>`)}</select></div>
      <p class="effect">A count sets what is on the shelf; reserved units stay reserved, and orders waiting for ${sku} are released when it covers them.</p>
      <button type="submit">Save counts</button>
    </form>
  </section>`;
}

export function StockScreen({ params }) {
  const [cursors, setCursors] = useState([null]);
  const sku = params.get("sku") || "";
  const cursor = cursors[cursors.length - 1];
  const { data: page, problem, reload } = useLive(
    () => api("GET", `/stock?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`),
    [cursor],
  );
  const find = (event) => {
    event.preventDefault();
    const value = new FormData(event.target).get("sku").trim();
    location.hash = value ? `#/stock?sku=${encodeURIComponent(value)}` : "#/stock";
  };
  return html`<h1>Stock</h1>
    <form class="scan" onSubmit=${find} role="search" aria-label="Find a SKU">
      <div><label for="sku">SKU</label><input id="sku" name="sku" value=${sku} autocomplete="off" /></div>
      <button type="submit">Show</button>
      <a href="#/orders?status=on_hold">Orders on hold, waiting for stock</a>
    </form>
    ${sku && html`<${Sku} sku=${sku} onChanged=${reload} />`}
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    ${page && html`<table aria-label="Stock">
      <thead><tr><th scope="col">SKU</th><th scope="col" class="num">On hand</th><th scope="col" class="num">Reserved</th><th scope="col" class="num">Available</th><th scope="col">Level</th></tr></thead>
      <tbody>${page.stock.map((s) => html`<tr key=${s.sku}>
        <td><a href=${`#/stock?sku=${encodeURIComponent(s.sku)}`}>${s.sku}</a></td>
        <td class="num">${s.on_hand}</td><td class="num">${s.reserved}</td><td class="num">${s.available}</td>
        <td>${s.available <= 0 ? html`<span class="status cancelled">out of stock</span>` : s.available <= LOW ? html`<span class="status pending">low</span>` : ""}</td></tr>`)}</tbody>
    </table>
    <nav class="bar" aria-label="Pages">
      <button type="button" class="secondary" disabled=${cursors.length < 2} onClick=${() => setCursors(cursors.slice(0, -1))}>Previous page</button>
      <button type="button" class="secondary" disabled=${!page.cursor} onClick=${() => setCursors([...cursors, page.cursor])}>Next page</button>
    </nav>`}`;
}
