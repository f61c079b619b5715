/* Connectors page: poll the status endpoint and update each card's progress bars. */
(function () {
  "use strict";
  var root = document.getElementById("cards");
  if (!root) return;
  var url = root.getAttribute("data-status-url");

  function text(el, value) { if (el) el.textContent = value; }

  function renderStreams(box, run) {
    while (box.firstChild) box.removeChild(box.firstChild);
    if (!run) return;
    run.streams.forEach(function (s) {
      var row = document.createElement("div");
      row.className = "stream";
      row.setAttribute("data-stream", s.name);
      row.setAttribute("data-stream-status", s.status);
      var name = document.createElement("span");
      name.className = "sname";
      name.textContent = s.name;
      var bar = document.createElement("progress");
      if (s.status === "pending") { bar.value = 0; bar.max = 1; }
      else if (s.status !== "running") { bar.value = 1; bar.max = 1; }
      var count = document.createElement("span");
      count.className = "scount";
      count.textContent = s.records + " · " + s.status + (s.parked ? " · " + s.parked + " parked" : "");
      row.appendChild(name); row.appendChild(bar); row.appendChild(count);
      if (s.error) {
        var err = document.createElement("span");
        err.className = "serr err";
        err.setAttribute("data-field", "stream-error");
        err.textContent = s.error;
        row.appendChild(err);
      }
      box.appendChild(row);
    });
  }

  function update(card) {
    var el = document.getElementById("card-" + card.name);
    if (!el) return;
    el.setAttribute("data-status", card.status);
    var status = el.querySelector('[data-field="status"]');
    text(status, card.status);
    if (status) status.className = "status s-" + card.status.replace(" ", "-");
    var run = card.run;
    text(el.querySelector('[data-field="last-sync"]'),
         run ? run.status + ", " + (run.finished_at || run.started_at) : "never");
    text(el.querySelector('[data-field="records"]'),
         (run ? run.totals.records : 0) + " in the last run" + (card.records ? ", " + card.records + " in total" : ""));
    text(el.querySelector('[data-field="last-error"]'), card.last_error || "—");
    var waiting = run && run.totals.parked_waiting;
    text(el.querySelector('[data-field="parked"]'), waiting ? waiting + " waiting for their account (" +
         Object.keys(run.parked).map(function (t) { return run.parked[t] + " " + t; }).join(", ") + ")" : "—");
    var retry = card.retry;
    text(el.querySelector('[data-field="retry"]'), retry ? retry.attempts + " failed of " +
         retry.of + " attempts" + (retry.next_attempt_at ? ", next at " + retry.next_attempt_at : "") : "—");
    var missing = (run && run.missing_scopes) || [];
    text(el.querySelector('[data-field="missing-scopes"]'), missing.length ? missing.map(function (m) {
      return m.stream + ": " + m.scopes.join(", ");
    }).join("; ") : "—");
    renderStreams(el.querySelector('[data-field="progress"]'), run);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        var busy = false;
        data.connectors.forEach(function (c) { update(c); if (c.status === "syncing") busy = true; });
        setTimeout(poll, busy ? 1000 : 5000);
      }, function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 500);
})();
