/* Content-script entry point: picks up the host adapter loaded before it
 * (A360.host), follows the page's URL (and DOM, for hosts that need it), and
 * shows the widget for the page's context. Patches nothing in the page. */
(function (A360) {
  "use strict";
  const adapter = A360.host;
  if (!adapter || !A360.contextAlive()) return;
  A360.mark("content-start");

  /* A previous copy of this script (extension reloaded) leaves its host behind. */
  const stale = document.getElementById("account360-widget-host");
  if (stale) stale.remove();

  const abort = new AbortController();
  const signal = abort.signal;
  let widget = null;
  let ownDomains = [];
  let currentKey = null;

  function stop() {
    if (signal.aborted) return;
    abort.abort();
    if (widget) widget.destroy();
  }

  function check() {
    if (signal.aborted) return;
    if (!A360.contextAlive()) {
      stop();
      return;
    }
    const ctx = adapter.extractContext({ document, location, ownDomains });
    const key = ctx ? JSON.stringify(ctx.query) : "";
    if (key === currentKey) return;
    currentKey = key;
    if (!ctx) {
      if (widget) widget.hide();
      return;
    }
    if (!widget) widget = A360.createWidget({ mode: "overlay" });
    widget.load(ctx);
  }

  function start() {
    if (signal.aborted) return;
    check();
    A360.observe.watchUrl(check, signal);
    if (adapter.watchDom) A360.observe.watchDom(check, signal, 120);
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
    } else if (changes.serverUrl || changes.token) {
      currentKey = null;
      check();
    }
  });

  window.addEventListener("pagehide", (ev) => {
    if (!ev.persisted) stop();
  }, { signal });
})(globalThis.A360);
