/* Email assist in Gmail's compose and reply boxes: a small "A360 template" button in the
 * compose toolbar (the Gmail adapter finds the editors) lists the team's templates; choosing
 * one inserts it, filled by the server with the open thread's account figures, at the caret
 * as plain text (execCommand insertText: no HTML is ever parsed). */
(function (A360) {
  "use strict";
  const { h, clear } = A360.dom;
  const placed = new WeakMap(); /* compose body -> its button host */
  let account = null;

  function insert(body, text) {
    body.focus();
    const sel = document.getSelection();
    if (!sel || !sel.rangeCount || !body.contains(sel.anchorNode)) {
      const range = document.createRange();
      range.selectNodeContents(body);
      range.collapse(false);
      sel.removeAllRanges();
      sel.addRange(range);
    }
    document.execCommand("insertText", false, text);
  }

  function button(body) {
    const host = h("span", { "data-a360": "compose" });
    host.style.cssText = "all:initial;display:inline-block;vertical-align:middle;margin-left:8px;position:relative;";
    const root = host.attachShadow({ mode: "open" });
    const btn = h("button", { type: "button", class: "chip quiet", "data-testid": "a360-compose-button", title: "Insert an account360 template" },
      h("span", { class: "lbl", text: "A360" }), h("span", { class: "arr", text: "Template" }));
    const menu = h("div", { class: "menu", "data-testid": "a360-template-menu", hidden: true });
    root.append(h("link", { rel: "stylesheet", href: chrome.runtime.getURL("content/chip.css") }), btn, menu);

    async function open() {
      menu.hidden = false;
      clear(menu);
      if (!account) {
        menu.appendChild(h("p", { class: "msg", text: "Open a thread whose account account360 knows first." }));
        return;
      }
      menu.appendChild(h("p", { class: "msg", text: "Loading templates…" }));
      const res = await A360.send({ type: "listTemplates" });
      clear(menu);
      const items = (res.ok && res.data && res.data.items) || [];
      if (!res.ok) menu.appendChild(h("p", { class: "msg", text: "Templates unavailable: " + ((res.error && res.error.message) || "error") }));
      else if (!items.length) menu.appendChild(h("p", { class: "msg", text: "No templates yet: add them in the admin app." }));
      for (const t of items) {
        menu.appendChild(h("button", { type: "button", class: "item", "data-testid": "a360-template-item", onclick: () => pick(t) }, t.name || "template"));
      }
    }

    async function pick(t) {
      const target = account;
      clear(menu);
      menu.appendChild(h("p", { class: "msg", text: "Filling “" + (t.name || "") + "”…" }));
      const res = await A360.send({ type: "renderTemplate", templateId: t.id, accountId: target.id, email: target.email });
      if (!res.ok) {
        clear(menu);
        menu.appendChild(h("p", { class: "msg", text: "Not inserted: " + ((res.error && res.error.message) || "error") }));
        return;
      }
      menu.hidden = true;
      insert(body, res.data.body || "");
    }

    btn.addEventListener("click", () => (menu.hidden ? open() : (menu.hidden = true)));
    return host;
  }

  /** Adds the button to every compose box; `current` is the thread's {id, email} or null. */
  function sync(composers, current) {
    account = current;
    for (const c of composers) {
      const host = placed.get(c.body);
      if (host && host.isConnected) continue;
      const next = button(c.body);
      placed.set(c.body, next);
      c.toolbar.appendChild(next);
    }
  }

  A360.compose = { sync };
})(globalThis.A360);
