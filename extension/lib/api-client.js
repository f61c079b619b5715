/* The account360 HTTP API client and message router. Loaded by the background
 * service worker (importScripts), which is the only extension code that calls
 * the server, and by the server's own widget preview page, so both speak the
 * same message protocol:
 *   {type: "lookup", query: {email} | {domain} | {crm, record_id}}
 *   {type: "account360", accountId}        {type: "search", q, limit}
 *   {type: "addTask", accountId, subject, due_date}
 *   {type: "setTask", taskId, status}      {type: "addNote", accountId, body}
 *   {type: "setAlias", email | domain, accountId}   {type: "refresh", accountId}
 *   {type: "listTemplates"}  {type: "renderTemplate", templateId, accountId, email}
 *   {type: "logTouchpoint", accountId, subject, email, direction, text, threadId}
 * (The background also takes testConnection and pairWithCode from the extension's own pages.)
 * Every answer is {ok: true, data} or {ok: false, error: {code, message, status, details}}. */
(function (root) {
  "use strict";
  const TIMEOUT_MS = 8000;
  const API = "/api/v1";
  /* A POST that creates something carries an Idempotency-Key and is sent again with the
   * same key when the answer is lost (network error, timeout, 502-504) or the first attempt
   * is still running (409 in_progress): the server then answers the first result instead of
   * creating a second task or note. */
  const RETRY_DELAYS_MS = [400, 1200];
  const RETRY_STATUSES = [409, 502, 503, 504];
  const CODE_BY_STATUS = { 400: "validation", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict", 429: "rate_limited" };

  function normalizeServer(url) {
    return String(url || "").trim().replace(/\/+$/, "");
  }

  /** True for http(s)://127.0.0.1 and localhost, which the manifest always allows. */
  function isLocal(url) {
    try {
      const u = new URL(url);
      return u.hostname === "127.0.0.1" || u.hostname === "localhost";
    } catch (_) {
      return false;
    }
  }

  function failure(code, message, extra) {
    return { ok: false, error: Object.assign({ code, message }, extra || {}) };
  }

  function newKey() {
    const bytes = root.crypto.getRandomValues(new Uint8Array(16));
    return "a360-ext-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function worthRetrying(res) {
    return !res.ok && (res.error.code === "unreachable" || RETRY_STATUSES.includes(res.error.status));
  }

  /** A creating POST: one Idempotency-Key for every attempt, retried after a lost answer. */
  async function once(cfg, path, body) {
    const key = newKey();
    let res = await request(cfg, "POST", path, body, { idempotencyKey: key });
    for (const delay of RETRY_DELAYS_MS) {
      if (!worthRetrying(res)) break;
      await new Promise((resolve) => setTimeout(resolve, delay));
      res = await request(cfg, "POST", path, body, { idempotencyKey: key });
    }
    return res;
  }

  async function request(cfg, method, path, body, opts) {
    const server = normalizeServer(cfg && cfg.serverUrl);
    const auth = !(opts && opts.noAuth);
    if (!server || (auth && !cfg.token)) return failure("not_configured", "Server URL and token are not set.");
    const headers = { Accept: "application/json" };
    if (auth) headers.Authorization = "Bearer " + cfg.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (opts && opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
    let res;
    try {
      res = await fetch(server + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
        signal: AbortSignal.timeout((opts && opts.timeoutMs) || TIMEOUT_MS),
      });
    } catch (e) {
      const timedOut = e && e.name === "TimeoutError";
      return failure("unreachable", (timedOut ? "No answer from " : "Could not reach ") + server + ".", { details: { server } });
    }
    let payload = null;
    const text = await res.text().catch(() => "");
    if (text) {
      try {
        payload = JSON.parse(text);
      } catch (_) {
        payload = null;
      }
    }
    if (res.ok) return { ok: true, data: payload, status: res.status };
    const err = (payload && payload.error) || {};
    /* 401 and 404 drive the widget's states, so their codes are fixed here whatever the server calls them. */
    const code = res.status === 401 || res.status === 404 ? CODE_BY_STATUS[res.status] : err.code || CODE_BY_STATUS[res.status] || "http_" + res.status;
    return failure(code, err.message || "HTTP " + res.status, {
      status: res.status,
      details: err.details || null,
    });
  }

  function enc(v) {
    return encodeURIComponent(String(v));
  }

  function lookupPath(q) {
    const params = new URLSearchParams();
    if (q && q.email) params.set("email", q.email);
    else if (q && q.domain) params.set("domain", q.domain);
    else if (q && q.crm && q.record_id) {
      params.set("crm", q.crm);
      params.set("record_id", q.record_id);
    } else return null;
    return API + "/accounts/lookup?" + params.toString();
  }

  /** Routes one widget/popup message to the API. */
  function route(msg, cfg) {
    switch (msg && msg.type) {
      case "lookup": {
        const path = lookupPath(msg.query);
        return path ? request(cfg, "GET", path) : Promise.resolve(failure("bad_request", "Nothing to look up."));
      }
      case "account360":
        return request(cfg, "GET", API + "/accounts/" + enc(msg.accountId) + "/360");
      case "search": {
        const params = new URLSearchParams({ limit: String(msg.limit || 20) });
        if (msg.q) params.set("q", msg.q);
        return request(cfg, "GET", API + "/accounts?" + params.toString());
      }
      case "addTask": {
        const body = { subject: msg.subject };
        if (msg.due_date) body.due_date = msg.due_date;
        if (msg.note) body.note = msg.note;
        return once(cfg, API + "/accounts/" + enc(msg.accountId) + "/tasks", body);
      }
      case "setTask":
        return request(cfg, "PATCH", API + "/tasks/" + enc(msg.taskId), { status: msg.status });
      case "addNote":
        return once(cfg, API + "/accounts/" + enc(msg.accountId) + "/notes", { body: msg.body });
      case "listTemplates":
        return request(cfg, "GET", API + "/templates");
      case "renderTemplate": {
        const params = new URLSearchParams({ account_id: String(msg.accountId) });
        if (msg.email) params.set("email", msg.email);
        return request(cfg, "GET", API + "/templates/" + enc(msg.templateId) + "/render?" + params.toString());
      }
      case "logTouchpoint":
        return once(cfg, API + "/accounts/" + enc(msg.accountId) + "/touchpoints",
          { kind: "email", subject: msg.subject || undefined, email: msg.email || undefined,
            direction: msg.direction || undefined, text: msg.text || undefined,
            thread_id: msg.threadId || undefined });
      case "refresh":
        return request(cfg, "POST", API + "/accounts/" + enc(msg.accountId) + "/refresh", undefined, { timeoutMs: 45000 });
      case "setAlias": {
        const body = { account_id: msg.accountId };
        if (msg.email) body.email = msg.email;
        else body.domain = msg.domain;
        return request(cfg, "POST", API + "/aliases", body);
      }
      default:
        return Promise.resolve(failure("bad_request", "Unknown message type."));
    }
  }

  /** Options "Test connection": {ok, result: "ok" | "bad_token" | "unreachable" | "not_account360" | "error", message}. */
  async function testConnection(serverUrl, token) {
    const server = normalizeServer(serverUrl);
    const cfg = { serverUrl: server, token };
    const health = await request(cfg, "GET", "/healthz", undefined, { noAuth: true, timeoutMs: 5000 });
    if (!health.ok) {
      if (health.error.code === "unreachable") return { ok: false, result: "unreachable", message: "Server unreachable: nothing answered at " + server + "." };
      return { ok: false, result: "not_account360", message: "Something answered at " + server + ", but not an account360 server (/healthz: " + health.error.message + ")." };
    }
    if (!health.data || health.data.status !== "ok") {
      return { ok: false, result: "not_account360", message: "Something answered at " + server + ", but not an account360 server." };
    }
    if (!token) return { ok: false, result: "bad_token", message: "Server reachable, but no token is set." };
    const me = await request(cfg, "GET", API + "/me", undefined, { timeoutMs: 5000 });
    if (me.ok) return { ok: true, result: "ok", message: "Connected to " + server + " as token “" + ((me.data && me.data.token_name) || "?") + "”." };
    if (me.error.status === 401) return { ok: false, result: "bad_token", message: "Server reachable, but it rejected the token." };
    if (me.error.code === "unreachable") return { ok: false, result: "unreachable", message: "Server unreachable: " + me.error.message };
    return { ok: false, result: "error", message: "Server answered with an error: " + me.error.message };
  }

  /** Options "Pair with a code": trades a pairing code from the server's My tokens page for a
   * fresh token of that user. {ok: true, data: {token, server_url, user}} or the error envelope. */
  async function pairWithCode(serverUrl, code) {
    const server = normalizeServer(serverUrl);
    const res = await request({ serverUrl: server, token: "" }, "POST", API + "/pair", { code: String(code || "").trim() }, { noAuth: true });
    if (!res.ok) {
      if (res.error.code === "unreachable") res.error.message = "Server unreachable: nothing answered at " + server + ".";
      return res;
    }
    const data = res.data || {};
    if (typeof data.token !== "string" || !/^a360_[\w-]{20,200}$/.test(data.token) || typeof data.user !== "string") {
      return failure("not_account360", "Something answered at " + server + ", but not an account360 server.");
    }
    return res;
  }

  root.A360Api = { request, route, testConnection, pairWithCode, normalizeServer, isLocal };
})(globalThis);
