/* Gmail adapter: the only code that knows Gmail's DOM and URL shapes.
 * Open thread -> the first external participant (most recent sender first,
 * then earlier senders, then recipients), skipping the CSM's own domain(s):
 * the configured ones plus the signed-in Gmail account's domain.
 * Freemail senders are sent as an email too; the server decides how to match.
 *
 * Checked against mail.google.com (standard view), 2026-11. Gmail's class names
 * are generated but have been stable for years; the `email` attribute on
 * participant chips is the anchor. Test URLs:
 *   https://mail.google.com/mail/u/0/#inbox/FMfcgzQXJWDsKmlmnqTdgcNm
 *   https://mail.google.com/mail/u/0/#label/Customers/FMfcgzQXJWDsKmlmnqTdgcNm
 *   https://mail.google.com/mail/u/0/#search/acme/FMfcgzQXJWDsKmlmnqTdgcNm */
(function (A360) {
  "use strict";

  const SELECTORS = {
    /* The main column. The inbox list and the open thread both render inside it;
     * Gmail hides the inactive view with display:none instead of removing it. */
    main: 'div[role="main"]',
    /* Subject heading of the open thread: <h2 class="hP" data-thread-perm-id=...>. */
    threadSubject: "h2.hP",
    /* One expanded message of the thread: <div class="adn ads" data-message-id=...>;
     * collapsed messages are div.kv / div.kQ rows without the full header. */
    message: "div.adn",
    /* Sender chip in an expanded message header: <h3 class="iw"><span class="gD"
     * email="bob@acme.com" name="Bob">Bob</span></h3>. */
    sender: "span.gD[email]",
    /* To/Cc chips in the header detail line: <span class="g2" email=... name=...>. */
    recipient: "span.g2[email]",
    /* The text of an expanded message: <div class="a3s aiL">...</div>. */
    body: "div.a3s",
    /* Any participant chip inside the thread (collapsed rows use span.zF / span.yP). */
    participant: "span[email]",
    /* Account switcher in the top bar: <a aria-label="Google Account: Jane Doe (jane@ourco.com)">. */
    account: 'a[aria-label^="Google Account"]',
    /* Compose and reply editors: <div contenteditable="true" aria-label="Message Body"
     * role="textbox" class="Am Al editable">, inside a compose box whose bottom toolbar row
     * is <tr class="btC"> (Send, formatting). */
    composeBody: 'div[contenteditable="true"][aria-label="Message Body"]',
    composeToolbar: "tr.btC",
  };
  /* Thread routes end with the thread id: #inbox/FMfcg..., #label/X/FMfcg..., legacy hex ids. */
  const THREAD_HASH = /^#(?:[^/?]+\/)+([A-Za-z0-9_-]{16,})(?:\?.*)?$/;
  const EMAIL = /[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;

  function visible(el) {
    if (!el) return false;
    if (typeof el.checkVisibility === "function") return el.checkVisibility();
    return el.getClientRects().length > 0;
  }

  function domainOf(email) {
    const at = email.lastIndexOf("@");
    return at > 0 ? email.slice(at + 1).toLowerCase() : "";
  }

  function isOwn(domain, own) {
    return own.some((d) => domain === d || domain.endsWith("." + d));
  }

  /** The signed-in account's address (account switcher label, then page title). */
  function accountEmail(doc) {
    const a = doc.querySelector(SELECTORS.account);
    const fromLabel = a && EMAIL.exec(a.getAttribute("aria-label") || "");
    if (fromLabel) return fromLabel[0].toLowerCase();
    const fromTitle = EMAIL.exec(doc.title || ""); /* "Inbox (3) - jane@ourco.com - Ourco Mail" */
    return fromTitle ? fromTitle[0].toLowerCase() : null;
  }

  /** The visible open-thread container, or null on list views. */
  function threadRoot(doc) {
    for (const main of doc.querySelectorAll(SELECTORS.main)) {
      const subject = main.querySelector(SELECTORS.threadSubject);
      if (subject && visible(subject)) return main;
    }
    return null;
  }

  /* Visible chips only: the hidden inbox list in the same main column has chips too. */
  function emailsInOrder(scope) {
    const out = [];
    const take = (el) => {
      if (visible(el)) out.push(el.getAttribute("email"));
    };
    const messages = Array.from(scope.querySelectorAll(SELECTORS.message)).filter(visible).reverse();
    for (const m of messages) m.querySelectorAll(SELECTORS.sender).forEach(take);
    for (const m of messages) m.querySelectorAll(SELECTORS.recipient).forEach(take);
    scope.querySelectorAll(SELECTORS.participant).forEach(take);
    return out;
  }

  /** The latest expanded message: who wrote it (`in` from the customer, `out` from the
   * CSM's own domains) and its text, for "Log as touchpoint". */
  function latest(scope, own) {
    const messages = Array.from(scope.querySelectorAll(SELECTORS.message)).filter(visible);
    const last = messages[messages.length - 1];
    if (!last) return {};
    const sender = last.querySelector(SELECTORS.sender);
    const from = String((sender && sender.getAttribute("email")) || "").trim().toLowerCase();
    const body = last.querySelector(SELECTORS.body);
    const text = body ? (body.innerText || body.textContent || "").trim().slice(0, 20000) : "";
    const out = {};
    if (from && EMAIL.test(from)) out.direction = isOwn(domainOf(from), own) ? "out" : "in";
    if (text) out.text = text;
    return out;
  }

  /** -> {query: {email}, label: domain, subject, threadId, direction, text} | null.
   * Never throws. */
  function extractContext(opts) {
    try {
      const doc = (opts && opts.document) || document;
      const loc = (opts && opts.location) || location;
      if (!THREAD_HASH.test(loc.hash || "")) return null;
      const scope = threadRoot(doc);
      if (!scope) return null;
      const own = ((opts && opts.ownDomains) || []).map((d) => String(d).toLowerCase());
      const me = accountEmail(doc);
      if (me) own.push(domainOf(me));
      for (const raw of emailsInOrder(scope)) {
        const email = String(raw || "").trim().toLowerCase();
        if (!EMAIL.test(email)) continue;
        const domain = domainOf(email);
        if (!domain || isOwn(domain, own)) continue;
        const subject = scope.querySelector(SELECTORS.threadSubject);
        const threadId = THREAD_HASH.exec(loc.hash || "")[1];
        return Object.assign({ query: { email }, label: domain, threadId,
          subject: subject ? subject.textContent.trim().slice(0, 500) : null }, latest(scope, own));
      }
      return null;
    } catch (_) {
      return null;
    }
  }

  /** Where the chip goes: beside the matched participant's chip in the latest message that
   * shows it (senders first), else below the thread subject. Null off a thread. */
  function anchor(doc, ctx) {
    const scope = threadRoot(doc);
    if (!scope) return null;
    const email = ctx && ctx.query && ctx.query.email;
    const messages = Array.from(scope.querySelectorAll(SELECTORS.message)).filter(visible).reverse();
    for (const sel of [SELECTORS.sender, SELECTORS.recipient]) {
      for (const m of messages) {
        for (const el of m.querySelectorAll(sel)) {
          if (visible(el) && String(el.getAttribute("email") || "").toLowerCase() === email) return el;
        }
      }
    }
    return scope.querySelector(SELECTORS.threadSubject);
  }

  /** Visible compose editors with the toolbar cell the template button goes in. */
  function composers(doc) {
    const out = [];
    for (const body of doc.querySelectorAll(SELECTORS.composeBody)) {
      if (!visible(body)) continue;
      let box = body.parentElement;
      let bar = null;
      for (let i = 0; box && i < 8 && !bar; i++, box = box.parentElement) bar = box.querySelector(SELECTORS.composeToolbar);
      const cell = bar && bar.querySelector("td:last-child");
      if (cell) out.push({ body, toolbar: cell });
    }
    return out;
  }

  A360.host = { name: "gmail", SELECTORS, extractContext, anchor, composers, usesOwnDomains: true };
})(globalThis.A360);
