/* Widget preview page (served by the account360 server at /preview): renders
 * the extension's widget for ?id=<account id>, ?email=<address> or
 * ?domain=<domain>, so the widget can be seen without Gmail or a CRM. */
(function (A360) {
  "use strict";
  const { h } = A360.dom;
  const params = new URLSearchParams(location.search);
  const form = document.getElementById("pick");
  const tokenInput = document.getElementById("token");
  const what = document.getElementById("what");
  const note = document.getElementById("note");

  what.value = params.get("id") || params.get("email") || params.get("domain") || "";
  if (A360Preview.hasToken()) tokenInput.placeholder = "token saved for this tab";

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (tokenInput.value.trim()) A360Preview.setToken(tokenInput.value.trim());
    const v = what.value.trim();
    const key = !v ? null : v.includes("@") ? "email" : /^[^\s/]+\.[a-z]{2,}$/i.test(v) ? "domain" : "id";
    location.assign(location.pathname + (key ? "?" + key + "=" + encodeURIComponent(v) : ""));
  });

  let ctx = null;
  if (params.get("id")) ctx = { accountId: params.get("id"), label: "account " + params.get("id") };
  else if (params.get("email")) {
    const email = params.get("email");
    ctx = { query: { email }, label: email.slice(email.lastIndexOf("@") + 1) };
  } else if (params.get("domain")) ctx = { query: { domain: params.get("domain") }, label: params.get("domain") };

  if (!ctx) {
    note.textContent = "Enter an account id, a contact email or a domain.";
    return;
  }
  if (!A360Preview.hasToken()) {
    note.replaceChildren("Add your API token (or open this page with ", h("code", { text: "#token=…" }), " at the end of the URL).");
    tokenInput.focus();
    return;
  }
  A360.createWidget({ mode: "panel", container: document.querySelector("main.preview") || document.body }).load(ctx);
})(globalThis.A360);
