// One order: lines with what is reserved, shipped, cancelled, refunded and returned; money as the
// channel reported it; addresses; shipments, refunds, returns; the timeline with notes. Actions
// (note, cancel, refund, allocate) are shown only to a role the API lets call them, each in a
// dialog that states its effect and shows the API's words when it refuses.
import { html, useEffect, useRef, useState } from "./vendor/preact-htm.js";
import { api, actionKey } from "./api.js";
import { useLive } from "./live.js";
import { money, when, words } from "./format.js";

const LEFT = new Set(["shipped", "in_transit", "out_for_delivery", "delivered", "exception", "returned_to_sender"]);
const REASONS = ["customer", "inventory", "fraud", "declined", "staff", "other"];

function may(me, route) {
  return me.routes.includes("*") || me.routes.includes(route);
}

export function quantities(order, shipments) {
  const out = {};
  for (const line of order.lines) {
    const shipped = shipments
      .filter((s) => LEFT.has(s.status))
      .reduce((n, s) => n + s.lines.filter((l) => l.line_id === line.line_id).reduce((m, l) => m + l.quantity, 0), 0);
    const refunded = order.refunds
      .filter((r) => r.status !== "failed")
      .reduce((n, r) => n + r.lines.filter((l) => l.line_id === line.line_id).reduce((m, l) => m + l.quantity, 0), 0);
    const reserved = ((order.reservation || {}).reserved || {})[line.stock_sku] || 0;
    const cancelled = (order.cancelled_quantities || {})[line.line_id] || 0;
    const returned = (order.returned || {})[line.line_id] || 0;
    out[line.line_id] = { shipped, refunded, reserved, cancelled, returned };
  }
  return out;
}

function Dialog({ title, open, onClose, children }) {
  const ref = useRef(null);
  useEffect(() => {
    const d = ref.current;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  const id = `dlg-${title.replace(/\W+/g, "-").toLowerCase()}`;
  return html`<dialog ref=${ref} aria-labelledby=${id} onClose=${onClose}>
    <h2 id=${id}>${title}</h2>${open && children}
  </dialog>`;
}

function Action({ label, title, danger, children, disabled }) {
  const [open, setOpen] = useState(false);
  return html`<button type="button" class=${danger ? "danger" : ""} disabled=${disabled} onClick=${() => setOpen(true)}>${label}</button>
    <${Dialog} title=${title} open=${open} onClose=${() => setOpen(false)}>${children(() => setOpen(false))}<//>`;
}

function useSubmit(run, close, onDone) {
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const key = useRef(actionKey("app"));
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const answer = await run(key.current);
      close();
      onDone(answer);
    } catch (error) {
      setProblem(error.message);
    } finally {
      setBusy(false);
    }
  };
  return { problem, busy, submit };
}

function NoteForm({ order, close, onDone }) {
  const [text, setText] = useState("");
  const [visibility, setVisibility] = useState("internal");
  const { problem, busy, submit } = useSubmit(
    (key) => api("POST", `/orders/${encodeURIComponent(order.order_id)}/notes`, { text, visibility }, { key }),
    close,
    () => onDone("Note added."),
  );
  return html`<form onSubmit=${submit}>
    <div><label for="note-text">Note</label><textarea id="note-text" rows="3" required value=${text} onInput=${(e) => setText(e.target.value)}></textarea></div>
    <div><label for="note-vis">Who sees it</label>
      <select id="note-vis" value=${visibility} onChange=${(e) => setVisibility(e.target.value)}>
        <option value="internal">Staff only</option><option value="customer">Staff and the customer (emailed)</option>
      </select></div>
    <p class="effect">${visibility === "customer" ? "The customer is emailed this note." : "Only staff see this note."}</p>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    <div class="bar"><button type="submit" disabled=${busy}>Add note</button><button type="button" class="secondary" onClick=${close}>Close</button></div>
  </form>`;
}

function LineCounts({ order, limits, counts, setCounts, extra }) {
  return html`<table>
    <thead><tr><th scope="col">Line</th><th scope="col" class="num">Up to</th><th scope="col">Units</th>${extra && html`<th scope="col">${extra.label}</th>`}</tr></thead>
    <tbody>${order.lines.map((line) => {
      const max = limits[line.line_id] || 0;
      const id = `units-${line.line_id}`;
      return html`<tr key=${line.line_id}>
        <td><label for=${id}>${line.name}</label></td><td class="num">${max}</td>
        <td><input id=${id} type="number" min="0" max=${max} disabled=${max === 0} value=${counts[line.line_id] || 0}
          onInput=${(e) => setCounts({ ...counts, [line.line_id]: Math.max(0, Math.min(max, Number(e.target.value) || 0)) })} /></td>
        ${extra && html`<td>${extra.cell(line)}</td>`}
      </tr>`;
    })}</tbody>
  </table>`;
}

function CancelForm({ order, q, close, onDone }) {
  const limits = Object.fromEntries(
    order.lines.map((l) => [l.line_id, Math.max(0, l.quantity - q[l.line_id].shipped - q[l.line_id].cancelled)]),
  );
  const [counts, setCounts] = useState({});
  const [reason, setReason] = useState("customer");
  const [refund, setRefund] = useState(true);
  const chosen = order.lines.filter((l) => counts[l.line_id] > 0);
  const { problem, busy, submit } = useSubmit(
    (key) =>
      api(
        "POST",
        `/orders/${encodeURIComponent(order.order_id)}/cancel`,
        { reason, refund, lines: chosen.map((l) => ({ line_id: l.line_id, quantity: counts[l.line_id] })) },
        { key },
      ),
    close,
    () => onDone("Cancelled."),
  );
  return html`<form onSubmit=${submit}>
    <${LineCounts} order=${order} limits=${limits} counts=${counts} setCounts=${setCounts} />
    <div><label for="cancel-reason">Reason</label>
      <select id="cancel-reason" value=${reason} onChange=${(e) => setReason(e.target.value)}>${REASONS.map((r) => html`<option value=${r}>${r}</option>`)}</select></div>
    <div><label><input type="checkbox" checked=${refund} onChange=${(e) => setRefund(e.target.checked)} /> Refund what they were paid</label></div>
    <p class="effect" aria-live="polite">${chosen.length
      ? `Cancels ${chosen.map((l) => `${counts[l.line_id]} × ${l.name}`).join(", ")}; their reserved stock is released${refund ? " and their price refunded" : ""}.`
      : "Choose the units to cancel."}</p>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    <div class="bar"><button type="submit" class="danger" disabled=${busy || !chosen.length}>Cancel these units</button><button type="button" class="secondary" onClick=${close}>Close</button></div>
  </form>`;
}

function RefundForm({ order, q, close, onDone }) {
  const limits = Object.fromEntries(
    order.lines.map((l) => [l.line_id, Math.max(0, l.quantity - q[l.line_id].refunded - q[l.line_id].cancelled)]),
  );
  const [counts, setCounts] = useState({});
  const [restock, setRestock] = useState({});
  const [shipping, setShipping] = useState("");
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const chosen = order.lines.filter((l) => counts[l.line_id] > 0);
  const { problem, busy, submit } = useSubmit(
    (key) =>
      api(
        "POST",
        `/orders/${encodeURIComponent(order.order_id)}/refunds`,
        {
          reason,
          lines: chosen.map((l) => ({ line_id: l.line_id, quantity: counts[l.line_id], restock: !!restock[l.line_id] })),
          ...(shipping ? { shipping } : {}),
          ...(amount ? { amount } : {}),
        },
        { key },
      ),
    close,
    (r) => onDone(`Refund ${r.refund_id || ""} ${words(r.status || "")}: ${money(r.total)}.`),
  );
  const restocked = chosen.filter((l) => restock[l.line_id]);
  const extra = {
    label: "Back on the shelf",
    cell: (line) => html`<input type="checkbox" aria-label=${`Restock ${line.name}`} checked=${!!restock[line.line_id]}
      onChange=${(e) => setRestock({ ...restock, [line.line_id]: e.target.checked })} />`,
  };
  return html`<form onSubmit=${submit}>
    <${LineCounts} order=${order} limits=${limits} counts=${counts} setCounts=${setCounts} extra=${extra} />
    <div><label for="refund-shipping">Shipping to refund (${order.currency})</label><input id="refund-shipping" inputmode="decimal" pattern="^(full|\\d+(\\.\\d{1,3})?)$" value=${shipping} onInput=${(e) => setShipping(e.target.value)} /></div>
    <div><label for="refund-amount">Goodwill amount (${order.currency})</label><input id="refund-amount" inputmode="decimal" pattern="^\\d+(\\.\\d{1,3})?$" value=${amount} onInput=${(e) => setAmount(e.target.value)} /></div>
    <div><label for="refund-reason">Reason</label><input id="refund-reason" required value=${reason} onInput=${(e) => setReason(e.target.value)} /></div>
    <p class="effect" aria-live="polite">${chosen.length || shipping || amount
      ? `Refunds ${[...chosen.map((l) => `${counts[l.line_id]} × ${l.name}`), shipping && `shipping ${shipping}`, amount && `${amount} goodwill`].filter(Boolean).join(", ")}${restocked.length ? `; ${restocked.map((l) => `${counts[l.line_id]} × ${l.name}`).join(", ")} back on hand` : ""}. Never more than was captured.`
      : "Choose what to refund."}</p>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    <div class="bar"><button type="submit" disabled=${busy || !(chosen.length || shipping || amount)}>Refund</button><button type="button" class="secondary" onClick=${close}>Close</button></div>
  </form>`;
}

function EditForm({ order, q, close, onDone }) {
  const [quantities, setQuantities] = useState({});
  const [sku, setSku] = useState("");
  const [units, setUnits] = useState(1);
  const [price, setPrice] = useState("");
  const [refundOwed, setRefundOwed] = useState(true);
  const change = order.lines
    .filter((l) => l.line_id in quantities && quantities[l.line_id] !== l.quantity)
    .map((l) => ({ line_id: l.line_id, quantity: quantities[l.line_id] }));
  const add = sku ? [{ sku, quantity: units, ...(price ? { unit_price: price } : {}) }] : [];
  const { problem, busy, submit } = useSubmit(
    (key) => api("POST", `/orders/${encodeURIComponent(order.order_id)}/edits`, { change, add, refund_owed: refundOwed }, { key }),
    close,
    () => onDone("Order edited."),
  );
  const words_ = [
    ...change.map((c) => { const l = order.lines.find((x) => x.line_id === c.line_id); return `${l.name}: ${l.quantity} → ${c.quantity}`; }),
    ...add.map((a) => `add ${a.quantity} × ${a.sku}${a.unit_price ? ` at ${a.unit_price}` : ""}`),
  ];
  return html`<form onSubmit=${submit}>
    <table><thead><tr><th scope="col">Line</th><th scope="col" class="num">Now</th><th scope="col">New quantity</th></tr></thead>
      <tbody>${order.lines.map((l) => {
        const shipped = q[l.line_id].shipped;
        return html`<tr key=${l.line_id}><td><label for=${`edit-${l.line_id}`}>${l.name}</label></td><td class="num">${l.quantity}</td>
          <td><input id=${`edit-${l.line_id}`} type="number" min=${shipped} value=${quantities[l.line_id] ?? l.quantity}
            onInput=${(e) => setQuantities({ ...quantities, [l.line_id]: Math.max(shipped, Number(e.target.value) || 0) })} /></td></tr>`;
      })}</tbody></table>
    <fieldset><legend>Add a line</legend>
      <div><label for="add-sku">SKU</label><input id="add-sku" value=${sku} onInput=${(e) => setSku(e.target.value.trim())} /></div>
      <div><label for="add-units">Units</label><input id="add-units" type="number" min="1" value=${units} onInput=${(e) => setUnits(Math.max(1, Number(e.target.value) || 1))} /></div>
      <div><label for="add-price">Unit price (${order.currency}; empty: the store's price)</label><input id="add-price" inputmode="decimal" value=${price} onInput=${(e) => setPrice(e.target.value.trim())} /></div>
    </fieldset>
    <div><label><input type="checkbox" checked=${refundOwed} onChange=${(e) => setRefundOwed(e.target.checked)} /> Refund what the order is worth less after the edit</label></div>
    <p class="effect" aria-live="polite">${words_.length ? `${words_.join("; ")}. Stock is reserved or released to match; the channel is told when the store allows.` : "Change a quantity or add a line."}</p>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    <div class="bar"><button type="submit" disabled=${busy || !words_.length}>Save the edit</button><button type="button" class="secondary" onClick=${close}>Close</button></div>
  </form>`;
}

function ReturnForm({ order, close, onDone }) {
  const [returnable, setReturnable] = useState(null);
  const [reasons, setReasons] = useState([]);
  const [counts, setCounts] = useState({});
  const [reason, setReason] = useState("");
  const [problem, setProblem] = useState(null);
  useEffect(() => {
    api("GET", `/orders/${encodeURIComponent(order.order_id)}/returns`).then(setReturnable, (e) => setProblem(e.message));
    api("GET", `/stores/${encodeURIComponent(order.store_id)}`).then(
      (s) => (setReasons(s.settings.returns.reasons), setReason(s.settings.returns.reasons[0].code)),
      () => {},
    );
  }, []);
  const chosen = order.lines.filter((l) => counts[l.line_id] > 0);
  const { problem: refused, busy, submit } = useSubmit(
    (key) =>
      api("POST", `/orders/${encodeURIComponent(order.order_id)}/returns`,
        { lines: chosen.map((l) => ({ line_id: l.line_id, quantity: counts[l.line_id], reason })) }, { key }),
    close,
    (r) => onDone(`Return ${r.return_id} ${words(r.status)}.`),
  );
  if (!returnable) return html`<p role="status">${problem || "Loading what may come back…"}</p>`;
  const limits = Object.fromEntries(returnable.lines.map((l) => [l.line_id, l.returnable]));
  return html`<form onSubmit=${submit}>
    <${LineCounts} order=${order} limits=${limits} counts=${counts} setCounts=${setCounts} />
    <div><label for="return-reason">Reason</label>
      <select id="return-reason" value=${reason} onChange=${(e) => setReason(e.target.value)}>${reasons.map((r) => html`<option value=${r.code}>${r.label}</option>`)}</select></div>
    <p class="effect" aria-live="polite">${chosen.length ? `Starts a return of ${chosen.map((l) => `${counts[l.line_id]} × ${l.name}`).join(", ")}; approve it to send a label.` : "Choose the units coming back."}${returnable.window_closes ? ` The window closes ${when(returnable.window_closes)}.` : ""}</p>
    ${(refused || problem) && html`<p class="error" role="alert">${refused || problem}</p>`}
    <div class="bar"><button type="submit" disabled=${busy || !chosen.length}>Start the return</button><button type="button" class="secondary" onClick=${close}>Close</button></div>
  </form>`;
}

const CLAIM_TYPES = [["damaged_in_transit", "Arrived damaged"], ["missing_item", "Missing from the parcel"], ["wrong_item", "Wrong item sent"]];

// A claim: units that left and arrived missing, wrong or broken, sent again free or refunded,
// with no return. Each line's limit is what left less what earlier claims named.
function ClaimForm({ order, q, close, onDone }) {
  const claimed = {};
  for (const c of order.claims || []) for (const l of c.lines) claimed[l.line_id] = (claimed[l.line_id] || 0) + l.quantity;
  const limits = Object.fromEntries(order.lines.map((l) => [l.line_id, Math.max(0, q[l.line_id].shipped - (claimed[l.line_id] || 0))]));
  const [counts, setCounts] = useState({});
  const [type, setType] = useState(CLAIM_TYPES[0][0]);
  const [resolution, setResolution] = useState("reship");
  const [note, setNote] = useState("");
  const [evidence, setEvidence] = useState("");
  const chosen = order.lines.filter((l) => counts[l.line_id] > 0);
  const { problem, busy, submit } = useSubmit(
    (key) =>
      api("POST", `/orders/${encodeURIComponent(order.order_id)}/claims`, {
        lines: chosen.map((l) => ({ line_id: l.line_id, quantity: counts[l.line_id] })),
        type,
        resolution,
        ...(note ? { note } : {}),
        ...(evidence ? { evidence_urls: [evidence] } : {}),
      }, { key }),
    close,
    (r) => onDone(r.claim.resolution === "reship" ? `Claim ${r.claim.claim_id}: sent again as order ${r.claim.replacement_order_id.split(".").slice(1).join(".")}.` : `Claim ${r.claim.claim_id}: refunded.`),
  );
  const units = chosen.map((l) => `${counts[l.line_id]} × ${l.name}`).join(", ");
  return html`<form onSubmit=${submit}>
    <${LineCounts} order=${order} limits=${limits} counts=${counts} setCounts=${setCounts} />
    <div><label for="claim-type">What happened</label>
      <select id="claim-type" value=${type} onChange=${(e) => setType(e.target.value)}>${CLAIM_TYPES.map(([v, label]) => html`<option value=${v}>${label}</option>`)}</select></div>
    <fieldset><legend>Put it right by</legend>
      <label><input type="radio" name="resolution" checked=${resolution === "reship"} onChange=${() => setResolution("reship")} /> sending them again, free</label>
      <label><input type="radio" name="resolution" checked=${resolution === "refund"} onChange=${() => setResolution("refund")} /> refunding them</label></fieldset>
    <div><label for="claim-note">Note</label> <input id="claim-note" maxlength="1000" size="40" value=${note} onInput=${(e) => setNote(e.target.value)} /></div>
    <div><label for="claim-evidence">Photo or evidence (https link, optional)</label> <input id="claim-evidence" type="url" pattern="https://.*" size="40" value=${evidence} onInput=${(e) => setEvidence(e.target.value)} /></div>
    <p class="effect" aria-live="polite">${chosen.length ? (resolution === "reship" ? `Sends ${units} again in a new order at no charge; its stock is reserved now.` : `Refunds what ${units} were paid; never more than was captured.`) : "Choose the units the customer did not get in good order."}</p>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    <div class="bar"><button type="submit" disabled=${busy || !chosen.length}>Open the claim</button><button type="button" class="secondary" onClick=${close}>Close</button></div>
  </form>`;
}

// The order's tags (kept over the channel's later updates): each removable, one added at a time.
function Tags({ order, editable, onDone, onProblem }) {
  const [tag, setTag] = useState("");
  const change = async (body, message) => {
    onProblem(null);
    try {
      await api("POST", `/orders/${encodeURIComponent(order.order_id)}/tags`, body, { key: actionKey("tags") });
      setTag("");
      onDone(message);
    } catch (e) {
      onProblem(e.message);
    }
  };
  const add = (event) => {
    event.preventDefault();
    change({ add: [tag] }, `Tagged ${tag}.`);
  };
  return html`<div class="bar" aria-label="Tags" role="group">
    <span>Tags:</span>
    ${order.tags.length ? order.tags.map((t) => html`<span class="tag" key=${t}>${t}${editable && html` <button type="button" class="link" aria-label=${`Remove tag ${t}`}
      onClick=${() => change({ remove: [t] }, `Tag ${t} removed.`)}>×</button>`}</span>`) : html`<span class="muted">none</span>`}
    ${editable && html`<form class="bar" onSubmit=${add}><label for="add-tag" class="visually-hidden">New tag</label>
      <input id="add-tag" value=${tag} onInput=${(e) => setTag(e.target.value)} required pattern="[^,]{1,40}" size="14" placeholder="new tag" />
      <button type="submit" class="secondary">Add tag</button></form>`}
  </div>`;
}

function Address({ title, address }) {
  if (!address) return null;
  const lines = [address.name, address.company, address.line1, address.line2,
    [address.postal_code, address.city].filter(Boolean).join(" "), address.province || address.province_code, address.country_code];
  return html`<div class="card"><h2>${title}</h2><address>${lines.filter(Boolean).map((l) => html`<div>${l}</div>`)}</address></div>`;
}

export function OrderScreen({ orderId, me }) {
  const [refused, setProblem] = useState(null); // an action the API refused
  const [notice, setNotice] = useState(null);
  const path = `/orders/${encodeURIComponent(orderId)}`;
  const { data, problem: unread, reload } = useLive(
    () =>
      Promise.all([
        api("GET", path),
        api("GET", `${path}/shipments`).catch(() => ({ shipments: [] })),
        api("GET", `${path}/returns`).catch(() => ({ returns: [] })),
      ]).then(([order, s, r]) => ({ order, shipments: s.shipments || [], returns: r.returns || [] })),
    [orderId],
  );
  const problem = refused || unread;
  if (problem && !data) return html`<h1>Order</h1><p class="error" role="alert">${problem}</p>`;
  if (!data) return html`<p role="status">Loading the order…</p>`;
  const { order, shipments, returns } = data;
  const q = quantities(order, shipments);
  const done = (message) => {
    setNotice(message);
    setProblem(null);
    reload();
  };
  const events = [
    ...order.timeline.map((t) => ({ at: t.at, text: `${words(t.from_status || "new")} → ${words(t.to_status)}: ${t.reason || ""}`, actor: t.actor })),
    ...order.notes.map((n) => ({ at: n.at, text: `Note (${n.visibility === "customer" ? "to the customer" : "staff"}): ${n.text}`, actor: n.author || n.actor })),
  ].sort((a, b) => (a.at < b.at ? 1 : -1));
  return html`<p><a href="#/orders">← Orders</a></p>
    <h1>Order ${order.number} <span class=${`status ${order.status}`}>${words(order.status)}</span></h1>
    <p class="muted">${order.store_id} · ${order.channel} · placed ${when(order.placed_at)}${order.hold ? ` · on hold: ${words(order.hold.reason)}` : ""}</p>
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    <${Tags} order=${order} editable=${may(me, "POST /orders/{order_id}/tags")} onDone=${done} onProblem=${setProblem} />
    <div class="bar" role="group" aria-label="Actions">
      ${may(me, "POST /orders/{order_id}/notes") && html`<${Action} label="Add note" title="Add a note">${(close) => html`<${NoteForm} order=${order} close=${close} onDone=${done} />`}<//>`}
      ${may(me, "POST /orders/{order_id}/cancel") && html`<${Action} label="Cancel units" title="Cancel units" danger>${(close) => html`<${CancelForm} order=${order} q=${q} close=${close} onDone=${done} />`}<//>`}
      ${may(me, "POST /orders/{order_id}/refunds") && html`<${Action} label="Refund" title="Refund">${(close) => html`<${RefundForm} order=${order} q=${q} close=${close} onDone=${done} />`}<//>`}
      ${may(me, "POST /orders/{order_id}/edits") && !["shipped", "delivered", "completed", "cancelled", "refunded", "returned"].includes(order.status) && html`<${Action} label="Edit" title="Edit the order">${(close) => html`<${EditForm} order=${order} q=${q} close=${close} onDone=${done} />`}<//>`}
      ${may(me, "POST /orders/{order_id}/claims") && Object.values(q).some((x) => x.shipped > 0) && html`<${Action} label="Open a claim" title="Open a claim">${(close) => html`<${ClaimForm} order=${order} q=${q} close=${close} onDone=${done} />`}<//>`}
      ${may(me, "POST /orders/{order_id}/returns") && Object.values(q).some((x) => x.shipped > x.returned) && html`<${Action} label="Start a return" title="Start a return">${(close) => html`<${ReturnForm} order=${order} close=${close} onDone=${done} />`}<//>`}
      ${may(me, "POST /orders/{order_id}/allocate") && (order.status === "on_hold" || order.status === "confirmed") && html`<button type="button" onClick=${async () => {
        try { await api("POST", `${path}/allocate`, undefined, { key: actionKey("allocate") }); done("Allocated."); } catch (e) { setNotice(null); setProblem(e.message); }
      }}>Allocate</button>`}
      ${may(me, "POST /orders/{order_id}/retry") && order.status === "on_hold" && html`<button type="button" class="secondary" onClick=${async () => {
        try { await api("POST", `${path}/retry`, undefined, { key: actionKey("retry") }); done("Queued to be decided again."); } catch (e) { setNotice(null); setProblem(e.message); }
      }}>Decide again</button>`}
    </div>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    <h2>Lines</h2>
    <table aria-label="Lines">
      <thead><tr><th scope="col">Item</th><th scope="col">SKU</th><th scope="col" class="num">Ordered</th><th scope="col" class="num">Reserved</th>
        <th scope="col" class="num">Shipped</th><th scope="col" class="num">Cancelled</th><th scope="col" class="num">Refunded</th><th scope="col" class="num">Returned</th>
        <th scope="col" class="num">Price</th><th scope="col" class="num">Total</th></tr></thead>
      <tbody>${order.lines.map((l) => html`<tr key=${l.line_id}>
        <td>${l.name}</td><td>${l.sku}</td><td class="num">${l.quantity}</td><td class="num">${q[l.line_id].reserved}</td>
        <td class="num">${q[l.line_id].shipped}</td><td class="num">${q[l.line_id].cancelled}</td><td class="num">${q[l.line_id].refunded}</td>
        <td class="num">${q[l.line_id].returned}</td><td class="num">${money(l.unit_price)}</td><td class="num">${money(l.line_total)}</td></tr>`)}</tbody>
    </table>
    <div class="grid">
      <div class="card"><h2>Money</h2><dl>
        <dt>Subtotal</dt><dd>${money(order.totals.subtotal)}</dd><dt>Discounts</dt><dd>${money(order.totals.discounts)}</dd>
        <dt>Shipping</dt><dd>${money(order.totals.shipping)}</dd><dt>Tax${order.taxes_included ? " (included)" : ""}</dt><dd>${money(order.totals.tax)}</dd>
        <dt>Total</dt><dd>${money(order.totals.total)}</dd><dt>Payment</dt><dd>${words(order.payment_status)}</dd>
      </dl></div>
      <div class="card"><h2>Customer</h2><p>${[order.customer.first_name, order.customer.last_name].filter(Boolean).join(" ")}</p><p>${order.customer.email}</p><p>${order.customer.phone}</p></div>
      <${Address} title="Ship to" address=${order.address_override || order.shipping_address} />
      <${Address} title="Bill to" address=${order.billing_address} />
    </div>
    <h2>Shipments</h2>
    ${shipments.length ? html`<table aria-label="Shipments"><thead><tr><th scope="col">Shipment</th><th scope="col">From</th><th scope="col">Status</th><th scope="col">Units</th><th scope="col">Tracking</th></tr></thead>
      <tbody>${shipments.map((s) => html`<tr key=${s.shipment_id}><td>${s.shipment_id}</td><td>${s.location}</td><td><span class=${`status ${s.status}`}>${words(s.status)}</span></td>
        <td>${s.lines.map((l) => `${l.quantity} × ${l.sku || l.line_id}`).join(", ")}</td>
        <td>${s.label && s.label.tracking_number ? (s.label.tracking_url ? html`<a href=${s.label.tracking_url} rel="noopener noreferrer">${s.label.tracking_number}</a>` : s.label.tracking_number) : ""}</td></tr>`)}</tbody></table>`
      : html`<p class="muted">None yet.</p>`}
    <h2>Refunds</h2>
    ${order.refunds.length ? html`<table aria-label="Refunds"><thead><tr><th scope="col">Refund</th><th scope="col">Status</th><th scope="col">When</th><th scope="col">Units</th><th scope="col" class="num">Amount</th></tr></thead>
      <tbody>${order.refunds.map((r) => html`<tr key=${r.refund_id}><td>${r.refund_id}</td><td><span class=${`status ${r.status}`}>${words(r.status)}</span></td><td>${when(r.created_at)}</td>
        <td>${r.lines.map((l) => `${l.quantity} × line ${l.line_id}${l.restocked ? ` (${l.restocked} restocked)` : ""}`).join(", ")}</td><td class="num">${money(r.total)}</td></tr>`)}</tbody></table>`
      : html`<p class="muted">None.</p>`}
    <h2>Returns</h2>
    ${returns.length ? html`<table aria-label="Returns"><thead><tr><th scope="col">Return</th><th scope="col">Status</th><th scope="col">Units</th><th scope="col" class="num">Refunded</th></tr></thead>
      <tbody>${returns.map((r) => html`<tr key=${r.return_id}><td>${r.return_id}</td><td><span class=${`status ${r.status}`}>${words(r.status)}</span></td>
        <td>${r.lines.map((l) => `${l.quantity} × line ${l.line_id} (${words(l.reason)})`).join(", ")}</td><td class="num">${money(r.refunded)}</td></tr>`)}</tbody></table>`
      : html`<p class="muted">None.</p>`}
    <h2>Claims</h2>
    ${(order.claims || []).length ? html`<table aria-label="Claims"><thead><tr><th scope="col">Claim</th><th scope="col">What happened</th><th scope="col">Units</th><th scope="col">Put right by</th><th scope="col">When</th></tr></thead>
      <tbody>${order.claims.map((c) => html`<tr key=${c.claim_id}><td>${c.claim_id}</td><td>${words(c.type)}</td>
        <td>${c.lines.map((l) => `${l.quantity} × ${(order.lines.find((x) => x.line_id === l.line_id) || { name: l.line_id }).name}`).join(", ")}</td>
        <td>${c.replacement_order_id ? html`<a href=${`#/orders/${encodeURIComponent(c.replacement_order_id)}`}>order ${c.replacement_order_id.split(".").slice(1).join(".")}</a>` : c.refund_id ? `refund ${c.refund_id}` : words(c.resolution)}</td>
        <td>${when(c.created_at)}</td></tr>`)}</tbody></table>`
      : html`<p class="muted">None.</p>`}
    <h2>Timeline</h2>
    <ol class="timeline">${events.map((e) => html`<li><time datetime=${e.at}>${when(e.at)}</time> — ${e.text} <span class="muted">(${e.actor})</span></li>`)}</ol>`;
}
