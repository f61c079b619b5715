/* Stand-in for the extension APIs on the server's widget preview page
 * (GET /preview, server/preview.py). Not part of the extension package's
 * runtime: the page loads the extension's own widget files after this one.
 * chrome.runtime.sendMessage goes straight to lib/api-client.js (same origin),
 * with the token from the URL fragment #token=..., kept in sessionStorage. */
(function () {
  "use strict";
  const TOKEN_KEY = "account360.preview.token";
  const STORE_KEY = "account360.preview.store";
  const base = location.pathname.replace(/\/preview\/?$/, "");

  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search); /* drop the token from the address bar */
  }

  function readStore() {
    try {
      return JSON.parse(localStorage.getItem(STORE_KEY) || "{}");
    } catch (_) {
      return {};
    }
  }

  const listeners = new Set();
  const local = {
    get(keys, cb) {
      const all = readStore();
      const out = {};
      for (const k of [].concat(keys || Object.keys(all))) if (k in all) out[k] = all[k];
      const p = Promise.resolve(out);
      if (cb) p.then(cb);
      return p;
    },
    set(items, cb) {
      const all = readStore();
      const changes = {};
      for (const k of Object.keys(items)) {
        changes[k] = { oldValue: all[k], newValue: items[k] };
        all[k] = items[k];
      }
      localStorage.setItem(STORE_KEY, JSON.stringify(all));
      for (const fn of listeners) fn(changes, "local");
      const p = Promise.resolve();
      if (cb) p.then(cb);
      return p;
    },
  };

  function config() {
    return { serverUrl: location.origin + base, token: sessionStorage.getItem(TOKEN_KEY) || "" };
  }

  globalThis.A360Preview = {
    setToken(token) {
      sessionStorage.setItem(TOKEN_KEY, token);
    },
    hasToken() {
      return Boolean(sessionStorage.getItem(TOKEN_KEY));
    },
  };

  globalThis.chrome = {
    runtime: {
      id: "account360-preview",
      lastError: undefined,
      getURL: (path) => base + "/preview/ext/" + String(path).replace(/^\/+/, ""),
      sendMessage(msg, cb) {
        let answer;
        if (msg && msg.type === "openView") {
          location.assign(base + "/preview?id=" + encodeURIComponent(String(msg.id)) + location.hash);
          answer = Promise.resolve({ ok: true, data: null });
        } else if (msg && msg.type === "openOptions") {
          const input = document.getElementById("token");
          if (input) input.focus();
          answer = Promise.resolve({ ok: true, data: null });
        } else {
          answer = globalThis.A360Api.route(msg, config());
        }
        answer.then((res) => cb && cb(res));
      },
    },
    storage: {
      local,
      onChanged: { addListener: (fn) => listeners.add(fn), removeListener: (fn) => listeners.delete(fn) },
    },
  };
})();
