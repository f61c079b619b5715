/* Page observation without patching anything in the page: URL changes of
 * single-page apps (Gmail hash routes, Lightning and HubSpot pushState routes)
 * and DOM changes. Everything stops when the AbortSignal fires. */
(function (A360) {
  "use strict";
  const POLL_MS = 400;

  /** Calls onChange(href) whenever location.href changes. */
  function watchUrl(onChange, signal) {
    let last = location.href;
    const check = () => {
      if (signal.aborted) return;
      const href = location.href;
      if (href !== last) {
        last = href;
        onChange(href);
      }
    };
    /* Navigation API events (Chromium) fire for pushState/replaceState and hash
     * changes; listening is read-only, the page's own history calls are untouched. */
    const nav = globalThis.navigation;
    if (nav && typeof nav.addEventListener === "function") {
      nav.addEventListener("currententrychange", () => setTimeout(check, 0), { signal });
      nav.addEventListener("navigatesuccess", check, { signal });
    }
    window.addEventListener("hashchange", check, { signal });
    window.addEventListener("popstate", check, { signal });
    /* Safety net for routers the events above miss: a cheap string comparison. */
    const timer = setInterval(check, POLL_MS);
    signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  }

  /** Calls onChange() (debounced) after DOM mutations anywhere in the page. */
  function watchDom(onChange, signal, debounceMs) {
    let timer = null;
    const observer = new MutationObserver(() => {
      if (timer !== null) return;
      timer = setTimeout(() => {
        timer = null;
        if (!signal.aborted) onChange();
      }, debounceMs || 120);
    });
    observer.observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ["email", "style", "hidden"] });
    signal.addEventListener("abort", () => {
      observer.disconnect();
      if (timer !== null) clearTimeout(timer);
    }, { once: true });
  }

  A360.observe = { watchUrl, watchDom };
})(globalThis.A360);
