// Returns: the queue by status, and a return counted in line by line with a disposition each
// (restock at a location, damaged, missing); the refund follows as the store's policy says.
import { html, useEffect, useState } from "./vendor/preact-htm.js";
import { api, actionKey } from "./api.js";
import { useLive } from "./live.js";
import { money, when, words } from "./format.js";

const STATUSES = ["requested", "approved", "in_transit", "received", "refunded", "closed", "declined", "cancelled"];

export function ReturnsScreen({ params }) {
  const status = params.get("status") || "in_transit";
  const { data: page, problem } = useLive(() => api("GET", `/returns?status=${status}&limit=100`), [status]);
  return html`<h1>Returns</h1>
    <nav class="tabs" aria-label="Return status">${STATUSES.map(
      (s) => html`<a href=${`#/returns?status=${s}`} aria-current=${s === status ? "page" : undefined}>${words(s)}</a>`,
    )}</nav>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    ${page && html`<table aria-label="Returns">
      <thead><tr><th scope="col">Return</th><th scope="col">Order</th><th scope="col">Store</th><th scope="col">Status</th><th scope="col">Asked</th></tr></thead>
      <tbody>${page.returns.map((r) => html`<tr key=${r.return_id}>
        <td><a href=${`#/returns/${encodeURIComponent(r.return_id)}`}>${r.return_id}</a></td>
        <td><a href=${`#/orders/${encodeURIComponent(r.order_id)}`}>${r.number}</a></td><td>${r.store_id}</td>
        <td><span class=${`status ${r.status}`}>${words(r.status)}</span></td><td>${when(r.created_at)}</td></tr>`)}
        ${!page.returns.length && html`<tr><td colspan="5">No returns ${words(status)}.</td></tr>`}</tbody>
    </table>`}`;
}

export function ReturnScreen({ returnId, me }) {
  const [ret, setRet] = useState(null);
  const [locations, setLocations] = useState([]);
  const [counts, setCounts] = useState({});
  const [problem, setProblem] = useState(null);
  const [notice, setNotice] = useState(null);
  const path = `/returns/${encodeURIComponent(returnId)}`;
  const load = () => api("GET", path).then(setRet, (e) => setProblem(e.message));
  useEffect(() => {
    load();
    api("GET", "/locations").then((r) => setLocations(r.locations || []), () => {});
  }, [returnId]);
  if (!ret) return problem ? html`<p class="error" role="alert">${problem}</p>` : html`<p role="status">Loading the return…</p>`;
  const mayReceive = (me.routes.includes("*") || me.routes.includes("POST /returns/{return_id}/receive")) && ["approved", "in_transit", "received"].includes(ret.status);
  const open = ret.lines.filter((l) => l.received < l.quantity);
  const set = (line, field, value) => setCounts({ ...counts, [line]: { quantity: 0, disposition: "restock", location_id: ret.lines.find((l) => l.line_id === line).location_id || "", ...counts[line], [field]: value } });
  const receive = async (event) => {
    event.preventDefault();
    setProblem(null);
    const lines = Object.entries(counts)
      .filter(([, c]) => c.quantity > 0)
      .map(([line_id, c]) => ({ line_id, quantity: c.quantity, disposition: c.disposition, ...(c.disposition === "restock" && c.location_id ? { location_id: c.location_id } : {}) }));
    try {
      const after = await api("POST", `${path}/receive`, { lines }, { key: actionKey("receive") });
      setNotice(`Counted in. Return ${words(after.status)}${after.refunded ? `; refunded ${money(after.refunded)}` : ""}.`);
      setCounts({});
      setRet(after);
    } catch (e) {
      setProblem(e.message);
    }
  };
  const may = (route) => me.routes.includes("*") || me.routes.includes(route);
  const act = (what, body, message) => async () => {
    setProblem(null);
    try {
      const after = await api("POST", `${path}/${what}`, body, { key: actionKey(what) });
      setRet(after);
      setNotice(message(after));
    } catch (e) {
      setProblem(e.message);
    }
  };
  const decline = (event) => {
    event.preventDefault();
    act("decline", { reason: new FormData(event.target).get("why") }, () => "Declined; the customer is told why.")();
  };
  const paid = (event) => {
    event.preventDefault();
    act("payment", { reference: new FormData(event.target).get("reference") }, () => "Payment recorded; the replacement is released.")();
  };
  const owes = ret.exchange_owed && Number(ret.exchange_owed.amount) > 0 && !ret.exchange_paid_at;
  return html`<p><a href="#/returns">← Returns</a></p>
    <h1>Return ${ret.return_id} <span class=${`status ${ret.status}`}>${words(ret.status)}</span></h1>
    <div class="bar" role="group" aria-label="Return actions">
      ${ret.status === "requested" && may("POST /returns/{return_id}/approve") && html`
        <button type="button" onClick=${act("approve", { label: "carrier" }, (r) => `Approved; label ${r.label ? r.label.tracking_number : ""} sent to the customer.`)}>Approve with a label</button>
        <button type="button" class="secondary" onClick=${act("approve", { label: "none" }, () => "Approved without a label.")}>Approve, no label</button>`}
      ${ret.status === "requested" && may("POST /returns/{return_id}/decline") && html`
        <form class="bar" onSubmit=${decline}><label for="why">Decline because</label><input id="why" name="why" required /><button type="submit" class="danger">Decline</button></form>`}
      ${["approved", "in_transit", "received"].includes(ret.status) && !ret.refund_id && may("POST /returns/{return_id}/refund") && html`
        <button type="button" class="secondary" onClick=${act("refund", undefined, (r) => `Refunded ${money(r.refunded)}.`)}>Refund now</button>`}
      ${["requested", "approved", "in_transit"].includes(ret.status) && may("POST /returns/{return_id}/cancel") && html`
        <button type="button" class="secondary" onClick=${act("cancel", { reason: "cancelled by staff" }, () => "Cancelled; its units may be returned again.")}>Cancel the return</button>`}
    </div>
    <p class="muted">Order <a href=${`#/orders/${encodeURIComponent(ret.order_id)}`}>${ret.number}</a> · ${ret.store_id}${ret.label ? ` · ${ret.label.carrier} ${ret.label.tracking_number}` : ""}</p>
    ${ret.replacement_order_id && html`<p>Exchange: replacement order <a href=${`#/orders/${encodeURIComponent(ret.replacement_order_id)}`}>${ret.replacement_order_id.split(".").slice(1).join(".")}</a>${
      ret.exchange_owed && Number(ret.exchange_owed.amount) > 0 ? `; the customer owes ${money(ret.exchange_owed)}${ret.exchange_paid_at ? `, paid ${when(ret.exchange_paid_at)}` : ", not paid yet: the replacement waits"}` : ""}${
      ret.exchange_short.length ? `; short, refunded instead: ${ret.exchange_short.join(", ")}` : ""}.</p>`}
    ${owes && may("POST /returns/{return_id}/payment") && html`<form class="bar" onSubmit=${paid} aria-label="Exchange payment">
      <label for="pay-ref">Payment reference (link, transaction id)</label><input id="pay-ref" name="reference" required maxlength="300" size="30" />
      <button type="submit">Record the payment of ${money(ret.exchange_owed)}</button></form>`}
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    <form onSubmit=${receive}>
      <table aria-label="Returned lines">
        <thead><tr><th scope="col">Item</th><th scope="col">Reason</th><th scope="col" class="num">Asked</th><th scope="col" class="num">Received</th>
          ${mayReceive && html`<th scope="col">Units now</th><th scope="col">Disposition</th><th scope="col">Location</th>`}</tr></thead>
        <tbody>${ret.lines.map((l) => {
          const c = counts[l.line_id] || { quantity: 0, disposition: "restock", location_id: l.location_id || "" };
          const left = l.quantity - l.received;
          return html`<tr key=${l.line_id}><td>${l.name}</td><td>${words(l.reason)}</td><td class="num">${l.quantity}</td>
            <td class="num">${l.received} (${l.restocked} restocked, ${l.damaged} damaged, ${l.missing} missing)</td>
            ${mayReceive && html`<td><input type="number" min="0" max=${left} disabled=${left === 0} aria-label=${`Units of ${l.name} counted now`} value=${c.quantity}
                onInput=${(e) => set(l.line_id, "quantity", Math.max(0, Math.min(left, Number(e.target.value) || 0)))} /></td>
              <td><select aria-label=${`Disposition of ${l.name}`} value=${c.disposition} onChange=${(e) => set(l.line_id, "disposition", e.target.value)}>
                <option value="restock">Back on the shelf</option><option value="damaged">Damaged (written off)</option><option value="missing">Missing</option></select></td>
              <td><select aria-label=${`Location for ${l.name}`} value=${c.location_id} disabled=${c.disposition !== "restock"} onChange=${(e) => set(l.line_id, "location_id", e.target.value)}>
                <option value="">where it left</option>${locations.map((x) => html`<option value=${x.location_id}>${x.name || x.location_id}</option>`)}</select></td>`}
          </tr>`;
        })}</tbody>
      </table>
      ${mayReceive && open.length > 0 && html`<p class="effect">Restocked units go on hand at the location once; damaged units are written off; the refund follows the store's policy.</p>
        <button type="submit" disabled=${!Object.values(counts).some((c) => c.quantity > 0)}>Count in</button>`}
    </form>
    ${ret.refunded && html`<p>Refunded ${money(ret.refunded)}${ret.fee ? `, restocking fee ${money(ret.fee)}` : ""}${ret.shipping_deduction ? `, return shipping ${money(ret.shipping_deduction)}` : ""}.</p>`}
    <h2>Timeline</h2>
    <ol class="timeline">${[...ret.timeline].reverse().map((t) => html`<li><time datetime=${t.at}>${when(t.at)}</time> — ${words(t.to_status)}${t.reason ? `: ${t.reason}` : ""} <span class="muted">(${t.actor})</span></li>`)}</ol>`;
}
