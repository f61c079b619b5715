/* How the account was found, and the one-click fix: "Wrong account?" (or "Link to an
 * account" when nothing matched) searches accounts; choosing one saves an alias (that
 * email, or its whole domain, -> that account) for the whole team. Used by the 360 view in
 * the side panel and the full view; talks to the server only through A360.send. */
(function (A360) {
  "use strict";
  const { h, clear } = A360.dom;
  const f = A360.fmt;
  const CRM = { salesforce: "Salesforce", hubspot: "HubSpot" };

  /** match (from /accounts/lookup) -> "contact email ann@acme.com" etc. */
  function describe(match) {
    if (!match) return null;
    const kind = match.kind || match.by;
    const v = match.value || "";
    if (kind === "alias") {
      const a = match.alias || {};
      return "alias (" + (a.email || a.domain || v) + ") set by " + (a.set_by || "someone") + " on " + f.date(a.set_at);
    }
    if (kind === "contact_email") return "contact email " + v;
    if (kind === "domain") return "domain " + v;
    if (kind === "subdomain") return "domain " + v + " (parent of the sender's subdomain)";
    if (kind === "crm_id") return (CRM[match.crm] || "CRM") + (match.object ? " " + f.label(match.object) : "") + " id " + v;
    return kind + " " + v;
  }

  /** What an alias can be made of for this page's query: [{kind, value, label}]. */
  function targets(query, match, freemail) {
    if (!query) return [];
    if (query.domain) return [{ kind: "domain", value: query.domain, label: "everyone at " + query.domain }];
    if (!query.email) return [];
    const email = query.email;
    const domain = email.slice(email.lastIndexOf("@") + 1);
    const own = { kind: "email", value: email, label: "only " + email };
    const all = { kind: "domain", value: domain, label: "everyone at " + domain };
    if (freemail) return [own];
    const byDomain = match && (match.kind === "domain" || match.kind === "subdomain" || (match.alias && match.alias.domain));
    return byDomain ? [all, own] : [own, all];
  }

  /** The "Wrong account?" / "Link to an account" control; onSaved() after the alias is stored. */
  function fixer(opts) {
    const choices = targets(opts.query, opts.match, opts.freemail);
    if (!choices.length) return null;
    const wrap = h("div", { class: "fix", "data-testid": "a360-fix" });
    const open = h("button", { class: "link", type: "button", "data-testid": "a360-fix-open", text: opts.label });
    wrap.appendChild(open);
    open.addEventListener("click", () => {
      open.hidden = true;
      wrap.appendChild(form(choices, opts));
      const input = wrap.querySelector("input[type=search]");
      if (input) input.focus();
    });
    return wrap;
  }

  function form(choices, opts) {
    let seq = 0;
    let timer = null;
    const name = "a360-alias-" + Math.random().toString(36).slice(2);
    const radios = choices.map((c, i) => h("label", { class: "small" },
      h("input", { type: "radio", name, value: String(i), checked: i === 0, "data-testid": "a360-fix-kind-" + c.kind }), " " + c.label));
    const q = h("input", { type: "search", placeholder: "Search accounts by name…", "aria-label": "Search accounts", "data-testid": "a360-fix-search" });
    const list = h("ul", { class: "list cands" });
    const msg = h("p", { class: "small muted", role: "status", "data-testid": "a360-fix-msg" });
    const picked = () => choices[Number((radios.find((r) => r.querySelector("input").checked) || radios[0]).querySelector("input").value)];

    async function search() {
      const my = ++seq;
      const res = await A360.send({ type: "search", q: q.value.trim(), limit: 8 });
      if (my !== seq) return;
      clear(list);
      if (!res.ok) {
        msg.textContent = "Search failed: " + ((res.error && res.error.message) || "error");
        return;
      }
      const items = (res.data && res.data.items) || [];
      msg.textContent = items.length ? "" : "No account matches.";
      for (const a of items) {
        list.appendChild(h("li", null, h("button", { class: "cand", type: "button", "data-testid": "a360-fix-result", "data-id": String(a.id), onclick: () => save(a) },
          h("span", { class: "b", text: a.name || String(a.id) }),
          h("span", { class: "muted small", text: [a.owner, f.isNum(a.arr) ? "ARR " + f.money(a.arr, null, true) : null].filter(Boolean).join(" · ") }))));
      }
    }

    async function save(account) {
      const t = picked();
      msg.textContent = "Saving…";
      const res = await A360.send({ type: "setAlias", [t.kind]: t.value, accountId: account.id });
      if (!res.ok) {
        msg.textContent = "Not saved: " + ((res.error && res.error.message) || "error");
        return;
      }
      msg.textContent = "Saved: " + t.value + " → " + (account.name || account.id) + " for the whole team.";
      A360.store.set({ aliasesChangedAt: Date.now() });
      if (opts.onSaved) opts.onSaved(res.data);
    }

    q.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, 180);
    });
    search();
    return h("div", { class: "fix-form", "data-testid": "a360-fix-form" },
      h("div", { class: "small muted", text: "Link " }), ...radios, q, list, msg);
  }

  /** Gmail thread: "Log as touchpoint" records the open thread as an email touchpoint of the
   * account, its latest message as a message (who wrote it, its text), and a done task
   * written back to the CRM. */
  function logButton(ctx, accountId) {
    if (!ctx || ctx.host !== "gmail" || !ctx.subject || accountId === null || accountId === undefined) return null;
    const msg = h("span", { class: "small muted", role: "status", "data-testid": "a360-log-msg" });
    const btn = h("button", { class: "link", type: "button", "data-testid": "a360-log-touchpoint", text: "Log as touchpoint" });
    btn.addEventListener("click", async () => {
      btn.disabled = true;
      msg.textContent = "Logging…";
      const res = await A360.send({ type: "logTouchpoint", accountId, subject: ctx.subject, email: ctx.query && ctx.query.email,
        direction: ctx.direction, text: ctx.text, threadId: ctx.threadId });
      if (res.ok) {
        msg.textContent = "Logged “" + ctx.subject + "” as an email touchpoint.";
        btn.hidden = true;
      } else {
        msg.textContent = "Not logged: " + ((res.error && res.error.message) || "error");
        btn.disabled = false;
      }
    });
    return h("span", { class: "log" }, btn, " ", msg);
  }

  A360.matching = { describe, targets, fixer, logButton };
})(globalThis.A360);
