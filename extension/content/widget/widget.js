/* The 360 view: one host element with an OPEN shadow root and its own stylesheet,
 * a small state machine (loading / account / candidates / no match / error) and
 * the task + note form. Used by the side panel ("panel", one narrow column), the
 * full view page and the server's preview page ("page"); never injected into a
 * host page (the content scripts show only the chip). It reaches the server only
 * through A360.send. */
(function (A360) {
  "use strict";
  const { h, clear } = A360.dom;
  const S = A360.sections;
  const f = A360.fmt;
  const LOADING_DELAY_MS = 150;

  function errorCopy(err) {
    const code = (err && err.code) || "error";
    const msg = (err && err.message) || "";
    if (code === "unreachable") return { title: "account360 server unreachable", text: msg || "The server did not answer.", retry: true };
    if (code === "unauthenticated") return { title: "Token rejected", text: "The server did not accept the saved token. Check it in the options.", options: true };
    if (code === "not_configured") return { title: "Connect account360", text: "Set the server URL and your token in the options.", options: true };
    if (code === "permission_denied") return { title: "Server access not granted", text: msg || "Allow access to the server origin in the options.", options: true };
    if (code === "extension_reloaded") return { title: "Extension updated", text: "Reload this page to use the new version." };
    return { title: "Could not load account360 data", text: msg || code, retry: true };
  }

  function createWidget(opts) {
    opts = opts || {};
    const mode = opts.mode || "panel";
    /* The side panel is narrow: done tasks hide, the latest notes only. */
    const compact = mode === "panel";
    const abort = new AbortController();
    const picks = new Map();

    const host = h("div", { id: "account360-widget-host", "data-a360": mode });
    const root = host.attachShadow({ mode: "open" });
    const cssUrl = opts.cssUrl || chrome.runtime.getURL("widget/widget.css");
    const link = h("link", { rel: "stylesheet", href: cssUrl });
    const box = h("div", { class: "a360 mode-" + mode, "data-testid": "a360-widget", "data-state": "idle" });
    root.append(link, box);
    (opts.container || document.documentElement).appendChild(host);

    let state = { kind: "idle" };
    let seq = 0;
    let ctx = null;
    let visibleMarked = false;
    let loadingTimer = null;
    let tasksSlot = null;
    let notesSlot = null;
    let noteSlot = null;
    let note = null;

    const stylesReady = new Promise((resolve) => {
      link.addEventListener("load", resolve, { once: true });
      link.addEventListener("error", resolve, { once: true });
    });

    /* Coming back to a tab whose server was unreachable tries again by itself. */
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && state.kind === "error" && state.error && state.error.code === "unreachable") reload();
    }, { signal: abort.signal });

    /** Marks the first time account data is on screen (after styles, next frame). */
    function markVisible() {
      if (visibleMarked) return;
      visibleMarked = true;
      requestAnimationFrame(() => {
        A360.mark("widget-visible");
        host.dataset.visibleAt = String(Math.round(performance.now()));
      });
    }

    /* ------------------------------------------------------------ rendering */
    function render() {
      clear(box);
      tasksSlot = null;
      notesSlot = null;
      noteSlot = null;
      box.dataset.state = state.kind;
      if (state.kind === "idle") return;
      if (state.kind === "loading") box.appendChild(h("div", { class: "card pad muted", "data-testid": "a360-loading", text: "Loading account360 for " + (state.label || "this page") + "…" }));
      else if (state.kind === "nomatch") box.appendChild(renderNoMatch());
      else if (state.kind === "error") box.appendChild(renderError());
      else if (state.kind === "candidates") box.appendChild(renderCandidates());
      else if (state.kind === "account") box.appendChild(renderAccount());
      if (state.kind === "account") markVisible();
    }

    function actions(extra) {
      return extra ? h("div", { class: "acts" }, extra) : null;
    }

    function renderNoMatch() {
      const details = (state.error && state.error.details) || {};
      return h("div", { class: "card pad", "data-testid": "a360-nomatch-card" },
        h("div", { class: "pill", "data-testid": "a360-nomatch" },
          h("span", { class: "muted", text: "No account for " + (state.label || "this page") })),
        fix("Link to an account", null, details.freemail === true));
    }

    /** "Wrong account?" / "Link to an account" for email and domain pages (not CRM records). */
    function fix(label, match, freemail) {
      if (!A360.matching || !ctx || !ctx.query) return null;
      return A360.matching.fixer({ query: ctx.query, match, freemail, label, onSaved: () => reload() });
    }

    function matchLine() {
      const d = state.data;
      const text = state.candidates
        ? "picked from " + state.candidates.length + " accounts matching " + (state.label || "this page")
        : A360.matching && A360.matching.describe(d.match);
      if (!text && !(ctx && ctx.query)) return null;
      return h("div", { class: "how", "data-testid": "a360-match" },
        text ? h("span", { class: "muted small", "data-testid": "a360-match-text", text: "Found by " + text }) : null,
        fix("Wrong account?", d.match, false),
        A360.matching ? A360.matching.logButton(ctx, d.account && d.account.id) : null);
    }

    function renderError() {
      const copy = errorCopy(state.error);
      return h("div", { class: "card pad err", "data-testid": "a360-error", "data-code": (state.error && state.error.code) || "error" },
        h("div", { class: "row" }, h("strong", { class: "grow", text: copy.title }), actions()),
        h("p", { class: "muted", text: copy.text }),
        h("div", { class: "row" },
          copy.retry ? h("button", { class: "btn", type: "button", "data-testid": "a360-retry", text: "Retry", onclick: () => reload() }) : null,
          copy.options ? h("button", { class: "btn", type: "button", "data-testid": "a360-open-options", text: "Open options", onclick: () => A360.send({ type: "openOptions" }) }) : null));
    }

    function renderCandidates() {
      return h("div", { class: "card pad", "data-testid": "a360-candidates" },
        h("div", { class: "row" }, h("strong", { class: "grow", text: state.candidates.length + " accounts match " + (state.label || "") }), actions()),
        h("p", { class: "muted", text: "Pick the account this page is about:" }),
        h("ul", { class: "list cands" }, ...state.candidates.map((c) => h("li", null,
          h("button", { class: "cand", type: "button", "data-testid": "a360-candidate", "data-id": String(c.id), onclick: () => pick(c.id) },
            h("span", { class: "b", text: c.name || String(c.id) }),
            c.why ? h("span", { class: "muted small", text: c.why }) : null)))));
    }

    function renderAccount() {
      const d = state.data;
      const a = d.account || {};
      const switcher = state.candidates
        ? h("button", { class: "icon", type: "button", title: "Pick another matching account", "data-testid": "a360-switch", text: "⇄", onclick: () => { state = { kind: "candidates", candidates: state.candidates, label: state.label }; render(); } })
        : null;
      const full = compact && a.id !== undefined
        ? h("button", { class: "icon", type: "button", title: "Open the full 360 view", "data-testid": "a360-open-view", text: "↗", onclick: () => A360.send({ type: "openView", id: a.id }) })
        : null;
      tasksSlot = h("div", { class: "slot" }, renderTasks());
      notesSlot = h("div", { class: "slot" }, renderNotes());
      return h("div", { class: "card" },
        S.header(d, actions([switcher, full])),
        matchLine(),
        h("div", { class: "body" },
          S.why(d.health),
          S.kpis(d),
          S.signals(d.signals, 0),
          S.playbooks(d.playbooks),
          S.usage(d.usage),
          S.support(d.support),
          S.pipeline(d.revenue),
          S.relationship(d.relationship),
          S.sentiment(d.relationship),
          S.stakeholders(d.relationship),
          tasksSlot,
          renderForm(),
          notesSlot),
        S.freshness(d),
        noteSlot = h("div", { class: "slot" }, renderNote()));
    }

    /** The CRM refresh line under the freshness line (side panel): refreshing, done, failed. */
    function renderNote() {
      if (!note) return null;
      return h("div", { class: "fresh crm " + note.kind, role: "status", "data-testid": "a360-refresh", "data-kind": note.kind, text: note.text });
    }

    function setNote(next) {
      note = next;
      if (noteSlot) noteSlot.replaceChildren(...[renderNote()].filter(Boolean));
    }

    function renderTasks() {
      const all = state.data.tasks || [];
      const shown = all.filter((t) => !compact || t.status !== "done" || t._doneHere);
      const open = all.filter((t) => t.status !== "done").length;
      return S.section("Open tasks · " + open, "a360-tasks",
        shown.length
          ? h("ul", { class: "list tasks" }, ...shown.map(renderTask))
          : h("p", { class: "muted", text: "No open tasks." }),
        state.taskError ? h("p", { class: "err small", role: "alert", text: state.taskError }) : null);
    }

    function renderTask(t) {
      const done = t.status === "done";
      const box_ = h("input", { type: "checkbox", checked: done, disabled: Boolean(t._busy), "aria-label": "Mark done", "data-testid": "a360-task-done" });
      box_.addEventListener("change", () => setTaskStatus(t, box_.checked ? "done" : "open"));
      return h("li", { class: done ? "done" : null, "data-testid": "a360-task", "data-id": String(t.id) },
        h("label", { class: "grow task" }, box_, h("span", { "data-testid": "a360-task-subject", text: t.subject || "" })),
        t.due_date ? h("span", { class: "muted", text: "due " + f.date(t.due_date) }) : null);
    }

    function renderNotes() {
      const all = state.data.notes || [];
      const shown = compact ? all.slice(0, 5) : all;
      return S.section("Notes" + (all.length ? " · " + all.length : ""), "a360-notes",
        shown.length
          ? h("ul", { class: "list notes" }, ...shown.map((n) => h("li", { "data-testid": "a360-note" },
            h("span", { class: "grow", text: n.body || "" }),
            h("span", { class: "muted", text: [n.author, n.created_at ? f.ago(n.created_at) : null].filter(Boolean).join(" · ") }))))
          : h("p", { class: "muted", text: "No notes yet." }));
    }

    function renderForm() {
      const text = h("input", { type: "text", name: "text", maxlength: "500", placeholder: "Add a task or note…", "aria-label": "Task subject or note", "data-testid": "a360-add-text", required: true });
      const due = h("input", { type: "date", name: "due", title: "Due date (tasks only)", "aria-label": "Due date", "data-testid": "a360-add-due" });
      const msg = h("div", { class: "small form-msg", role: "status", "data-testid": "a360-form-msg" });
      const noteBtn = h("button", { class: "btn", type: "button", "data-testid": "a360-add-note", text: "Note" });
      const taskBtn = h("button", { class: "btn primary", type: "submit", "data-testid": "a360-add-task", text: "Task" });
      const form = h("form", { class: "add", novalidate: true, "data-testid": "a360-add-form" }, text,
        h("div", { class: "add-row" }, due, h("span", { class: "grow" }), taskBtn, noteBtn));
      const submit = async (kind) => {
        const value = text.value.trim();
        if (!value) {
          msg.textContent = kind === "note" ? "Write the note first." : "Write the task subject first.";
          text.focus();
          return;
        }
        const id = state.data.account && state.data.account.id;
        const current = state.data;
        const message = kind === "note"
          ? { type: "addNote", accountId: id, body: value }
          : { type: "addTask", accountId: id, subject: value, due_date: due.value || null };
        taskBtn.disabled = noteBtn.disabled = true;
        msg.textContent = "Saving…";
        const res = await A360.send(message);
        taskBtn.disabled = noteBtn.disabled = false;
        if (state.data !== current) return;
        if (!res.ok) {
          msg.textContent = "Not saved: " + describe(res.error);
          msg.className = "small form-msg err";
          return;
        }
        msg.className = "small form-msg";
        msg.textContent = kind === "note" ? "Note added." : "Task added.";
        text.value = "";
        due.value = "";
        if (kind === "note") {
          current.notes = [res.data].concat(current.notes || []);
          if (notesSlot) notesSlot.replaceChildren(renderNotes());
        } else {
          current.tasks = [res.data].concat(current.tasks || []);
          if (tasksSlot) tasksSlot.replaceChildren(renderTasks());
        }
      };
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        submit("task");
      });
      noteBtn.addEventListener("click", () => submit("note"));
      return h("div", { class: "sec" }, form, msg);
    }

    function describe(err) {
      if (!err) return "unknown error";
      const details = err.status === 400 && err.details && typeof err.details === "object"
        ? Object.keys(err.details).map((k) => k + ": " + [].concat(err.details[k]).join(", ")).join("; ")
        : "";
      return (err.message || err.code || "error") + (details ? " (" + details + ")" : "");
    }

    async function setTaskStatus(task, status) {
      const current = state.data;
      task._busy = true;
      state.taskError = null;
      if (tasksSlot) tasksSlot.replaceChildren(renderTasks());
      const res = await A360.send({ type: "setTask", taskId: task.id, status });
      task._busy = false;
      if (state.data !== current) return;
      if (res.ok) {
        Object.assign(task, res.data || {}, { status, _doneHere: true });
      } else {
        state.taskError = "Task not updated: " + describe(res.error);
      }
      if (tasksSlot) tasksSlot.replaceChildren(renderTasks());
    }

    /* ------------------------------------------------------------ loading */
    function begin(label) {
      const my = ++seq;
      clearTimeout(loadingTimer);
      box.classList.add("stale");
      if (state.kind === "idle" || state.kind === "nomatch") {
        loadingTimer = setTimeout(() => {
          if (my === seq) {
            state = { kind: "loading", label };
            render();
          }
        }, LOADING_DELAY_MS);
      }
      return my;
    }

    function finish(my, next) {
      if (my !== seq) return false;
      clearTimeout(loadingTimer);
      box.classList.remove("stale");
      state = next;
      render();
      return true;
    }

    async function settle(my, res, label, candidates) {
      await stylesReady;
      if (res.ok && res.data && Array.isArray(res.data.candidates)) {
        const remembered = picks.get(ctxKey(ctx));
        if (remembered !== undefined && res.data.candidates.some((c) => c.id === remembered)) {
          return pick(remembered, res.data.candidates);
        }
        return finish(my, { kind: "candidates", candidates: res.data.candidates, label });
      }
      if (res.ok) return finish(my, { kind: "account", data: res.data, label, candidates: candidates || null });
      if (res.error && res.error.code === "not_found") return finish(my, { kind: "nomatch", label, error: res.error });
      return finish(my, { kind: "error", error: res.error, label });
    }

    function ctxKey(c) {
      return c ? JSON.stringify(c.query || { id: c.accountId }) : "";
    }

    /** Shows the widget for a page context {query, label} or {accountId, label}. */
    async function load(next) {
      if (ctxKey(next) !== ctxKey(ctx)) note = null;
      ctx = next;
      const label = next.label;
      const my = begin(label);
      A360.mark("lookup-start");
      const res = next.accountId !== undefined
        ? await A360.send({ type: "account360", accountId: next.accountId })
        : await A360.send({ type: "lookup", query: next.query });
      A360.mark("lookup-done");
      return settle(my, res, label);
    }

    async function pick(id, candidates) {
      const list = candidates || state.candidates;
      picks.set(ctxKey(ctx), id);
      const label = state.label || (ctx && ctx.label);
      const my = begin(label);
      const res = await A360.send({ type: "account360", accountId: id });
      return settle(my, res, label, list);
    }

    function reload() {
      if (ctx) return load(ctx);
      return Promise.resolve();
    }

    function hide() {
      ++seq;
      clearTimeout(loadingTimer);
      ctx = null;
      state = { kind: "idle" };
      render();
    }

    function destroy() {
      abort.abort();
      hide();
      host.remove();
    }

    function accountId() {
      return state.kind === "account" && state.data.account ? state.data.account.id : null;
    }

    return { load, reload, hide, destroy, setNote, accountId, host, root, get state() { return state.kind; } };
  }

  A360.createWidget = createWidget;
})(globalThis.A360);
