/* Number, money and date formatting: the one formatter of the chip, the side panel, the
 * popup, the full view and the preview page. Any figure may be null: that reads "n/a". */
(function (A360) {
  "use strict";
  const NA = "n/a";
  const isNum = (v) => typeof v === "number" && Number.isFinite(v);
  const moneyCache = new Map();

  function moneyFormatter(currency, compact) {
    const key = (currency || "USD") + ":" + (compact || "");
    if (!moneyCache.has(key)) {
      let fmt;
      try {
        fmt = new Intl.NumberFormat("en-US", {
          style: "currency",
          currency: currency || "USD",
          notation: compact ? "compact" : "standard",
          maximumFractionDigits: compact === "k" ? 1 : 0,
        });
      } catch (_) {
        fmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
      }
      moneyCache.set(key, fmt);
    }
    return moneyCache.get(key);
  }

  /** 120000 -> "$120K" (compact) or "$120,000". */
  function money(value, currency, compact) {
    if (!isNum(value)) return NA;
    /* Compact: $416, $1.2K, $120K, $1.5M (one decimal only above a thousand). */
    const mode = compact ? (Math.abs(value) >= 1000 ? "k" : "c") : "";
    return moneyFormatter(currency, mode).format(value);
  }

  /** Signed money: +$1.2K / -$300 / $0. */
  function signedMoney(value, currency, compact) {
    if (!isNum(value)) return NA;
    const s = money(Math.abs(value), currency, compact);
    return value > 0 ? "+" + s : value < 0 ? "-" + s : s;
  }

  /** 0.123 -> "12.3%". */
  function pct(ratio, signed) {
    if (!isNum(ratio)) return NA;
    const s = (ratio * 100).toFixed(1) + "%";
    return signed && ratio > 0 ? "+" + s : s;
  }

  function num(value, digits) {
    if (!isNum(value)) return NA;
    return value.toLocaleString("en-US", { maximumFractionDigits: digits === undefined ? 1 : digits });
  }

  /** A health score, the same everywhere (chip, side panel, popup, full view): 82.3 -> "82". */
  function score(value) {
    return isNum(value) ? num(Math.round(value), 0) : NA;
  }

  /** "2026-11-23" -> "Nov 23, 2026" (dates are calendar days: read as UTC). */
  function date(iso) {
    if (!iso || typeof iso !== "string") return NA;
    const d = new Date(iso.length === 10 ? iso + "T00:00:00Z" : iso);
    if (Number.isNaN(d.getTime())) return iso;
    return d.toLocaleDateString("en-US", { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
  }

  /** ISO time -> "3h ago", "2d ago", "just now"; null -> "never". */
  function ago(iso, now) {
    if (!iso) return "never";
    const t = new Date(iso).getTime();
    if (Number.isNaN(t)) return String(iso);
    const s = Math.max(0, ((now || Date.now()) - t) / 1000);
    if (s < 90) return "just now";
    if (s < 3600 * 1.5) return Math.round(s / 60) + "m ago";
    if (s < 86400 * 1.5) return Math.round(s / 3600) + "h ago";
    return Math.round(s / 86400) + "d ago";
  }

  function days(n) {
    if (!isNum(n)) return NA;
    if (n === 0) return "today";
    if (n < 0) return Math.abs(n) + (n === -1 ? " day ago" : " days ago");
    return n + (n === 1 ? " day left" : " days left");
  }

  /** count(1, "response") -> "1 response"; count(3, "response") -> "3 responses". */
  function count(n, noun) {
    if (!isNum(n)) return NA + " " + noun + "s";
    return num(n, 0) + " " + noun + (n === 1 ? "" : "s");
  }

  /** "value_realization" -> "Value realization". */
  function label(code) {
    if (!code) return NA;
    const s = String(code).replace(/_/g, " ");
    return s.charAt(0).toUpperCase() + s.slice(1);
  }

  A360.fmt = { NA, isNum, money, signedMoney, pct, num, score, date, ago, days, count, label };
})(globalThis.A360);
