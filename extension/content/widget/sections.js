/* Builders for the parts of the 360 view. Each takes a slice of the 360 JSON
 * and returns DOM nodes; none of them talks to the server or keeps state. */
(function (A360) {
  "use strict";
  const { h, svg } = A360.dom;
  const f = A360.fmt;

  const BAND_LABEL = { good: "Good", watch: "Watch", at_risk: "At risk", unknown: "Unknown" };
  const RATIO_INPUTS = new Set(["seat_utilization", "usage_trend", "adoption_breadth", "stickiness"]);
  const PRIORITIES = ["urgent", "high", "normal", "low"];

  function section(title, testid, ...children) {
    return h("section", { class: "sec", "data-testid": testid }, h("h3", { text: title }), ...children);
  }

  function kpi(title, value, sub, testid, tip) {
    return h("div", { class: "kpi", "data-testid": testid, title: tip || null },
      h("div", { class: "kpi-t", text: title }),
      h("div", { class: "kpi-v", text: value }),
      sub ? h("div", { class: "kpi-s", text: sub }) : null);
  }

  function band(b) {
    const key = BAND_LABEL[b] ? b : "unknown";
    return h("span", { class: "band band-" + key, "data-testid": "a360-band", text: BAND_LABEL[key] });
  }

  function componentInput(c) {
    const v = c.input;
    if (v === null || v === undefined) return f.NA;
    if (typeof v === "number") {
      if (c.name === "usage_trend") return f.pct(v, true);
      if (RATIO_INPUTS.has(c.name)) return f.pct(v);
      if (c.name === "engagement") return f.num(v, 0) + " d";
      return f.num(v);
    }
    if (typeof v === "object") {
      return Object.keys(v).map((k) => k.replace(/_/g, " ") + " " + (typeof v[k] === "number" ? f.num(v[k]) : String(v[k]))).join(", ");
    }
    return String(v);
  }

  /** Name, owner, health score + band + 30-day change. */
  function header(d, actions) {
    const a = d.account || {};
    const hl = d.health || {};
    const meta = [a.owner ? "Owner " + a.owner : "No owner", a.segment, f.isNum(a.seats) ? a.seats + " seats" : null]
      .filter(Boolean).join(" · ");
    const change = f.isNum(hl.change_30d)
      ? (hl.change_30d > 0 ? "▲ " : hl.change_30d < 0 ? "▼ " : "") + f.num(Math.abs(hl.change_30d)) + " in 30d"
      : "30d change n/a";
    return h("header", { class: "hd" },
      h("div", { class: "hd-main" },
        h("div", { class: "name", "data-testid": "a360-name", title: a.name || "", text: a.name || "(unnamed account)" }),
        h("div", { class: "meta", "data-testid": "a360-owner", text: meta })),
      h("div", { class: "hd-health" },
        h("div", { class: "score" + (f.isNum(hl.score) ? "" : " na"), "data-testid": "a360-health", text: f.score(hl.score) }),
        band(hl.band),
        h("div", { class: "chg" + (hl.change_30d < 0 ? " neg" : hl.change_30d > 0 ? " pos" : ""), "data-testid": "a360-health-change", text: change })),
      actions || null);
  }

  /** The "why" panel: each health component's input, score, weight and points. */
  function why(health) {
    const comps = (health && health.components) || [];
    const rows = comps.map((c) => h("tr", null,
      h("td", { text: c.label || f.label(c.name) }),
      h("td", { class: "r", text: componentInput(c) }),
      h("td", { class: "r", text: f.isNum(c.score) ? f.num(c.score, 0) : f.NA }),
      h("td", { class: "r", text: f.isNum(c.weight) ? f.num(c.weight, 0) : f.NA }),
      h("td", { class: "r b", text: f.isNum(c.points) ? f.num(c.points) : f.NA })));
    return h("details", { class: "why", "data-testid": "a360-why" },
      h("summary", { text: "Why this health score?" }),
      comps.length
        ? h("table", null,
          h("thead", null, h("tr", null, ...["Component", "Input", "Score", "Weight", "Points"].map((t, i) => h("th", { class: i ? "r" : null, text: t })))),
          h("tbody", null, ...rows))
        : h("p", { class: "muted", text: "Not enough data for a health score yet." }),
      scoredWith(health && health.settings));
  }

  /** Which settings version computed the score (settings as code, with history). */
  function scoredWith(sv) {
    if (!sv) return null;
    const text = sv.version
      ? "Scored with settings version " + sv.version +
        (sv.applied_at ? " (applied " + String(sv.applied_at).slice(0, 10) + (sv.applied_by ? " by " + sv.applied_by : "") + ")" : "")
      : "Scored with the workspace settings (no version applied yet" + (sv.digest ? "; digest " + sv.digest : "") + ")";
    return h("p", { class: "muted", "data-testid": "a360-settings-version", text: text });
  }

  /** ARR, renewal, NRR contribution, phase. */
  function kpis(d) {
    const r = d.revenue || {};
    const m = r.movements || {};
    const cur = r.currency;
    const split = "exp " + f.signedMoney(m.expansion, cur, true) + " · contr " + f.signedMoney(f.isNum(m.contraction) ? -m.contraction : m.contraction, cur, true) +
      " · churn " + f.signedMoney(f.isNum(m.churn) ? -m.churn : m.churn, cur, true);
    return h("div", { class: "kpis" },
      kpi("ARR", f.money(r.arr, cur, true), "MRR " + f.money(r.mrr, cur, true), "a360-arr"),
      kpi("Renewal", f.date(r.renewal_date), f.days(r.days_to_renewal), "a360-renewal"),
      kpi("NRR contribution", f.signedMoney(m.nrr_contribution, cur, true), split, "a360-nrr",
        m.start && m.end ? "ARR change from " + m.start + " to " + m.end : null),
      kpi("Phase", f.label(d.phase), null, "a360-phase"));
  }

  function pipeline(r) {
    const deals = (r && r.pipeline) || [];
    const cur = r && r.currency;
    const total = deals.reduce((s, p) => s + (f.isNum(p.amount) ? p.amount : 0), 0);
    return section("Open pipeline" + (deals.length ? " · " + f.money(total, cur, true) : ""), "a360-pipeline",
      deals.length
        ? h("ul", { class: "list deals" }, ...deals.map((p) => h("li", { "data-testid": "a360-deal" },
          h("span", { class: "grow", text: p.name || f.label(p.kind) }),
          h("span", { class: "r b", text: f.money(p.amount, cur, true) }),
          h("span", { class: "sub muted small", text: [f.label(p.kind), p.stage, p.close_date ? "closes " + f.date(p.close_date) : null].filter(Boolean).join(" · ") }))))
        : h("p", { class: "muted", text: "No open deals." }));
  }

  /** 30-day active users as an inline SVG polyline (createElementNS only). */
  function sparkline(points, width, height) {
    const W = width || 332;
    const H = height || 40;
    const pad = 3;
    /* Each point is {date, users}; "active_users" is accepted as the same figure. */
    const vals = (points || []).map((p) => (f.isNum(p.users) ? p.users : f.isNum(p.active_users) ? p.active_users : 0));
    /* Stretches to the container's width; strokes keep their width (non-scaling-stroke). */
    const root = svg("svg", { viewBox: "0 0 " + W + " " + H, preserveAspectRatio: "none", class: "spark", role: "img", "data-testid": "a360-sparkline" });
    if (!vals.length) {
      root.appendChild(svg("title", { text: "No activity data" }));
      return root;
    }
    const max = Math.max(1, ...vals);
    const step = vals.length > 1 ? (W - 2 * pad) / (vals.length - 1) : 0;
    const xy = vals.map((v, i) => [pad + i * step, H - pad - (v / max) * (H - 2 * pad)]);
    const line = xy.map((p) => p[0].toFixed(1) + "," + p[1].toFixed(1)).join(" ");
    const first = points[0].date;
    const last = points[points.length - 1].date;
    root.appendChild(svg("title", { text: "Daily active users " + first + " to " + last + ": min " + Math.min(...vals) + ", max " + max }));
    root.appendChild(svg("polygon", { class: "spark-area", points: pad + "," + (H - pad) + " " + line + " " + xy[xy.length - 1][0].toFixed(1) + "," + (H - pad) }));
    root.appendChild(svg("polyline", { class: "spark-line", points: line, fill: "none" }));
    const end = xy[xy.length - 1];
    root.appendChild(svg("circle", { class: "spark-dot", cx: end[0].toFixed(1), cy: end[1].toFixed(1), r: 2.5 }));
    return root;
  }

  function usage(u) {
    u = u || {};
    if (!f.isNum(u.active_users_30d) && !(u.daily_active || []).length) {
      return section("Usage", "a360-usage", h("p", { class: "muted", text: "No product usage data yet." }));
    }
    const trend = f.isNum(u.trend) ? f.pct(u.trend, true) + " vs prior 30d" : "trend n/a";
    return section("Usage", "a360-usage",
      h("div", { class: "row" },
        h("span", { class: "b", "data-testid": "a360-active-users", text: f.count(u.active_users_30d, "active user") + " (30d)" }),
        h("span", { class: "muted" + (u.trend < 0 ? " neg" : ""), text: trend })),
      sparkline(u.daily_active),
      h("div", { class: "row muted small" },
        h("span", { text: "Seats used " + f.pct(u.seat_utilization) }),
        h("span", { text: "Breadth " + f.pct(u.adoption_breadth) }),
        h("span", { text: "Last active " + (f.isNum(u.days_since_last_activity) ? u.days_since_last_activity + "d ago" : f.NA) })));
  }

  function support(s) {
    s = s || {};
    const by = s.open_by_priority || {};
    return section("Open tickets · " + f.num(s.open_total, 0), "a360-tickets",
      h("div", { class: "chips" }, ...PRIORITIES.map((p) => h("span", { class: "chip p-" + p + (by[p] ? "" : " zero"), "data-testid": "a360-tickets-" + p, text: p + " " + (f.isNum(by[p]) ? by[p] : 0) }))),
      h("div", { class: "muted small", text: "Oldest open " + (f.isNum(s.oldest_open_days) ? s.oldest_open_days + "d" : f.NA) +
        " · first response median " + (f.isNum(s.first_response_hours_median) ? f.num(s.first_response_hours_median) + "h" : f.NA) +
        " · CSAT " + (f.isNum(s.csat) ? f.num(s.csat * 100, 1) + "% of " + (s.csat_good + s.csat_bad) : f.NA) }));
  }

  function signalItem(s) {
    return h("li", { class: "sev-" + (s.severity || "low"), "data-code": s.code || "" },
      h("span", { class: "sev", text: s.severity || "info" }),
      h("span", { class: "grow" },
        h("span", { text: s.reason || f.label(s.code) }),
        s.since ? h("span", { class: "muted small", text: " · since " + f.date(s.since) }) : null));
  }

  /** Signals with their reasons; past `limit`, the rest fold into a "more" toggle. */
  function signals(list, limit) {
    list = list || [];
    const head = limit ? list.slice(0, limit) : list;
    const rest = limit ? list.slice(limit) : [];
    return section("Signals" + (list.length ? " · " + list.length : ""), "a360-signals",
      list.length
        ? h("ul", { class: "list sig" }, ...head.map(signalItem))
        : h("p", { class: "muted", text: "No warning signals." }),
      rest.length
        ? h("details", { class: "more" }, h("summary", { text: rest.length + " more" }), h("ul", { class: "list sig" }, ...rest.map(signalItem)))
        : null);
  }

  /** Recent playbook firings ("Playbook: Usage drop rescue, task created 2 days ago"). */
  function playbooks(list) {
    list = list || [];
    if (!list.length) return null;
    return section("Playbooks", "a360-playbooks",
      h("ul", { class: "list" }, ...list.slice(0, 3).map((n) =>
        h("li", { "data-testid": "a360-playbook", text: n.text }))));
  }

  function relationship(rel) {
    rel = rel || {};
    const nps = rel.nps || {};
    const qbr = rel.qbrs || {};
    return section("Relationship", "a360-relationship",
      h("div", { class: "kpis" },
        kpi("NPS", f.num(nps.score, 0), f.count(nps.responses, "response")),
        kpi("Touchpoints 90d", f.num(rel.touchpoints_90d, 0), f.isNum(rel.days_since_last_touchpoint) ? "last " + rel.days_since_last_touchpoint + "d ago" : "none"),
        kpi("QBRs 90d", f.num(qbr.held_90d, 0) + " / " + f.num(qbr.expected, 0), qbr.on_schedule === true ? "on schedule" : qbr.on_schedule === false ? "behind" : null),
        kpi("Advocacy 365d", f.num(rel.advocacy && rel.advocacy.count_365d, 0), null)));
  }

  function signed(v) {
    return f.isNum(v) ? (v > 0 ? "+" : v < 0 ? "−" : "") + f.num(Math.abs(v), 0) : f.NA;
  }

  /** Sentiment of what the customer wrote (-100..100), its 90-day change and the evidence. */
  function sentiment(rel) {
    const s = (rel && rel.sentiment) || {};
    if (!f.isNum(s.score)) {
      return section("Sentiment", "a360-sentiment", h("p", { class: "muted", text: "No customer messages in 90 days." }));
    }
    const chg = f.isNum(s.change_90d)
      ? (s.change_90d > 0 ? "▲ " : s.change_90d < 0 ? "▼ " : "") + f.num(Math.abs(s.change_90d), 0) + " vs prior 90d"
      : "no prior 90d";
    const evidence = (s.evidence || []).map((e) => h("li", { class: "ev-" + e.tone, "data-testid": "a360-evidence" },
      h("span", { class: "b", text: signed(e.score) }),
      h("span", { class: "grow", text: e.snippet ? "“" + e.snippet + "”" : "(text not kept)" }),
      h("span", { class: "sub muted small", text: [e.who, f.label(e.channel), f.date(e.at)].filter(Boolean).join(" · ") })));
    return section("Sentiment · " + signed(s.score), "a360-sentiment",
      h("div", { class: "row muted small" },
        h("span", { "data-testid": "a360-sentiment-change", text: chg }),
        h("span", { text: f.count(s.messages, "message") + " (90d)" })),
      evidence.length ? h("ul", { class: "list deals" }, ...evidence) : null);
  }

  /** Who we talk to: role, last touch, messages in/out in 90 days; the relationship score. */
  function stakeholders(rel) {
    rel = rel || {};
    const people = rel.stakeholders || [];
    const title = "Stakeholders" + (f.isNum(rel.score) ? " · relationship " + f.num(rel.score, 0) : "");
    return section(title, "a360-stakeholders",
      people.length
        ? h("ul", { class: "list deals" }, ...people.slice(0, 5).map((p) => h("li", { "data-testid": "a360-stakeholder" },
          h("span", { class: "grow" + (p.engaged ? " b" : ""), text: p.name || p.email }),
          h("span", { class: "muted small", text: p.role ? f.label(p.role) : "Not a contact" }),
          h("span", { class: "sub muted small", text: "last touch " + f.ago(p.last_touch) + " · " +
            f.num(p.messages_in_90d, 0) + " in / " + f.num(p.messages_out_90d, 0) + " out (90d)" +
            (p.product ? " · active " + f.num(p.product.active_days_30d, 0) + "d of 30" : "") }))))
        : h("p", { class: "muted", text: "No stakeholders on record." }),
      people.length > 5 ? h("p", { class: "muted small", text: (people.length - 5) + " more" }) : null);
  }

  function freshness(d) {
    const fr = d.freshness || {};
    const parts = Object.keys(fr).map((k) => k + " " + f.ago(fr[k]));
    return h("div", { class: "fresh", "data-testid": "a360-freshness", text: "As of " + f.date(d.as_of) + (parts.length ? " · " + parts.join(" · ") : "") });
  }

  A360.sections = { header, why, kpis, pipeline, usage, support, signals, playbooks, relationship, sentiment, stakeholders, freshness, section };
})(globalThis.A360);
