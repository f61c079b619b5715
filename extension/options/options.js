/* Options page: server URL, "Pair with a code" (a code from the server's My tokens
 * page, traded by the service worker for a token), token, the CSM's own email domains,
 * and "Test connection". A non-local server origin is requested at runtime
 * (optional_host_permissions) from the click, as Chrome requires a user gesture. */
(function (A360) {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const form = $("form");
  const server = $("serverUrl");
  const token = $("token");
  const pairCode = $("pairCode");
  const domains = $("ownDomains");
  const status = $("status");
  const DOMAIN = /^(?=.{3,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

  function say(text, kind) {
    status.textContent = text;
    status.className = "status" + (kind ? " " + kind : "");
    status.dataset.result = kind || "";
  }

  function parseServer(text) {
    let u;
    try {
      u = new URL(String(text || "").trim());
    } catch (_) {
      return { error: "Enter the server URL, e.g. http://127.0.0.1:8360." };
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") return { error: "The server URL must start with http:// or https://." };
    const local = u.hostname === "127.0.0.1" || u.hostname === "localhost";
    if (!local && u.protocol !== "https:") return { error: "A server that is not on this computer must use https://." };
    if (u.username || u.password || u.search || u.hash) return { error: "Leave credentials, query and fragment out of the server URL." };
    return { url: (u.origin + u.pathname).replace(/\/+$/, ""), origin: u.origin, local };
  }

  function parseDomains(text) {
    const out = [];
    const bad = [];
    for (const part of String(text || "").split(/[\s,;]+/)) {
      const d = part.trim().toLowerCase().replace(/^@/, "");
      if (!d) continue;
      if (DOMAIN.test(d)) {
        if (!out.includes(d)) out.push(d);
      } else bad.push(part);
    }
    return { domains: out, bad };
  }

  /** Must be called synchronously from a click: Chrome needs the user gesture. */
  function requestAccess(info) {
    if (info.local) return Promise.resolve(true);
    return chrome.permissions.request({ origins: [info.origin + "/*"] }).catch(() => false);
  }

  async function dropOtherOrigins(keepOrigin) {
    const fixed = new Set(chrome.runtime.getManifest().host_permissions || []);
    const granted = await chrome.permissions.getAll();
    const stale = (granted.origins || []).filter((o) => !fixed.has(o) && o !== keepOrigin + "/*");
    if (stale.length) await chrome.permissions.remove({ origins: stale }).catch(() => false);
  }

  async function load() {
    const items = await chrome.storage.local.get(["serverUrl", "token", "ownDomains"]);
    server.value = items.serverUrl || "";
    token.value = items.token || "";
    domains.value = Array.isArray(items.ownDomains) ? items.ownDomains.join(", ") : "";
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const info = parseServer(server.value);
    if (info.error) return say(info.error, "bad");
    const dom = parseDomains(domains.value);
    if (dom.bad.length) return say("Not a domain: " + dom.bad.join(", "), "bad");
    if (!token.value.trim()) return say("Paste your API token.", "bad");
    const access = requestAccess(info);
    (async () => {
      if (!(await access)) return say("Access to " + info.origin + " was not allowed, so the extension cannot reach that server.", "bad");
      await chrome.storage.local.set({ serverUrl: info.url, token: token.value.trim(), ownDomains: dom.domains });
      await dropOtherOrigins(info.local ? null : info.origin);
      server.value = info.url;
      domains.value = dom.domains.join(", ");
      say("Saved.", "ok");
    })();
  });

  $("test").addEventListener("click", () => {
    const info = parseServer(server.value);
    if (info.error) return say(info.error, "bad");
    const access = requestAccess(info);
    const btn = $("test");
    btn.disabled = true;
    say("Testing…");
    (async () => {
      try {
        if (!(await access)) return say("Access to " + info.origin + " was not allowed, so the extension cannot reach that server.", "bad");
        const res = await A360.send({ type: "testConnection", serverUrl: info.url, token: token.value.trim() });
        const prefix = { ok: "OK", bad_token: "Bad token", unreachable: "Server unreachable" }[res.result];
        const text = res.message || (res.error && res.error.message) || "Unknown answer.";
        say(prefix && !text.startsWith(prefix) ? prefix + ": " + text : text, res.ok ? "ok" : "bad");
        status.dataset.result = res.result || "error";
      } finally {
        btn.disabled = false;
      }
    })();
  });

  $("pairButton").addEventListener("click", () => {
    const info = parseServer(server.value);
    if (info.error) return say(info.error, "bad");
    const code = pairCode.value.replace(/[\s-]+/g, "").toUpperCase();
    if (!/^[A-Z0-9]{8}$/.test(code)) return say("Enter the 8-character pairing code shown on My tokens on the server.", "bad");
    const access = requestAccess(info);
    const btn = $("pairButton");
    btn.disabled = true;
    say("Pairing…");
    (async () => {
      try {
        if (!(await access)) return say("Access to " + info.origin + " was not allowed, so the extension cannot reach that server.", "bad");
        const res = await A360.send({ type: "pairWithCode", serverUrl: info.url, code });
        if (!res.ok) {
          say("Pairing failed: " + ((res.error && res.error.message) || "unknown error."), "bad");
          status.dataset.result = (res.error && res.error.code) || "error";
          return;
        }
        await dropOtherOrigins(info.local ? null : info.origin);
        pairCode.value = "";
        await load();
        say("Paired as " + res.data.user + ".", "ok");
        status.dataset.result = "paired";
      } finally {
        btn.disabled = false;
      }
    })();
  });

  $("reveal").addEventListener("click", (ev) => {
    const show = token.type === "password";
    token.type = show ? "text" : "password";
    ev.currentTarget.textContent = show ? "Hide" : "Show";
    ev.currentTarget.setAttribute("aria-pressed", String(show));
  });

  load();
})(globalThis.A360);
