/* HubSpot adapter: the only code that knows HubSpot's URL shapes.
 * Company, contact, deal and ticket records -> crm=hubspot&record_id=<id>; the
 * server maps any stored record id to its account. The URL alone decides.
 *
 * Checked against app.hubspot.com CRM record pages, 2026-11; the EU data centre
 * (app-eu1.hubspot.com) serves the same paths. Test URLs:
 *   https://app.hubspot.com/contacts/1234567/record/0-2/9876543210        company
 *   https://app.hubspot.com/contacts/1234567/record/0-1/501               contact
 *   https://app.hubspot.com/contacts/1234567/record/0-3/777/view/1        deal
 *   https://app.hubspot.com/contacts/1234567/record/0-5/888               ticket
 *   https://app.hubspot.com/contacts/1234567/company/9876543210           older shape */
(function (A360) {
  "use strict";

  const SELECTORS = {
    /* Record name in the left sidebar "highlight" card of a record page:
     * <div data-selenium-test="highlightTitle">Acme Inc</div>. Used only as a label. */
    recordName: '[data-selenium-test="highlightTitle"]',
  };
  /* Object type ids of the standard CRM objects. */
  const OBJECT_TYPES = { "0-1": "contact", "0-2": "company", "0-3": "deal", "0-5": "ticket" };
  const RECORD_PATH = /^\/contacts\/(\d+)\/record\/(0-[1235])\/(\d+)(?:\/|$)/;
  const LEGACY_PATH = /^\/contacts\/(\d+)\/(company|contact|deal|ticket)\/(\d+)(?:\/|$)/;

  function nameElement(doc) {
    const el = doc.querySelector(SELECTORS.recordName);
    const text = el ? (el.textContent || "").trim() : "";
    return text && el.getClientRects().length ? el : null;
  }

  function recordName(doc) {
    const el = nameElement(doc);
    return el ? el.textContent.trim() : null;
  }

  /** The chip goes right after the record name of the sidebar card. */
  function anchor(doc) {
    return nameElement(doc);
  }

  /** -> {query: {crm, record_id}, label} | null. Never throws. */
  function extractContext(opts) {
    try {
      const doc = (opts && opts.document) || document;
      const loc = (opts && opts.location) || location;
      const path = loc.pathname || "";
      let kind = null;
      let id = null;
      let m = RECORD_PATH.exec(path);
      if (m) {
        kind = OBJECT_TYPES[m[2]];
        id = m[3];
      } else if ((m = LEGACY_PATH.exec(path))) {
        kind = m[2];
        id = m[3];
      }
      if (!id) return null;
      const name = recordName(doc);
      return { query: { crm: "hubspot", record_id: id }, label: "HubSpot " + kind + " " + (name || id) };
    } catch (_) {
      return null;
    }
  }

  A360.host = { name: "hubspot", SELECTORS, extractContext, anchor };
})(globalThis.A360);
