/* Popup: search accounts by name; a click opens the full 360 view in a tab. */
(function (A360) {
  "use strict";
  const { h, clear } = A360.dom;
  const f = A360.fmt;
  const q = document.getElementById("q");
  const list = document.getElementById("results");
  const status = document.getElementById("status");
  let seq = 0;
  let timer = null;

  function open(id) {
    chrome.tabs.create({ url: chrome.runtime.getURL("view/view.html?id=" + encodeURIComponent(String(id))) });
    window.close();
  }

  function row(a) {
    const band = a.band || "unknown";
    const sub = [a.owner, f.isNum(a.arr) ? "ARR " + f.money(a.arr, null, true) : null, a.phase ? f.label(a.phase) : null,
      a.renewal_date ? "renews " + f.date(a.renewal_date) : null].filter(Boolean).join(" · ");
    return h("li", null, h("button", { type: "button", "data-testid": "popup-result", "data-id": String(a.id), onclick: () => open(a.id) },
      h("span", { class: "nm", title: a.name || null, text: a.name || String(a.id) }),
      h("span", { class: "band band-" + band, text: (f.isNum(a.health_score) ? f.score(a.health_score) + " " : "") + f.label(band) }),
      h("span", { class: "sub", text: sub })));
  }

  async function search() {
    const my = ++seq;
    const text = q.value.trim();
    status.textContent = "Searching…";
    const res = await A360.send({ type: "search", q: text, limit: 20 });
    if (my !== seq) return;
    clear(list);
    if (!res.ok) {
      const code = res.error && res.error.code;
      status.textContent = code === "not_configured" ? "Set the server URL and token in the options first."
        : code === "unreachable" ? "Server unreachable: " + res.error.message
          : code === "unauthenticated" ? "The server rejected the token: check the options."
            : "Search failed: " + ((res.error && res.error.message) || "unknown error");
      return;
    }
    const items = (res.data && res.data.items) || [];
    status.textContent = items.length ? "" : text ? "No account matches “" + text + "”." : "No accounts yet.";
    for (const a of items) list.appendChild(row(a));
  }

  q.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 180);
  });
  q.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      const first = list.querySelector("button");
      if (first) first.click();
    }
  });
  document.getElementById("options").addEventListener("click", () => chrome.runtime.openOptionsPage());
  search();
})(globalThis.A360);
