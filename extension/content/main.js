/* Content-script entry point: picks up the host adapter loaded before it
 * (A360.host), follows the page's URL and DOM, tells the service worker which
 * account context this tab shows (the side panel follows it) and keeps the chip
 * beside the element the adapter names. Patches nothing in the page. */
(function (A360) {
  "use strict";
  const adapter = A360.host;
  if (!adapter || !A360.contextAlive()) return;
  A360.mark("content-start");

  /* A previous copy of this script (extension reloaded) leaves its chip behind. */
  const stale = document.getElementById(A360.CHIP_HOST_ID);
  if (stale) stale.remove();

  const abort = new AbortController();
  const signal = abort.signal;
  let chip = null;
  let ownDomains = [];
  let currentKey = null;
  let current = null;

  function stop() {
    if (signal.aborted) return;
    abort.abort();
    if (chip) chip.destroy();
  }

  function anchor() {
    try {
      return adapter.anchor ? adapter.anchor(document, current) : null;
    } catch (_) {
      return null;
    }
  }

  /* Gmail: the template button in each compose box, for the thread's account. */
  function composeSync() {
    if (A360.compose && adapter.composers) {
      try {
        A360.compose.sync(adapter.composers(document), chip && current ? chip.account() : null);
      } catch (_) {
        /* the compose box changed shape: no button */
      }
    }
  }

  function check() {
    if (signal.aborted) return;
    if (!A360.contextAlive()) {
      stop();
      return;
    }
    const ctx = adapter.extractContext({ document, location, ownDomains });
    const key = ctx ? JSON.stringify(ctx.query) : "";
    if (key === currentKey) {
      if (chip && ctx) chip.place(anchor());
      composeSync();
      return;
    }
    currentKey = key;
    current = ctx;
    A360.send({ type: "pageContext", ctx: ctx ? { query: ctx.query, label: ctx.label, subject: ctx.subject || null, host: adapter.name,
      direction: ctx.direction || null, text: ctx.text || null, threadId: ctx.threadId || null } : null });
    if (!ctx) {
      if (chip) chip.hide();
      composeSync();
      return;
    }
    if (!chip) chip = A360.createChip({ onChange: composeSync });
    chip.place(anchor());
    chip.load(ctx);
  }

  function start() {
    if (signal.aborted) return;
    check();
    A360.observe.watchUrl(check, signal);
    /* Record pages render their title after the route change: the chip follows the DOM too. */
    A360.observe.watchDom(check, signal, 120);
  }

  /* Only adapters that skip the CSM's own domains wait for them; the others start at once. */
  if (adapter.usesOwnDomains) {
    A360.store.get("ownDomains").then((items) => {
      ownDomains = Array.isArray(items.ownDomains) ? items.ownDomains : [];
      start();
    });
  } else start();

  chrome.storage.onChanged.addListener(function onChange(changes, area) {
    if (signal.aborted) {
      chrome.storage.onChanged.removeListener(onChange);
      return;
    }
    if (area !== "local") return;
    if (changes.ownDomains) {
      ownDomains = Array.isArray(changes.ownDomains.newValue) ? changes.ownDomains.newValue : [];
      currentKey = null;
      check();
    } else if (changes.serverUrl || changes.token || changes.aliasesChangedAt || changes.dataChangedAt) {
      currentKey = null;
      check();
    }
  });

  window.addEventListener("pagehide", (ev) => {
    if (!ev.persisted) stop();
  }, { signal });
})(globalThis.A360);
