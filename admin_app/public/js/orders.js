// Orders: filters and search saved in the URL, cursor paging, refreshed every 5 s without losing
// the selection or the scroll, and a bulk job on the selected orders with its progress.
import { html, useEffect, useState } from "./vendor/preact-htm.js";
import { api, actionKey } from "./api.js";
import { useLive } from "./live.js";
import { counted, money, when, words } from "./format.js";

const STATUSES = [
  "placed", "awaiting_payment", "confirmed", "on_hold", "fulfilling", "partially_shipped", "shipped",
  "delivered", "completed", "cancelled", "refunded", "partially_refunded", "returned",
];
const CHANNELS = ["shopify", "woocommerce", "bigcommerce", "manual"];
const FILTERS = ["q", "status", "hold", "channel", "store", "from", "to"];
const HOLDS = ["out_of_stock", "unknown_sku", "payment_review", "manual", "no_fulfilment_location"];
const REFRESH_MS = 4000;

function query(params, cursor) {
  const q = new URLSearchParams();
  for (const name of FILTERS) {
    const value = params.get(name);
    if (!value) continue;
    q.set(name, name === "from" || name === "to" ? new Date(`${value}T00:00:00`).toISOString() : value);
  }
  if (params.get("to")) q.set("to", new Date(new Date(`${params.get("to")}T00:00:00`).getTime() + 86_400_000).toISOString());
  if (cursor) q.set("cursor", cursor);
  q.set("limit", "50");
  return q.toString();
}

function Filters({ params, stores }) {
  const submit = (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const next = new URLSearchParams();
    for (const name of FILTERS) if (form.get(name)) next.set(name, form.get(name));
    location.hash = `#/orders?${next}`;
  };
  const value = (name) => params.get(name) || "";
  return html`<form class="filters" role="search" onSubmit=${submit} aria-label="Find orders">
    <div><label for="q">Search</label>
      <input id="q" name="q" type="search" value=${value("q")} placeholder="number, email, sku:…, tag:…" size="28" /></div>
    <div><label for="status">Status</label>
      <select id="status" name="status" value=${value("status")}>
        <option value="">any</option>
        ${STATUSES.map((s) => html`<option value=${s}>${words(s)}</option>`)}
      </select></div>
    <div><label for="hold">On hold for</label>
      <select id="hold" name="hold" value=${value("hold")}>
        <option value="">any reason</option>
        ${HOLDS.map((h) => html`<option value=${h}>${words(h)}</option>`)}
      </select></div>
    <div><label for="channel">Channel</label>
      <select id="channel" name="channel" value=${value("channel")}>
        <option value="">any</option>
        ${CHANNELS.map((c) => html`<option value=${c}>${c}</option>`)}
      </select></div>
    <div><label for="store">Store</label>
      <select id="store" name="store" value=${value("store")}>
        <option value="">any</option>
        ${stores.map((s) => html`<option value=${s.store_id}>${s.name || s.store_id}</option>`)}
      </select></div>
    <div><label for="from">Placed from</label><input id="from" name="from" type="date" value=${value("from")} /></div>
    <div><label for="to">to</label><input id="to" name="to" type="date" value=${value("to")} /></div>
    <div><button type="submit">Apply</button></div>
    <div><button type="button" class="secondary" onClick=${() => (location.hash = "#/orders")}>Clear</button></div>
  </form>`;
}

// Bulk jobs (POST /jobs): an action over the selected orders or every order the view lists.
const ACTIONS = [
  { action: "add_tag", label: "Add a tag", done: "tagged", effect: "adds the tag" },
  { action: "remove_tag", label: "Remove a tag", done: "untagged", effect: "removes the tag" },
  { action: "allocate", label: "Allocate", done: "allocated", effect: "allocates each to a location" },
  { action: "mark_packed", label: "Mark packed", done: "packed", effect: "marks their open shipments packed" },
  { action: "buy_labels", label: "Buy labels", done: "labelled", effect: "buys a label for each packed shipment" },
  { action: "print_pick_lists", label: "Print pick lists", done: "listed", effect: "makes one document of their pick lists", file: "Open the pick lists" },
  { action: "export", label: "Export as CSV", done: "exported", effect: "writes one CSV of them", file: "Download the CSV" },
  { action: "cancel", label: "Cancel", done: "cancelled", effect: "cancels every unit not shipped, releases its stock and tells the customer" },
];

// The view's filters as a job's filter: only a view bounded by a status, a store or a date.
function jobFilter(params) {
  const f = {};
  for (const name of ["status", "channel", "store"]) if (params.get(name)) f[name] = params.get(name);
  if (params.get("from")) f.from = new Date(`${params.get("from")}T00:00:00`).toISOString();
  if (params.get("to")) f.to = new Date(new Date(`${params.get("to")}T00:00:00`).getTime() + 86_400_000).toISOString();
  const bounded = (f.status || f.store || f.from) && !params.get("q") && !params.get("hold");
  return bounded ? f : null;
}

function BulkJob({ selected, params, onDone }) {
  const [action, setAction] = useState("add_tag");
  const [tag, setTag] = useState("");
  const [refund, setRefund] = useState(false);
  const [scope, setScope] = useState("selected");
  const [job, setJob] = useState(null);
  const [problem, setProblem] = useState(null);
  const chosen = ACTIONS.find((a) => a.action === action);
  const filter = jobFilter(params);
  const everything = scope === "view" && filter;
  const jobAction = job && ACTIONS.find((a) => a.action === job.action);
  // A file action's document is written once the last result is in: it is waited for too.
  const writing = job && job.status === "done" && jobAction.file && !job.document_url && job.done > 0;
  useEffect(() => {
    if (!job || (job.status === "done" && !writing)) return undefined;
    const t = setTimeout(async () => {
      try {
        setJob(await api("GET", `/jobs/${encodeURIComponent(job.job_id)}?outcome=failed`));
      } catch (e) {
        setProblem(e.message);
      }
    }, writing ? 1500 : 700);
    return () => clearTimeout(t);
  }, [job]);
  useEffect(() => {
    if (job && job.status === "done") onDone();
  }, [job && job.status]);
  const start = async (event) => {
    event.preventDefault();
    setProblem(null);
    const body = { action, params: {} };
    if (action.endsWith("_tag")) body.params.tag = tag;
    if (action === "cancel") body.params.refund = refund;
    if (everything) body.filter = filter;
    else body.order_ids = [...selected];
    try {
      setJob(await api("POST", "/jobs", body, { key: actionKey("job") }));
    } catch (error) {
      setProblem(error.message);
    }
  };
  const retry = async () => {
    setProblem(null);
    try {
      setJob(await api("POST", `/jobs/${encodeURIComponent(job.job_id)}/retry`, undefined, { key: actionKey("retry") }));
    } catch (error) {
      setProblem(error.message);
    }
  };
  const count = everything ? "every order this view lists" : `the ${selected.size} selected order(s)`;
  const total = job ? job.total || selected.size : 0;
  const running = job && (job.status !== "done" || writing);
  return html`<form class="bar" onSubmit=${start} aria-label="Bulk action">
    <span>${selected.size} selected</span>
    <label for="bulk-action">Action</label>
    <select id="bulk-action" value=${action} onChange=${(e) => setAction(e.target.value)}>
      ${ACTIONS.map((a) => html`<option value=${a.action}>${a.label}</option>`)}</select>
    ${action.endsWith("_tag") && html`<label for="bulk-tag">Tag</label>
      <input id="bulk-tag" value=${tag} onInput=${(e) => setTag(e.target.value)} required pattern="[A-Za-z0-9 _.:\\-]{1,40}" />`}
    ${action === "cancel" && html`<label><input type="checkbox" checked=${refund} onChange=${(e) => setRefund(e.target.checked)} /> Refund what the cancelled units were paid</label>`}
    ${filter && html`<label for="bulk-scope">On</label>
      <select id="bulk-scope" value=${scope} onChange=${(e) => setScope(e.target.value)}>
        <option value="selected">the selected orders</option><option value="view">every order this view lists</option></select>`}
    <button type="submit" class=${action === "cancel" ? "danger" : undefined} disabled=${(!everything && !selected.size) || running}>Run on ${everything ? "the view" : "selected"}</button>
    <p class="effect">${chosen.label}: ${chosen.effect}, for ${count}; each order it fails on is listed with the reason.</p>
    ${job && html`<span role="status" aria-live="polite">
      <progress max=${total} value=${job.done + job.failed} aria-label="Bulk job progress"></progress>
      ${" "}${job.status === "done" ? `done: ${job.done} ${jobAction.done}, ${job.failed} failed` : `${job.done + job.failed} of ${total}`}
    </span>`}
    ${writing && html`<span class="muted">Writing the file…</span>`}
    ${job && job.status === "done" && job.document_url && html`<a href=${job.document_url} target="_blank" rel="noopener">${jobAction.file}</a>`}
    ${job && job.results.length > 0 && html`<table aria-label="Orders the job could not act on">
      <thead><tr><th scope="col">Order</th><th scope="col">Why</th></tr></thead>
      <tbody>${job.results.map((r) => html`<tr key=${r.order_id}><td><a href=${`#/orders/${encodeURIComponent(r.order_id)}`}>${r.order_id.split(".").slice(1).join(".")}</a></td><td>${r.message || words(r.code || r.outcome)}</td></tr>`)}</tbody></table>`}
    ${job && job.status === "done" && job.failed > 0 && html`<button type="button" class="secondary" onClick=${retry}>Retry the failed</button>`}
    ${problem && html`<span class="error" role="alert">${problem}</span>`}
  </form>`;
}

// Read once the first page is on screen: the orders come first, their counts after.
function StatusCounts() {
  const { data: day } = useLive(() => api("GET", "/dashboard"), [], 30_000); // counts: no hurry
  if (!day) return null;
  const counts = { ...day.waiting, ...day.to_ship };
  return html`<nav class="tabs" aria-label="Orders per status">${Object.entries(counts).map(
    ([s, n]) => html`<a href=${`#/orders?status=${s}`}>${words(s)}: ${counted(n, day.count_cap)}</a>`,
  )}</nav>`;
}

export function OrdersScreen({ params, me }) {
  const [stores, setStores] = useState(null);
  const [cursors, setCursors] = useState([null]); // the cursor of each page seen, for Back
  const [selected, setSelected] = useState(new Set());
  const key = params.toString();
  const cursor = cursors[cursors.length - 1];
  const mayJob = me.routes.includes("*") || me.routes.includes("POST /jobs");

  const { data: page, problem, reload } = useLive(() => api("GET", `/orders?${query(params, cursor)}`), [key, cursor], REFRESH_MS);
  const listed = page !== null;
  useEffect(() => {
    // The store filter's choices, once the first page is on screen: the orders come first.
    if (listed && stores === null) api("GET", "/stores").then((r) => setStores(r.stores || []), () => setStores([]));
  }, [listed]);
  useEffect(() => {
    setCursors([null]);
    setSelected(new Set());
  }, [key]);

  const toggle = (id) => {
    const next = new Set(selected);
    next.has(id) ? next.delete(id) : next.add(id);
    setSelected(next);
  };
  const orders = page ? page.orders : [];
  const all = orders.length > 0 && orders.every((o) => selected.has(o.order_id));
  const toggleAll = () => {
    const next = new Set(selected);
    orders.forEach((o) => (all ? next.delete(o.order_id) : next.add(o.order_id)));
    setSelected(next);
  };
  return html`<h1>Orders</h1>
    ${page && (me.routes.includes("*") || me.routes.includes("GET /dashboard")) && html`<${StatusCounts} />`}
    <${Filters} params=${params} stores=${stores || []} />
    ${mayJob && html`<${BulkJob} selected=${selected} params=${params} onDone=${reload} />`}
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    ${!page && !problem && html`<p role="status">Loading orders…</p>`}
    ${page && html`<table aria-label="Orders">
      <thead><tr>
        <th scope="col"><input type="checkbox" aria-label="Select every order on this page" checked=${all} onChange=${toggleAll} /></th>
        <th scope="col">Order</th><th scope="col">Status</th><th scope="col">Store</th><th scope="col">Channel</th>
        <th scope="col">Placed</th><th scope="col" class="num">Total</th>
      </tr></thead>
      <tbody>
        ${orders.map(
          (o) => html`<tr key=${o.order_id}>
            <td><input type="checkbox" aria-label=${`Select order ${o.number}`} checked=${selected.has(o.order_id)} onChange=${() => toggle(o.order_id)} /></td>
            <td><a href=${`#/orders/${encodeURIComponent(o.order_id)}`}>${o.number}</a></td>
            <td><span class=${`status ${o.status}`}>${words(o.status)}</span></td>
            <td>${o.store_id}</td><td>${o.channel}</td><td>${when(o.placed_at)}</td>
            <td class="num">${money(o.totals && o.totals.total)}</td>
          </tr>`,
        )}
        ${orders.length === 0 && html`<tr><td colspan="7">No orders match.</td></tr>`}
      </tbody>
    </table>
    <nav class="bar" aria-label="Pages">
      <button type="button" class="secondary" disabled=${cursors.length < 2} onClick=${() => setCursors(cursors.slice(0, -1))}>Previous page</button>
      <button type="button" class="secondary" disabled=${!page.cursor} onClick=${() => setCursors([...cursors, page.cursor])}>Next page</button>
      <span class="muted">Page ${cursors.length}</span>
    </nav>`}`;
}
