/* Side panel (panel.html?tab=<tab id>): the 360 of the account the tab's content script
 * reports (chrome.storage.session "ctx:<tab id>", written by the service worker), following
 * it as the user opens other threads or records. Without ?tab= it follows the active tab of
 * its window. Not injected into any host page. */
(function (A360) {
  "use strict";
  const main = document.getElementById("panel");
  const empty = document.getElementById("empty");
  const pinned = Number(new URLSearchParams(location.search).get("tab"));
  let tabId = Number.isInteger(pinned) && pinned > 0 ? pinned : null;
  let shownKey = null;
  const widget = A360.createWidget({ mode: "panel", container: main });

  const key = () => "ctx:" + tabId;

  async function show() {
    const ctx = tabId === null ? null : (await chrome.storage.session.get(key()))[key()];
    const next = ctx ? JSON.stringify(ctx.query) : "";
    if (next === shownKey) return;
    shownKey = next;
    empty.hidden = Boolean(ctx);
    if (!ctx) {
      widget.hide();
      document.title = "account360";
      return;
    }
    await widget.load({ query: ctx.query, label: ctx.label, subject: ctx.subject, host: ctx.host,
      direction: ctx.direction, text: ctx.text, threadId: ctx.threadId });
    if (shownKey !== next) return;
    const name = widget.root.querySelector('[data-testid="a360-name"]');
    document.title = (name ? name.textContent : ctx.label) + " · account360";
    freshen(next);
  }

  const CRM = { hubspot: "HubSpot", salesforce: "Salesforce" };

  /* Fresh on open: the server fetches the account from its CRM when its data is older than
   * its configured age (else answers "fresh" without asking the CRM). The fetch is a job on
   * the server: when no job worker ran it in time the answer is 202 "queued", and the panel
   * asks again a few seconds later (the server then waits for that same job). */
  const AGAIN_MS = 3000;
  const AGAIN_TIMES = 5;

  async function freshen(key, tries = 0) {
    const id = widget.accountId();
    if (id === null) return;
    const slow = setTimeout(() => {
      if (shownKey === key && !tries) widget.setNote({ kind: "busy", text: "Refreshing from the CRM…" });
    }, 150);
    const res = await A360.send({ type: "refresh", accountId: id });
    clearTimeout(slow);
    if (shownKey !== key || widget.accountId() !== id) return;
    if (!res.ok) {
      widget.setNote({ kind: "err", text: "CRM refresh failed: " + ((res.error && res.error.message) || "error") });
      return;
    }
    const d = res.data || {};
    if (d.status === "not_linked" || d.status === "not_connected") return widget.setNote(null);
    const crm = CRM[d.system] || d.system;
    const queued = d.status === "queued";
    /* after a queued answer, "fresh" means the queued job has landed the CRM's data */
    const fetched = d.status === "refreshed" || d.status === "shared" || (tries > 0 && d.status === "fresh");
    if (fetched) {
      await widget.reload();
      A360.store.set({ dataChangedAt: Date.now() });
    }
    if (shownKey !== key) return;
    widget.setNote({ kind: queued ? "busy" : "ok", text: crm + " data of this account: " + A360.fmt.ago(d.crm_data_at) +
      (fetched ? " (fetched on open)" : queued ? " (refresh queued)" : "") });
    if (queued && tries < AGAIN_TIMES) {
      setTimeout(() => { if (shownKey === key) freshen(key, tries + 1); }, AGAIN_MS);
    }
  }

  chrome.storage.session.onChanged.addListener((changes) => {
    if (tabId !== null && changes[key()]) show();
  });
  /* A changed server or token (options, pairing) loads the account again. */
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area === "local" && (changes.serverUrl || changes.token)) {
      shownKey = null;
      show();
    }
  });

  if (tabId === null) {
    chrome.tabs.onActivated.addListener((info) => {
      tabId = info.tabId;
      show();
    });
    chrome.tabs.query({ active: true, currentWindow: true }).then((tabs) => {
      if (tabs[0] && tabId === null) tabId = tabs[0].id;
      show();
    });
  } else show();
})(globalThis.A360);
