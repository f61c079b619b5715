/* Salesforce Lightning adapter: the only code that knows Lightning's URL shapes.
 * A record page /lightning/r/<Object>/<id>/view (Account, Contact, Opportunity,
 * Case, ...) -> crm=salesforce&record_id=<id>; the server maps any stored record
 * id to its account. The URL alone decides, so route changes are enough.
 *
 * Checked against Lightning Experience record pages, 2026-11. Test URLs:
 *   https://acme.lightning.force.com/lightning/r/Account/001Hs00003AbCdEIAV/view
 *   https://acme.lightning.force.com/lightning/r/Opportunity/006Hs00001XyZaBIAV/view
 *   https://acme.lightning.force.com/lightning/r/001Hs00003AbCdEIAV/view   (short form)
 *   https://acme.lightning.force.com/lightning/r/Account/001Hs00003AbCdEIAV/related/Contacts/view */
(function (A360) {
  "use strict";

  const SELECTORS = {
    /* Record name in the highlights panel at the top of a record page:
     * <records-lwc-highlights-panel> ... <slot name="primaryField"><lightning-formatted-text>Acme</...>.
     * LWC uses synthetic shadow here, so a light-DOM query reaches it. Used only as a label. */
    recordName: 'records-lwc-highlights-panel slot[name="primaryField"] lightning-formatted-text, records-highlights2 slot[name="primaryField"] lightning-formatted-text',
  };
  /* /lightning/r/<Object>/<15 or 18 char id>/... and the short /lightning/r/<id>/... */
  const RECORD_PATH = /^\/lightning\/r\/(?:([A-Za-z][A-Za-z0-9_]*)\/)?([A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?)(?:\/|$)/;

  function nameElement(doc) {
    for (const el of doc.querySelectorAll(SELECTORS.recordName)) {
      const text = (el.textContent || "").trim();
      if (text && el.getClientRects().length) return el;
    }
    return null;
  }

  function recordName(doc) {
    const el = nameElement(doc);
    return el ? el.textContent.trim() : null;
  }

  /** The chip goes right after the record name in the highlights panel. */
  function anchor(doc) {
    return nameElement(doc);
  }

  /** -> {query: {crm, record_id}, label} | null. Never throws. */
  function extractContext(opts) {
    try {
      const doc = (opts && opts.document) || document;
      const loc = (opts && opts.location) || location;
      const m = RECORD_PATH.exec(loc.pathname || "");
      if (!m) return null;
      const object = m[1] || "record";
      const name = recordName(doc);
      return {
        query: { crm: "salesforce", record_id: m[2] },
        label: name ? "Salesforce " + object + " " + name : "Salesforce " + object + " " + m[2],
      };
    } catch (_) {
      return null;
    }
  }

  A360.host = { name: "salesforce", SELECTORS, extractContext, anchor };
})(globalThis.A360);
