// Sign-in: the authorization-code grant with PKCE against Cognito's hosted UI (locally, its
// stand-in on the local stack). Access and ID tokens live in memory only; the refresh token in
// sessionStorage (this tab, gone when it closes; never localStorage), so a reload keeps the user
// signed in. Tokens are refreshed a minute before they expire.

const PENDING = "oms.signin";
const REFRESH = "oms.refresh";
let config = null;
let tokens = null; // {access, id, expiresAt}
let timer = null;

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(n) {
  return base64url(crypto.getRandomValues(new Uint8Array(n)));
}

function redirectUri() {
  return `${location.origin}/`;
}

export function configure(value) {
  config = value;
}

export function claims() {
  if (!tokens) return {};
  try {
    return JSON.parse(atob(tokens.id.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  } catch {
    return {};
  }
}

export async function signIn() {
  const verifier = randomString(48);
  const state = randomString(16);
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, back: location.hash || "#/home" }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: "openid email",
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  location.assign(`${config.authUrl}/oauth2/authorize?${query}`);
}

async function tokenRequest(form) {
  const response = await fetch(`${config.authUrl}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: config.clientId, ...form }),
  });
  if (!response.ok) throw new Error(`sign-in refused (${response.status})`);
  return response.json();
}

function keep(answer) {
  tokens = { access: answer.access_token, id: answer.id_token, expiresAt: Date.now() + answer.expires_in * 1000 };
  if (answer.refresh_token) sessionStorage.setItem(REFRESH, answer.refresh_token);
  clearTimeout(timer);
  timer = setTimeout(() => refresh().catch(() => {}), Math.max(5_000, answer.expires_in * 1000 - 60_000));
}

export async function refresh() {
  const refreshToken = sessionStorage.getItem(REFRESH);
  if (!refreshToken) throw new Error("not signed in");
  keep(await tokenRequest({ grant_type: "refresh_token", refresh_token: refreshToken }));
}

// After the hosted UI sends the browser back with ?code=&state=: trade the code for tokens.
// Otherwise: sign in again silently from a refresh token this tab kept. True when signed in.
export async function resume() {
  const params = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  if (params.get("code") && pending) {
    sessionStorage.removeItem(PENDING);
    if (params.get("state") !== pending.state) throw new Error("sign-in state does not match: start again");
    keep(
      await tokenRequest({
        grant_type: "authorization_code",
        code: params.get("code"),
        redirect_uri: redirectUri(),
        code_verifier: pending.verifier,
      }),
    );
    history.replaceState(null, "", `/${pending.back}`);
    return true;
  }
  if (sessionStorage.getItem(REFRESH)) {
    try {
      await refresh();
      return true;
    } catch {
      sessionStorage.removeItem(REFRESH);
    }
  }
  return false;
}

export function accessToken() {
  return tokens ? tokens.access : null;
}

export function signOut() {
  tokens = null;
  clearTimeout(timer);
  sessionStorage.removeItem(REFRESH);
  const query = new URLSearchParams({ client_id: config.clientId, logout_uri: redirectUri() });
  location.assign(`${config.authUrl}/logout?${query}`);
}
