// Home: today's counts, each a link to the list it counts (orders in since the user's midnight,
// to ship per status, late, waiting, on hold by reason, returns waiting). Refreshed every 5 s.
import { html } from "./vendor/preact-htm.js";
import { api } from "./api.js";
import { useLive } from "./live.js";
import { counted, when, words } from "./format.js";

function midnight() {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d;
}

function Tile({ label, count, href }) {
  return html`<li class="card tile"><a href=${href}><span class="count">${count}</span> <span>${label}</span></a></li>`;
}

export function HomeScreen() {
  const { data: day, problem } = useLive(
    () => api("GET", `/dashboard?since=${encodeURIComponent(midnight().toISOString())}`),
    [],
    10_000,
  );
  if (!day) return problem ? html`<h1>Today</h1><p class="error" role="alert">${problem}</p>` : html`<p role="status">Loading today…</p>`;
  const today = midnight().toISOString().slice(0, 10);
  const toShip = Object.values(day.to_ship).reduce((a, b) => a + b, 0);
  return html`<h1>Today</h1>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    <ul class="tiles" aria-label="Today's counts">
      <${Tile} label="orders in today" count=${counted(day.orders_in, day.count_cap)} href=${`#/orders?from=${today}`} />
      <${Tile} label="to ship" count=${counted(toShip, day.count_cap)} href="#/orders?status=fulfilling" />
      <${Tile} label=${`late (placed before ${when(day.late_before)})`} count=${counted(day.late, day.count_cap)} href=${`#/orders?status=fulfilling&to=${day.late_before.slice(0, 10)}`} />
      <${Tile} label="on hold" count=${counted(day.waiting.on_hold, day.count_cap)} href="#/orders?status=on_hold" />
      <${Tile} label="awaiting payment" count=${counted(day.waiting.awaiting_payment, day.count_cap)} href="#/orders?status=awaiting_payment" />
    </ul>
    <div class="grid">
      <section class="card" aria-labelledby="ship-title"><h2 id="ship-title">To ship, by status</h2>
        <ul>${Object.entries(day.to_ship).map(([s, n]) => html`<li><a href=${`#/orders?status=${s}`}>${words(s)}: ${counted(n, day.count_cap)}</a></li>`)}</ul></section>
      <section class="card" aria-labelledby="hold-title"><h2 id="hold-title">On hold, by reason</h2>
        ${Object.keys(day.on_hold_by_reason).length
          ? html`<ul>${Object.entries(day.on_hold_by_reason).map(([r, n]) => html`<li><a href=${`#/orders?hold=${r}`}>${words(r)}: ${n}</a></li>`)}</ul>`
          : html`<p>Nothing on hold.</p>`}</section>
      <section class="card" aria-labelledby="returns-title"><h2 id="returns-title">Returns waiting</h2>
        <ul>${Object.entries(day.returns_waiting).map(([s, n]) => html`<li><a href=${`#/returns?status=${s}`}>${words(s)}: ${counted(n, day.count_cap)}</a></li>`)}</ul></section>
    </div>`;
}
