// The admin app: sign in, learn the role (GET /me), route by the URL's hash.
import { html, render, useEffect, useState } from "./vendor/preact-htm.js";
import { configure as configureApi, api } from "./api.js";
import { configure as configureAuth, claims, resume, signIn, signOut } from "./auth.js";
import { OrdersScreen } from "./orders.js";
import { OrderScreen } from "./order.js";
import { Shortcuts } from "./shortcuts.js";

function currentRoute() {
  const [path, query = ""] = (location.hash.replace(/^#/, "") || "/orders").split("?");
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

const SCREENS = [{ path: "/orders", label: "Orders" }];

function Layout({ me, route, children }) {
  const email = claims().email || me.subject;
  return html`
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById("main").focus(); }}>Skip to content</a>
    <header class="top">
      <span class="brand">OMS</span>
      <nav aria-label="Screens">
        <ul>
          ${SCREENS.map(
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
  const match = route.path.match(/^\/orders\/(.+)$/);
  const screen = match
    ? html`<${OrderScreen} orderId=${decodeURIComponent(match[1])} me=${me} />`
    : html`<${OrdersScreen} params=${route.params} me=${me} />`;
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
