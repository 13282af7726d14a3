// Fulfilment: the pick queue of a location, pick lists and packing slips printed one by one or
// as a batch, then pack, rates and label, ship. Scanner friendly: the scan field takes an order
// number, a shipment id or a SKU and Enter jumps to the shipment (a SKU: the oldest that needs it).
import { html, useEffect, useRef, useState } from "./vendor/preact-htm.js";
import { api, actionKey } from "./api.js";
import { useLive } from "./live.js";
import { money, when, words } from "./format.js";

const QUEUES = [["pending", "To pick"], ["packed", "Packed"]];

function printNow() {
  // After the print view has rendered.
  requestAnimationFrame(() => setTimeout(() => window.print(), 0));
}

function PickList({ doc }) {
  return html`<section class="doc" aria-label=${`Pick list ${doc.shipment_id}`}>
    <h2>Pick list · order ${doc.order_number}</h2>
    <p>${doc.location_name || doc.location} · shipment ${doc.shipment_id} · ${doc.total_items} item(s)</p>
    <table><thead><tr><th scope="col">Picked</th><th scope="col">SKU</th><th scope="col">Item</th><th scope="col" class="num">Qty</th></tr></thead>
      <tbody>${doc.lines.map((l, i) => html`<tr key=${i}><td><input type="checkbox" aria-label=${`Picked ${l.sku || l.name}`} /></td><td>${l.sku}</td><td>${l.name}</td><td class="num">${l.quantity}</td></tr>`)}</tbody>
    </table>
  </section>`;
}

function PackingSlip({ doc }) {
  return html`<section class="doc" aria-label=${`Packing slip ${doc.shipment_id}`}>
    <h2>Packing slip · order ${doc.order_number}</h2>
    <div class="grid">
      <div><h3>From</h3>${doc.ship_from.map((l) => html`<div>${l}</div>`)}</div>
      <div><h3>To</h3>${doc.ship_to.map((l) => html`<div>${l}</div>`)}</div>
    </div>
    <table><thead><tr><th scope="col">SKU</th><th scope="col">Item</th><th scope="col" class="num">Qty</th></tr></thead>
      <tbody>${doc.lines.map((l, i) => html`<tr key=${i}><td>${l.sku}</td><td>${l.name}</td><td class="num">${l.quantity}</td></tr>`)}</tbody>
    </table>
    ${doc.tracking_number && html`<p>${doc.carrier} ${doc.service || ""} · ${doc.tracking_number}</p>`}
  </section>`;
}

export function FulfilmentScreen({ params }) {
  const [locations, setLocations] = useState([]);
  const [refused, setProblem] = useState(null); // locations unread, a scan that matched nothing
  const [selected, setSelected] = useState(new Set());
  const [printing, setPrinting] = useState(null); // { kind: "pick" | "slip", docs } to print
  const location = params.get("location") || "";
  const status = params.get("status") || "pending";
  const scan = useRef(null);

  useEffect(() => {
    api("GET", "/locations").then((r) => setLocations(r.locations || []), (e) => setProblem(e.message));
  }, []);
  useEffect(() => {
    if (!location && locations.length) location_(locations[0].location_id, status);
  }, [locations]);
  const { data: page, problem: unread } = useLive(
    () => location && api("GET", `/shipments?location=${encodeURIComponent(location)}&status=${status}&limit=100`),
    [location, status],
    4000,
  );
  const problem = refused || unread;
  useEffect(() => {
    if (printing) printNow();
  }, [printing]);

  function location_(id, s) {
    window.location.hash = `#/fulfilment?location=${encodeURIComponent(id)}&status=${s}`;
  }
  const shipments = page ? page.shipments : [];
  const jump = async (event) => {
    event.preventDefault();
    const code = scan.current.value.trim();
    if (!code) return;
    const direct = shipments.find((s) => s.shipment_id === code || s.order_id.endsWith(`.${code}`));
    if (direct) {
      window.location.hash = `#/fulfilment/${encodeURIComponent(direct.shipment_id)}`;
      return;
    }
    for (const s of shipments) {
      const doc = await api("GET", `/shipments/${encodeURIComponent(s.shipment_id)}/pick-list`);
      if (doc.lines.some((l) => l.sku === code)) {
        window.location.hash = `#/fulfilment/${encodeURIComponent(s.shipment_id)}`;
        return;
      }
    }
    setProblem(`Nothing in this queue matches ${code}.`);
  };
  // The selected shipments' pick lists or packing slips, one per printed page.
  const printSelected = async (kind) => {
    setProblem(null);
    const doc = kind === "pick" ? "pick-list" : "packing-slip";
    try {
      const docs = await Promise.all([...selected].map((id) => api("GET", `/shipments/${encodeURIComponent(id)}/${doc}`)));
      setPrinting({ kind, docs });
    } catch (e) {
      setProblem(e.message);
    }
  };
  const toggle = (id) => {
    const next = new Set(selected);
    next.has(id) ? next.delete(id) : next.add(id);
    setSelected(next);
  };
  return html`<h1 class="no-print">Fulfilment</h1>
    <div class="no-print">
      <form class="scan" onSubmit=${jump} aria-label="Scan">
        <div><label for="scan">Scan or type an order number, shipment or SKU</label><input id="scan" ref=${scan} autocomplete="off" size="30" /></div>
        <button type="submit">Go</button>
      </form>
      <div class="bar">
        <label for="location">Location</label>
        <select id="location" value=${location} onChange=${(e) => location_(e.target.value, status)}>
          ${locations.map((l) => html`<option value=${l.location_id}>${l.name || l.location_id}</option>`)}
        </select>
        <nav class="tabs" aria-label="Queue">${QUEUES.map(
          ([s, label]) => html`<a href=${`#/fulfilment?location=${encodeURIComponent(location)}&status=${s}`} aria-current=${s === status ? "page" : undefined}>${label}</a>`,
        )}</nav>
        <button type="button" class="secondary" disabled=${!selected.size} onClick=${() => printSelected("pick")}>Print ${selected.size || ""} pick list(s)</button>
        <button type="button" class="secondary" disabled=${!selected.size} onClick=${() => printSelected("slip")}>Print ${selected.size || ""} packing slip(s)</button>
      </div>
      ${problem && html`<p class="error" role="alert">${problem}</p>`}
      <table aria-label="Shipments to work">
        <thead><tr><th scope="col"><span class="visually-hidden">Select</span></th><th scope="col">Shipment</th><th scope="col">Order</th><th scope="col">Store</th><th scope="col">Status</th></tr></thead>
        <tbody>${shipments.map((s) => html`<tr key=${s.shipment_id}>
          <td><input type="checkbox" aria-label=${`Select ${s.shipment_id}`} checked=${selected.has(s.shipment_id)} onChange=${() => toggle(s.shipment_id)} /></td>
          <td><a href=${`#/fulfilment/${encodeURIComponent(s.shipment_id)}`}>${s.shipment_id}</a></td>
          <td><a href=${`#/orders/${encodeURIComponent(s.order_id)}`}>${s.order_id.split(".").slice(1).join(".")}</a></td>
          <td>${s.store_id}</td><td><span class=${`status ${s.status}`}>${words(s.status)}</span></td></tr>`)}
          ${page && !shipments.length && html`<tr><td colspan="5">Nothing ${status === "pending" ? "to pick" : "packed"} here.</td></tr>`}
        </tbody>
      </table>
    </div>
    ${printing && html`<div aria-label="Print view">${printing.docs.map((d) => (printing.kind === "pick" ? html`<${PickList} doc=${d} />` : html`<${PackingSlip} doc=${d} />`))}
      <p class="no-print"><button type="button" class="secondary" onClick=${() => setPrinting(null)}>Close print view</button></p></div>`}`;
}

// A parcel that left without a label bought here (a courier, the channel's own label): its carrier
// and tracking number, so the customer can follow it and the order can ship.
function TrackingForm({ busy, close, send }) {
  const [carrier, setCarrier] = useState("");
  const [number, setNumber] = useState("");
  const [url, setUrl] = useState("");
  const submit = (event) => {
    event.preventDefault();
    send({ carrier, tracking_number: number, ...(url ? { tracking_url: url } : {}) });
  };
  return html`<form class="no-print card" onSubmit=${submit} aria-label="Shipped another way">
    <div><label for="t-carrier">Carrier</label> <input id="t-carrier" required maxlength="60" value=${carrier} onInput=${(e) => setCarrier(e.target.value)} /></div>
    <div><label for="t-number">Tracking number</label> <input id="t-number" required pattern="[A-Za-z0-9 \\-]{4,64}" value=${number} onInput=${(e) => setNumber(e.target.value)} /></div>
    <div><label for="t-url">Tracking page (https, optional)</label> <input id="t-url" type="url" pattern="https://.*" value=${url} onInput=${(e) => setUrl(e.target.value)} /></div>
    <p class="effect">Records ${carrier || "the carrier"} ${number} as this shipment's parcel; then ship it.</p>
    <button type="submit" disabled=${busy}>Record tracking</button> <button type="button" class="secondary" onClick=${close}>Back</button>
  </form>`;
}

function CancelShipmentForm({ busy, close, send }) {
  const [reason, setReason] = useState("");
  const submit = (event) => {
    event.preventDefault();
    send(reason ? { reason } : {});
  };
  return html`<form class="no-print card" onSubmit=${submit} aria-label="Cancel shipment">
    <div><label for="c-reason">Why (kept on the order's timeline)</label> <input id="c-reason" maxlength="300" size="40" value=${reason} onInput=${(e) => setReason(e.target.value)} /></div>
    <p class="effect">Cancels this shipment: its label, if any, is voided at the carrier; its units stay reserved for the order.</p>
    <button type="submit" class="danger" disabled=${busy}>Cancel this shipment</button> <button type="button" class="secondary" onClick=${close}>Back</button>
  </form>`;
}

export function ShipmentScreen({ shipmentId }) {
  const [shipment, setShipment] = useState(null);
  const [pick, setPick] = useState(null);
  const [slip, setSlip] = useState(null);
  const [rates, setRates] = useState(null);
  const [service, setService] = useState("");
  const [showing, setShowing] = useState("pick");
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const [form, setForm] = useState(null); // "tracking" | "cancel": the form open
  const [notice, setNotice] = useState(null);
  const path = `/shipments/${encodeURIComponent(shipmentId)}`;
  const load = async () => {
    try {
      const [s, p, k] = await Promise.all([api("GET", path), api("GET", `${path}/pick-list`), api("GET", `${path}/packing-slip`)]);
      setShipment(s);
      setPick(p);
      setSlip(k);
    } catch (e) {
      setProblem(e.message);
    }
  };
  useEffect(() => {
    load();
  }, [shipmentId]);
  const act = (what, body, done) => async () => {
    setBusy(true);
    setProblem(null);
    setNotice(null);
    try {
      await api("POST", `${path}/${what}`, body, { key: actionKey(what) });
      await load();
      setForm(null);
      if (done) setNotice(done);
    } catch (e) {
      setProblem(e.message);
    } finally {
      setBusy(false);
    }
  };
  const print = (which) => {
    setShowing(which);
    printNow();
  };
  if (!shipment) return problem ? html`<p class="error" role="alert">${problem}</p>` : html`<p role="status">Loading the shipment…</p>`;
  const label = shipment.label;
  return html`<p class="no-print"><a href=${`#/fulfilment?location=${encodeURIComponent(shipment.location)}`}>← Queue</a></p>
    <h1 class="no-print">Shipment ${shipment.shipment_id} <span class=${`status ${shipment.status}`}>${words(shipment.status)}</span></h1>
    <div class="bar no-print" role="group" aria-label="Shipment actions">
      <button type="button" class="secondary" onClick=${() => print("pick")}>Print pick list</button>
      <button type="button" class="secondary" onClick=${() => print("slip")}>Print packing slip</button>
      ${shipment.status === "pending" && html`<button type="button" disabled=${busy} onClick=${act("pack")}>Pack</button>`}
      ${["pending", "packed"].includes(shipment.status) && !label && html`<button type="button" class="secondary" disabled=${busy}
        onClick=${async () => { try { setRates(await api("GET", `${path}/rates`)); } catch (e) { setProblem(e.message); } }}>Rates</button>`}
      ${["pending", "packed"].includes(shipment.status) && label && html`<button type="button" disabled=${busy} onClick=${act("ship")}>Ship</button>`}
      ${["pending", "packed"].includes(shipment.status) && !label && html`<button type="button" class="secondary" onClick=${() => setForm("tracking")}>Shipped another way</button>`}
      ${["shipped", "in_transit", "out_for_delivery"].includes(shipment.status) && html`<button type="button" class="secondary" disabled=${busy}
        onClick=${act("delivered", undefined, "Delivery confirmed.")}>Confirm delivery</button>`}
      ${["pending", "packed"].includes(shipment.status) && html`<button type="button" class="danger" onClick=${() => setForm("cancel")}>Cancel shipment</button>`}
    </div>
    ${notice && html`<p class="notice no-print" role="status">${notice}</p>`}
    ${problem && html`<p class="error no-print" role="alert">${problem}</p>`}
    ${form === "tracking" && html`<${TrackingForm} busy=${busy} close=${() => setForm(null)}
      send=${(body) => act("tracking", body, `Tracking ${body.tracking_number} recorded.`)()} />`}
    ${form === "cancel" && html`<${CancelShipmentForm} busy=${busy} close=${() => setForm(null)}
      send=${(body) => act("cancel", body, "Shipment cancelled.")()} />`}
    ${rates && !label && html`<form class="no-print card" onSubmit=${(e) => { e.preventDefault(); act("label", service ? { service } : undefined)(); }}>
      <fieldset><legend>Rates</legend>
        ${rates.rates.map((r) => html`<div><label><input type="radio" name="service" value=${r.service} checked=${service === r.service} onChange=${() => setService(r.service)} />
          ${r.carrier} ${r.service}: ${money(r.amount)}${r.delivery_days ? `, ${r.delivery_days} day(s)` : ""}</label></div>`)}
      </fieldset>
      <p class="muted">Without a choice, the store's rate policy picks.</p>
      <button type="submit" disabled=${busy}>Buy label</button>
    </form>`}
    ${label && html`<p class="no-print">Label: ${label.carrier} ${label.service || ""} · ${label.tracking_url ? html`<a href=${label.tracking_url} rel="noopener noreferrer">${label.tracking_number}</a>` : label.tracking_number}
      ${label.label_url && html` · <a href=${label.label_url} rel="noopener noreferrer">label file</a>`}</p>`}
    ${showing === "pick" && pick && html`<${PickList} doc=${pick} />`}
    ${showing === "slip" && slip && html`<${PackingSlip} doc=${slip} />`}`;
}
