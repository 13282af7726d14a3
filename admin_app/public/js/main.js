// The admin app: sign in, learn the role (GET /me), route by the URL's hash.
import { html, render, useEffect, useState } from "./vendor/preact-htm.js";
import { configure as configureApi, api } from "./api.js";
import { configure as configureAuth, claims, resume, signIn, signOut } from "./auth.js";
import { HomeScreen } from "./home.js";
import { OrdersScreen } from "./orders.js";
import { OrderScreen } from "./order.js";
import { FulfilmentScreen, ShipmentScreen } from "./fulfilment.js";
import { StockScreen } from "./stock.js";
import { ReturnScreen, ReturnsScreen } from "./returns.js";
import { StoresScreen } from "./stores.js";
import { Shortcuts } from "./shortcuts.js";

function currentRoute() {
  const [path, query = ""] = (location.hash.replace(/^#/, "") || "/home").split("?");
  return { path, params: new URLSearchParams(query) };
}

function useRoute() {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const changed = () => setRoute(currentRoute());
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return route;
}

// Each screen and the route it needs: a role that may not call it does not see it.
const SCREENS = [
  { path: "/home", label: "Home", needs: "GET /dashboard" },
  { path: "/orders", label: "Orders", needs: "GET /orders" },
  { path: "/fulfilment", label: "Fulfilment", needs: "GET /shipments" },
  { path: "/stock", label: "Stock", needs: "GET /stock" },
  { path: "/returns", label: "Returns", needs: "GET /returns" },
  { path: "/stores", label: "Stores", needs: "GET /stores" },
];

function allowed(me, route) {
  return me.routes.includes("*") || me.routes.includes(route);
}

function Layout({ me, route, children }) {
  const email = claims().email || me.subject;
  return html`
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById("main").focus(); }}>Skip to content</a>
    <header class="top">
      <span class="brand">OMS</span>
      <nav aria-label="Screens">
        <ul>
          ${SCREENS.filter((s) => allowed(me, s.needs)).map(
            (s) => html`<li><a href=${`#${s.path}`} aria-current=${route.path.startsWith(s.path) ? "page" : undefined}>${s.label}</a></li>`,
          )}
        </ul>
      </nav>
      <div class="who">
        <span>${email} <span class="muted-inverse">(${me.role})</span></span>
        <button type="button" onClick=${signOut}>Sign out</button>
      </div>
    </header>
    <main id="main" tabindex="-1">${children}</main>
    <${Shortcuts} />
  `;
}

function App({ me }) {
  const route = useRoute();
  const order = route.path.match(/^\/orders\/(.+)$/);
  const shipment = route.path.match(/^\/fulfilment\/(.+)$/);
  let screen;
  if (order) screen = html`<${OrderScreen} orderId=${decodeURIComponent(order[1])} me=${me} />`;
  else if (shipment) screen = html`<${ShipmentScreen} shipmentId=${decodeURIComponent(shipment[1])} />`;
  else if (route.path.match(/^\/returns\/(.+)$/))
    screen = html`<${ReturnScreen} returnId=${decodeURIComponent(route.path.slice("/returns/".length))} me=${me} />`;
  else if (route.path.startsWith("/returns")) screen = html`<${ReturnsScreen} params=${route.params} />`;
  else if (route.path.startsWith("/stores")) screen = html`<${StoresScreen} params=${route.params} />`;
  else if (route.path.startsWith("/stock")) screen = html`<${StockScreen} params=${route.params} />`;
  else if (route.path === "/" || route.path.startsWith("/home")) screen = html`<${HomeScreen} />`;
  else if (route.path.startsWith("/fulfilment")) screen = html`<${FulfilmentScreen} params=${route.params} />`;
  else screen = html`<${OrdersScreen} params=${route.params} me=${me} />`;
  return html`<${Layout} me=${me} route=${route}>${screen}<//>`;
}

function SignedOut({ problem }) {
  return html`<main id="main" class="boot">
    <h1>OMS</h1>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    <p>Sign in to work with orders.</p>
    <button type="button" onClick=${signIn}>Sign in</button>
  </main>`;
}

async function boot() {
  const root = document.getElementById("app");
  const config = await (await fetch("/config.json")).json();
  configureAuth(config);
  configureApi(config);
  let signedIn = false;
  try {
    signedIn = await resume();
  } catch (error) {
    render(html`<${SignedOut} problem=${error.message} />`, root);
    return;
  }
  if (!signedIn) {
    render(html`<${SignedOut} />`, root);
    return;
  }
  try {
    const me = await api("GET", "/me");
    root.textContent = "";
    render(html`<${App} me=${me} />`, root);
  } catch (error) {
    render(html`<${SignedOut} problem=${error.message} />`, root);
  }
}

boot();
