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
    await widget.load({ query: ctx.query, label: ctx.label });
    if (shownKey !== next) return;
    const name = widget.root.querySelector('[data-testid="a360-name"]');
    document.title = (name ? name.textContent : ctx.label) + " · account360";
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
