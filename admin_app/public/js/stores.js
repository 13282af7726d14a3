// Stores: each store's webhook address (with a copy button), its connection health (the newest
// order it sent; the last reconciliation: orders found only by it mean webhooks are being missed;
// its error; the stock sync and the last push the channel refused; the catalogue sync and the SKUs
// on one side only), reconciliation and catalogue sync
// on demand, and the settings staff change most, saved through PATCH /stores/{id}.
import { html, useEffect, useState } from "./vendor/preact-htm.js";
import { api, actionKey } from "./api.js";
import { when, words } from "./format.js";
import { useLive } from "./live.js";

const LOOK_BACK = [
  { hours: 1, label: "the last hour" },
  { hours: 24, label: "the last 24 hours" },
  { hours: 24 * 7, label: "the last 7 days" },
];

// What the connection looks like: the newest order, the reconciliation, the catalogue sync.
function Connection({ storeId, onProblem }) {
  const path = `/stores/${encodeURIComponent(storeId)}`;
  const { data } = useLive(
    () =>
      Promise.all([
        api("GET", `/orders?store=${encodeURIComponent(storeId)}&limit=1`).catch(() => ({ orders: [] })),
        api("GET", `${path}/reconciliation`).catch(() => null),
        api("GET", `${path}/catalog-sync`).catch(() => null),
        api("GET", `${path}/stock-sync`).catch(() => null),
      ]),
    [storeId],
  );
  const [hours, setHours] = useState(24);
  const [repush, setRepush] = useState(false);
  const [notice, setNotice] = useState(null);
  if (!data) return html`<p class="muted">Reading the connection…</p>`;
  const [newest, health, catalog, stock] = data;
  const latest = newest.orders[0];
  const reconcile = async (event) => {
    event.preventDefault();
    onProblem(null);
    try {
      const since = new Date(Date.now() - hours * 3600_000).toISOString();
      const run = await api("POST", `${path}/reconcile`, { since }, { key: actionKey("reconcile") });
      setNotice(`Reconciliation queued: orders changed from ${when(run.since)} to ${when(run.until)}.`);
    } catch (e) {
      onProblem(e.message);
    }
  };
  const readCatalogue = async (event) => {
    event.preventDefault();
    onProblem(null);
    try {
      await api("POST", `${path}/catalog-sync`, { repush }, { key: actionKey("catalog") });
      setNotice("Catalogue sync started.");
    } catch (e) {
      onProblem(e.message);
    }
  };
  return html`<div>
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    <dl>
      <dt>Newest order received</dt><dd>${latest ? html`<a href=${`#/orders/${encodeURIComponent(latest.order_id)}`}>${latest.number}</a>, placed ${when(latest.placed_at)}` : "none yet"}</dd>
      <dt>Last reconciliation</dt><dd>${health && health.last_run_at ? when(health.last_run_at) : "never"}</dd>
      ${health && health.last_run_at && html`<dt>Orders the channel listed</dt><dd>${health.last_listed}</dd>
        <dt>Found only by reconciliation</dt><dd>${health.last_missing + health.last_stale}${health.last_missing + health.last_stale ? " — webhooks may be failing" : ""}</dd>`}
      <dt>Reconciliation error</dt><dd>${(health && health.last_error) || "none"}</dd>
      ${stock && html`<dt>Stock sync</dt><dd>${stock.syncs ? "on: this store's stock is set from ours" : "off"}</dd>
        <dt>Last push the channel refused</dt><dd>${stock.last_problem ? `${stock.last_problem.problem}${stock.last_problem.sku ? ` (${stock.last_problem.sku})` : ""}, ${when(stock.last_problem.at)}` : "none"}</dd>`}
      <dt>Catalogue sync</dt><dd>${catalog && catalog.status ? `${words(catalog.status)}${catalog.finished_at ? `, ${when(catalog.finished_at)}` : ""}` : "never"}</dd>
      ${catalog && catalog.status && html`<dt>SKUs on the channel</dt><dd>${catalog.listed}, ${catalog.matched} of them stocked here</dd>
        <dt>Sold there, never counted here</dt><dd>${catalog.channel_only}${catalog.channel_only_skus.length ? `: ${catalog.channel_only_skus.join(", ")}` : ""}</dd>
        <dt>Counted here, not sold there</dt><dd>${catalog.ours_only}${catalog.ours_only_skus.length ? `: ${catalog.ours_only_skus.join(", ")}` : ""}</dd>
        ${catalog.problem && html`<dt>Catalogue sync error</dt><dd>${catalog.problem}</dd>`}`}
    </dl>
    <form class="bar" onSubmit=${reconcile} aria-label="Reconcile">
      <label for="look-back">Look for missed orders changed in</label>
      <select id="look-back" value=${hours} onChange=${(e) => setHours(Number(e.target.value))}>
        ${LOOK_BACK.map((o) => html`<option value=${o.hours}>${o.label}</option>`)}</select>
      <button type="submit" class="secondary">Reconcile now</button>
    </form>
    <form class="bar" onSubmit=${readCatalogue} aria-label="Catalogue sync">
      <label><input type="checkbox" checked=${repush} onChange=${(e) => setRepush(e.target.checked)} /> Push every level again</label>
      <button type="submit" class="secondary">Read the catalogue</button>
    </form>
  </div>`;
}

const FIELDS = [
  { name: "auto_fulfil", label: "Buy the label and ship as soon as an order is allocated", kind: "bool" },
  { name: "carrier", label: "Carrier", kind: "choice", options: ["sandbox", "easypost", "manual"] },
  { name: "rate_choice", label: "Rate", kind: "choice", options: ["cheapest", "fastest", "checkout"] },
  { name: "backorders", label: "Out of stock", kind: "choice", options: ["hold", "ship_available"] },
  { name: "return_window_days", label: "Return window (days from delivery)", kind: "number", min: 0, max: 365 },
  { name: "inventory_sync", label: "Set this store's stock from ours", kind: "bool" },
  { name: "stock_buffer", label: "Publish available stock less this many units", kind: "number", min: 0, max: 100000 },
  { name: "notify_customer_email", label: "Email the customer as the order moves", kind: "bool" },
  { name: "push_fulfilment_to_channel", label: "Tell the channel when a shipment leaves", kind: "bool" },
];

function Store({ storeId }) {
  const [store, setStore] = useState(null);
  const [draft, setDraft] = useState({});
  const [problem, setProblem] = useState(null);
  const [notice, setNotice] = useState(null);
  const path = `/stores/${encodeURIComponent(storeId)}`;
  useEffect(() => {
    setStore(null);
    setDraft({});
    api("GET", path).then(setStore, (e) => setProblem(e.message));
  }, [storeId]);
  if (!store) return problem ? html`<p class="error" role="alert">${problem}</p>` : html`<p role="status">Loading the store…</p>`;
  const value = (f) => (f.name in draft ? draft[f.name] : store.settings[f.name]);
  const save = async (event) => {
    event.preventDefault();
    setProblem(null);
    try {
      const saved = await api("PATCH", path, { settings: draft }, { key: actionKey("settings") });
      setStore({ ...store, ...saved });
      setDraft({});
      setNotice("Settings saved.");
    } catch (e) {
      setProblem(e.message);
    }
  };
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(store.webhook_url);
      setNotice("Webhook address copied.");
    } catch {
      setNotice("Select the address and copy it.");
    }
  };
  return html`<section class="card" aria-label=${`Store ${store.name || store.store_id}`}>
    <h2>${store.name || store.store_id} <span class="muted">(${store.channel})</span></h2>
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    <div class="bar"><label for="hook">Webhook address</label>
      <input id="hook" readonly value=${store.webhook_url} size="60" onFocus=${(e) => e.target.select()} />
      <button type="button" class="secondary" onClick=${copy}>Copy</button></div>
    <h3>Connection</h3>
    <${Connection} storeId=${store.store_id} onProblem=${setProblem} />
    <h3>Settings</h3>
    <form onSubmit=${save}>
      ${FIELDS.map((f) => {
        const id = `set-${f.name}`;
        if (f.kind === "bool")
          return html`<div><label><input type="checkbox" checked=${!!value(f)} onChange=${(e) => setDraft({ ...draft, [f.name]: e.target.checked })} /> ${f.label}</label></div>`;
        if (f.kind === "choice")
          return html`<div><label for=${id}>${f.label}</label> <select id=${id} value=${value(f)} onChange=${(e) => setDraft({ ...draft, [f.name]: e.target.value })}>
            ${f.options.map((o) => html`<option value=${o}>${words(o)}</option>`)}</select></div>`;
        return html`<div><label for=${id}>${f.label}</label> <input id=${id} type="number" min=${f.min} max=${f.max} value=${value(f)}
          onInput=${(e) => setDraft({ ...draft, [f.name]: Number(e.target.value) })} /></div>`;
      })}
      <p class="effect">${Object.keys(draft).length ? `Changes: ${Object.entries(draft).map(([k, v]) => `${words(k)} → ${v}`).join(", ")}.` : "No changes."}</p>
      <button type="submit" disabled=${!Object.keys(draft).length}>Save settings</button>
    </form>
  </section>`;
}

export function StoresScreen({ params }) {
  const [stores, setStores] = useState(null);
  const [problem, setProblem] = useState(null);
  const chosen = params.get("store");
  useEffect(() => {
    api("GET", "/stores").then((r) => setStores(r.stores || []), (e) => setProblem(e.message));
  }, []);
  return html`<h1>Stores</h1>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    ${stores && html`<table aria-label="Stores"><thead><tr><th scope="col">Store</th><th scope="col">Channel</th><th scope="col">Id</th></tr></thead>
      <tbody>${stores.map((s) => html`<tr key=${s.store_id}><td><a href=${`#/stores?store=${encodeURIComponent(s.store_id)}`} aria-current=${s.store_id === chosen ? "true" : undefined}>${s.name || s.store_id}</a></td>
        <td>${s.channel}</td><td>${s.store_id}</td></tr>`)}</tbody></table>`}
    ${chosen && html`<${Store} storeId=${chosen} />`}`;
}
