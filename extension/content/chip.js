/* The in-page chip: a small inline pill placed by main.js beside the element the host
 * adapter names (Gmail sender, Salesforce/HubSpot record title) with the account's
 * health score, band and ARR. A click opens the full 360 in Chrome's side panel. The
 * chip never overlays the page: it sits in the page's own flow (a fixed corner pill
 * only when the adapter finds no anchor). Server text reaches it as text only. */
(function (A360) {
  "use strict";
  const { h, clear } = A360.dom;
  const f = A360.fmt;
  const BANDS = { good: "Good", watch: "Watch", at_risk: "At risk", unknown: "Unknown" };
  const HOST_ID = "account360-chip-host";

  function createChip(opts) {
    const host = h("span", { id: HOST_ID, "data-a360": "chip" });
    const INLINE = "all:initial;vertical-align:middle;margin:0 6px;";
    const CORNER = "all:initial;position:fixed;right:12px;bottom:12px;z-index:2147483646;";
    host.style.cssText = CORNER + "display:none;";
    const root = host.attachShadow({ mode: "open" });
    const link = h("link", { rel: "stylesheet", href: chrome.runtime.getURL("content/chip.css") });
    const btn = h("button", { type: "button", class: "chip", "data-testid": "a360-chip", "data-state": "idle" });
    root.append(link, btn);
    let styled = false;
    let state = { kind: "idle" };
    let seq = 0;
    let anchored = false;
    let lastCss = "";
    const stylesReady = new Promise((resolve) => {
      const done = () => { styled = true; resolve(); };
      link.addEventListener("load", done, { once: true });
      link.addEventListener("error", done, { once: true });
    });

    btn.addEventListener("click", () => {
      const id = state.kind === "account" && state.data.account ? state.data.account.id : null;
      A360.send({ type: "openPanel", accountId: id });
    });

    /** Puts the chip right after `anchor` (in the page's flow), or in a corner without one. */
    function place(anchor) {
      if (anchor && anchor.isConnected) {
        if (anchor.nextSibling !== host) anchor.after(host);
        anchored = true;
      } else {
        if (!host.isConnected || anchored) document.documentElement.appendChild(host);
        anchored = false;
      }
      style();
    }

    function style() {
      const shown = state.kind !== "idle" && styled;
      const css = (anchored ? INLINE : CORNER) + "display:" + (shown ? "inline-block" : "none") + ";";
      /* Only real changes: the page's MutationObserver (main.js) sees style writes. */
      if (css !== lastCss) {
        lastCss = css;
        host.style.cssText = css;
      }
    }

    function parts(items) {
      clear(btn);
      for (const [cls, text, testid] of items) btn.appendChild(h("span", { class: cls, text, "data-testid": testid || null }));
    }

    function render() {
      btn.dataset.state = state.kind;
      btn.className = "chip";
      if (state.kind === "idle") {
        style();
        return;
      }
      if (state.kind === "account") {
        const d = state.data;
        const hl = d.health || {};
        const r = d.revenue || {};
        const bandKey = BANDS[hl.band] ? hl.band : "unknown";
        const name = (d.account && d.account.name) || "";
        btn.classList.add("band-" + bandKey);
        parts([["dot", ""], ["score", f.score(hl.score), "a360-chip-score"], ["band", BANDS[bandKey], "a360-chip-band"],
          ["arr", "ARR " + f.money(r.arr, r.currency, true), "a360-chip-arr"]]);
        btn.title = name + ": health " + f.score(hl.score) + " (" + BANDS[bandKey] + "), ARR " + f.money(r.arr, r.currency, true) + ". Open the 360 in the side panel.";
      } else if (state.kind === "candidates") {
        parts([["lbl", "A360"], ["arr", state.count + " accounts"]]);
        btn.title = state.count + " accounts match " + (state.label || "this page") + ": pick one in the side panel.";
      } else if (state.kind === "nomatch") {
        btn.classList.add("quiet");
        parts([["lbl", "A360"], ["arr", "no account"]]);
        btn.title = "No account for " + (state.label || "this page") + ". Open the side panel to link one.";
      } else if (state.kind === "error") {
        btn.classList.add("quiet");
        parts([["lbl", "A360"], ["arr", "!"]]);
        btn.title = (state.error && state.error.message) || "account360 could not load this account.";
      } else {
        btn.classList.add("quiet");
        parts([["lbl", "A360"], ["arr", "…"]]);
        btn.title = "Loading account360 for " + (state.label || "this page");
      }
      style();
      if (state.kind === "account" && !host.dataset.visibleAt) {
        requestAnimationFrame(() => {
          A360.mark("widget-visible");
          host.dataset.visibleAt = String(Math.round(performance.now()));
        });
      }
    }

    /** Looks the page's context up and shows the answer. */
    async function load(ctx) {
      const my = ++seq;
      if (state.kind === "idle") {
        state = { kind: "loading", label: ctx.label };
        stylesReady.then(() => { if (my === seq) render(); });
      }
      A360.mark("lookup-start");
      const res = await A360.send({ type: "lookup", query: ctx.query });
      A360.mark("lookup-done");
      await stylesReady;
      if (my !== seq) return;
      if (res.ok && res.data && Array.isArray(res.data.candidates)) state = { kind: "candidates", count: res.data.candidates.length, label: ctx.label };
      else if (res.ok) state = { kind: "account", data: res.data, label: ctx.label, query: ctx.query };
      else if (res.error && res.error.code === "not_found") state = { kind: "nomatch", label: ctx.label };
      else state = { kind: "error", error: res.error, label: ctx.label };
      render();
      if (opts && opts.onChange) opts.onChange();
    }

    function hide() {
      ++seq;
      state = { kind: "idle" };
      render();
    }

    function destroy() {
      hide();
      host.remove();
    }

    /** The shown account and the address it was looked up by: {id, email} | null. */
    function account() {
      if (state.kind !== "account" || !state.data.account) return null;
      return { id: state.data.account.id, email: (state.query && state.query.email) || null };
    }

    return { load, hide, destroy, place, account, host, get state() { return state.kind; } };
  }

  A360.createChip = createChip;
  A360.CHIP_HOST_ID = HOST_ID;
})(globalThis.A360);
