/* Background service worker: the only extension code that talks to the
 * account360 server. Content scripts, the popup, the options page and the full
 * view send it messages (protocol in lib/api-client.js); the token stays in
 * chrome.storage.local and never goes back to a page. */
importScripts("lib/api-client.js");

const A360Api = globalThis.A360Api;
let configCache = null;

async function config() {
  if (!configCache) {
    const items = await chrome.storage.local.get(["serverUrl", "token"]);
    configCache = { serverUrl: A360Api.normalizeServer(items.serverUrl), token: items.token || "" };
  }
  return configCache;
}

chrome.storage.onChanged.addListener((changes, area) => {
  if (area === "local" && (changes.serverUrl || changes.token)) configCache = null;
});

/** A non-local server needs its origin granted at runtime (options page). */
async function originGranted(serverUrl) {
  if (!serverUrl || A360Api.isLocal(serverUrl)) return true;
  try {
    return await chrome.permissions.contains({ origins: [new URL(serverUrl).origin + "/*"] });
  } catch (_) {
    return false;
  }
}

/** Messages only the extension's own pages (options, popup, full view) may send. */
const PAGE_ONLY = new Set(["testConnection", "pairWithCode", "confirmPairing"]);

/* The side panel follows the account context each tab's content script reports. It is kept in
 * chrome.storage.session (not readable by content scripts), keyed by tab, so the panel page can
 * listen to it and it survives the service worker going idle. */
const panelKey = (tabId) => "ctx:" + tabId;

async function setPageContext(tabId, ctx) {
  if (typeof tabId !== "number") return { ok: false, error: { code: "bad_request", message: "Not from a tab." } };
  if (ctx && ctx.query) {
    await chrome.storage.session.set({ [panelKey(tabId)]: {
      query: ctx.query, label: String(ctx.label || ""), host: ctx.host || null,
      subject: typeof ctx.subject === "string" ? ctx.subject.slice(0, 500) : null,
      /* the thread's latest message, for "Log as touchpoint" (session storage: gone with the tab) */
      direction: ctx.direction === "in" || ctx.direction === "out" ? ctx.direction : null,
      text: typeof ctx.text === "string" ? ctx.text.slice(0, 20000) : null,
      threadId: typeof ctx.threadId === "string" ? ctx.threadId.slice(0, 200) : null,
      at: Date.now() } });
  } else await chrome.storage.session.remove(panelKey(tabId));
  if (chrome.sidePanel) {
    chrome.sidePanel.setOptions({ tabId, path: "panel/panel.html?tab=" + tabId, enabled: true }).catch(() => {});
  }
  return { ok: true, data: null };
}

chrome.tabs.onRemoved.addListener((tabId) => {
  chrome.storage.session.remove(panelKey(tabId));
});

async function handle(msg, sender) {
  if (PAGE_ONLY.has(msg.type) && !(sender.url || "").startsWith(chrome.runtime.getURL(""))) {
    return { ok: false, error: { code: "forbidden", message: "Not allowed from a web page." } };
  }
  switch (msg.type) {
    case "openPanel": {
      /* From the chip's click: open() must run before anything is awaited (user gesture). */
      const tabId = sender.tab && sender.tab.id;
      if (chrome.sidePanel && typeof tabId === "number") {
        try {
          await chrome.sidePanel.open({ tabId });
          return { ok: true, data: { panel: "side_panel" } };
        } catch (_) {
          /* no side panel here (other Chromium browsers): the full view in a tab instead */
        }
      }
      if (msg.accountId === null || msg.accountId === undefined) return { ok: false, error: { code: "no_panel", message: "The side panel is not available." } };
      await chrome.tabs.create({ url: chrome.runtime.getURL("view/view.html?id=" + encodeURIComponent(String(msg.accountId))) });
      return { ok: true, data: { panel: "tab" } };
    }
    case "pageContext":
      return setPageContext(sender.tab && sender.tab.id, msg.ctx);
    case "confirmPairing": {
      /* From confirm/confirm.html only (PAGE_ONLY): the user's answer for one pending pairing. */
      const accepted = await settlePair(String(msg.id || ""), msg.accept === true);
      return { ok: true, data: { accepted } };
    }
    case "openOptions":
      await chrome.runtime.openOptionsPage();
      return { ok: true, data: null };
    case "openView":
      await chrome.tabs.create({ url: chrome.runtime.getURL("view/view.html?id=" + encodeURIComponent(String(msg.id))) });
      return { ok: true, data: null };
    case "testConnection": {
      const server = A360Api.normalizeServer(msg.serverUrl);
      if (!(await originGranted(server))) {
        return { ok: false, result: "permission_denied", message: "Access to " + server + " was not granted to the extension." };
      }
      return A360Api.testConnection(server, msg.token);
    }
    case "pairWithCode": {
      /* Trade the code from the server's My tokens page for a token; store it with the
       * server URL the user entered (the origin the extension may reach). */
      const server = A360Api.normalizeServer(msg.serverUrl);
      if (!(await originGranted(server))) {
        return { ok: false, error: { code: "permission_denied", message: "Access to " + server + " was not granted to the extension." } };
      }
      const res = await A360Api.pairWithCode(server, msg.code);
      if (!res.ok) return res;
      await chrome.storage.local.set({ serverUrl: server, token: res.data.token });
      return { ok: true, data: { serverUrl: server, user: res.data.user } };
    }
    default: {
      const cfg = await config();
      if (!(await originGranted(cfg.serverUrl))) {
        return { ok: false, error: { code: "permission_denied", message: "Access to " + cfg.serverUrl + " is not granted: save the server again in the options." } };
      }
      return A360Api.route(msg, cfg);
    }
  }
}

chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (sender.id !== chrome.runtime.id || !msg || typeof msg.type !== "string") return false;
  handle(msg, sender).then(sendResponse, (e) => {
    sendResponse({ ok: false, error: { code: "extension_error", message: String((e && e.message) || e) } });
  });
  return true;
});

chrome.runtime.onInstalled.addListener(async (details) => {
  if (details.reason !== "install") return;
  const { serverUrl, token } = await chrome.storage.local.get(["serverUrl", "token"]);
  if (!serverUrl || !token) chrome.runtime.openOptionsPage();
});

/* One-click pairing from the account360 admin page ("Connect the browser extension"), for
 * the origins in manifest externally_connectable. The page may only hand over its own
 * origin as the server, with a token the server has just issued for this extension, and
 * nothing is stored until the user confirms that origin in the extension's own window
 * (confirm/confirm.html): any page on a local port could otherwise pair the extension. */
const PAIR_TTL_MS = 120000;
const pendingPairs = new Map(); /* id -> {server, token, reply, windowId, timer} */

function settlePair(id, accepted) {
  const p = pendingPairs.get(id);
  if (!p) return Promise.resolve(false);
  pendingPairs.delete(id);
  clearTimeout(p.timer);
  chrome.storage.session.remove("pair:" + id);
  if (!accepted) {
    p.reply({ ok: false, error: { code: "not_confirmed", message: "Pairing with " + p.server + " was not confirmed in the extension." } });
    return Promise.resolve(false);
  }
  return chrome.storage.local.set({ serverUrl: p.server, token: p.token }).then(() => {
    p.reply({ ok: true });
    return true;
  });
}

async function askToConfirm(server, token, reply) {
  const id = crypto.randomUUID();
  const timer = setTimeout(() => settlePair(id, false), PAIR_TTL_MS);
  pendingPairs.set(id, { server, token, reply, timer, windowId: null });
  /* The confirmation page reads only the origin (never the token) from session storage. */
  await chrome.storage.session.set({ ["pair:" + id]: { server, at: Date.now() } });
  const url = chrome.runtime.getURL("confirm/confirm.html?id=" + encodeURIComponent(id));
  const win = await chrome.windows.create({ url, type: "popup", width: 460, height: 340, focused: true });
  const p = pendingPairs.get(id);
  if (p) p.windowId = win.id;
}

chrome.windows.onRemoved.addListener((windowId) => {
  for (const [id, p] of pendingPairs) if (p.windowId === windowId) settlePair(id, false);
});

chrome.runtime.onMessageExternal.addListener((msg, sender, sendResponse) => {
  if (!msg || typeof msg.type !== "string") return false;
  if (msg.type === "a360Ping") {
    sendResponse({ ok: true, version: chrome.runtime.getManifest().version });
    return false;
  }
  if (msg.type !== "a360Pair") return false;
  const server = A360Api.normalizeServer(msg.serverUrl);
  let sameOrigin = false;
  try {
    sameOrigin = new URL(server).origin === (sender.origin || new URL(sender.url).origin);
  } catch (_) {
    sameOrigin = false;
  }
  if (!sameOrigin || typeof msg.token !== "string" || !/^a360_[\w-]{20,200}$/.test(msg.token)) {
    sendResponse({ ok: false, error: { code: "forbidden", message: "Pairing is only accepted from the server's own page." } });
    return false;
  }
  askToConfirm(server, msg.token, sendResponse).catch((e) => {
    sendResponse({ ok: false, error: { code: "extension_error", message: String((e && e.message) || e) } });
  });
  return true;
});
