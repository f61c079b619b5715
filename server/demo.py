"""A realistic, seeded synthetic workspace, written as JSON Lines and loaded via the import path."""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from server.db import Store
from server.importer import import_lines

DEMO_SETTINGS = """\
# Workspace settings of the demo (see README "Workspace settings").
currency = "USD"
first_value_event = "report_shared"
qbr_min_arr = 50000

[key_features]
reports = ["report_created", "report_shared"]
dashboards = ["dashboard_viewed"]
alerts = ["alert_configured"]
integrations = ["integration_connected"]
exports = ["export_csv"]
"""

CSMS = ["maria@ourteam.example", "devon@ourteam.example", "aiko@ourteam.example",
        "lucas@ourteam.example", "priya@ourteam.example", "sam@ourteam.example"]
WORDS_A = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay",
           "Soylent", "Cyberdyne", "Tyrell", "Wonka", "Gringotts", "Monarch", "Pied", "Nakatomi",
           "Oscorp", "Aperture", "Black Mesa", "Blue Sun", "Duff", "Gekko", "Massive",
           "Prestige", "Sterling", "Virtucon", "Zorg", "Altman", "Bluth", "Dunder"]
WORDS_B = ["Analytics", "Logistics", "Health", "Foods", "Labs", "Systems", "Capital", "Media",
           "Robotics", "Energy", "Retail", "Travel", "Bank", "Insurance", "Networks", "Studios"]
FIRST = ["Alex", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn",
         "Drew", "Robin", "Sasha", "Noor", "Kai", "Lena", "Omar", "Ines", "Theo", "Mina", "Ravi"]
EVENTS = [("login", 40), ("dashboard_viewed", 25), ("report_created", 10), ("report_shared", 4),
          ("export_csv", 6), ("alert_configured", 2), ("integration_connected", 1),
          ("search", 12)]
# archetype -> (weight, usage multiplier at the start and at the end of the 180-day window)
ARCHETYPES = {"growing": (18, 0.5, 1.0), "steady": (30, 0.8, 0.8), "declining": (14, 0.9, 0.3),
              "onboarding": (10, 0.2, 0.7), "at_risk": (10, 0.4, 0.2), "churned": (8, 0.6, 0.0),
              "expanding": (10, 0.6, 1.0)}
USAGE_DAYS = 180


def _iso(d: date, secs: int) -> str:
    return (datetime.combine(d, time(), timezone.utc) + timedelta(seconds=secs)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


class DemoBuilder:
    """Generates the demo records deterministically from a seed and a 'today'."""

    def __init__(self, accounts: int, events: int, seed: int, today: date) -> None:
        self.n_accounts = accounts
        self.n_events = events
        self.rng = random.Random(seed)
        self.today = today
        self.plan: list[dict] = []

    def records(self) -> Iterator[dict]:
        yield from self._accounts()
        for acc in self.plan:
            yield from self._contacts(acc)
            yield from self._deals(acc)
            yield from self._tickets(acc)
            yield from self._relationship(acc)
            yield from self._tasks(acc)
        yield from self._events()

    def _accounts(self) -> Iterator[dict]:
        rng = self.rng
        names = [f"{a} {b}" for a in WORDS_A for b in WORDS_B]
        rng.shuffle(names)
        kinds = list(ARCHETYPES)
        weights = [ARCHETYPES[k][0] for k in kinds]
        for i in range(self.n_accounts):
            name = names[i % len(names)] + (f" {i // len(names) + 1}" if i >= len(names) else "")
            slug = name.lower().replace(" ", "")
            arche = rng.choices(kinds, weights)[0]
            segment = rng.choices(["enterprise", "mid-market", "smb"], [2, 3, 5])[0]
            seats = {"enterprise": rng.randint(120, 400), "mid-market": rng.randint(30, 120),
                     "smb": rng.randint(5, 30)}[segment]
            if arche == "onboarding":
                start = self.today - timedelta(days=rng.randint(20, 80))
            else:
                start = self.today - timedelta(days=rng.randint(200, 540))
            acc = {"id": f"acc-{i + 1:04d}", "name": name, "domain": f"{slug}.com",
                   "owner": CSMS[i % len(CSMS)], "segment": segment, "seats": seats,
                   "arche": arche, "start": start,
                   "price": {"enterprise": 900, "mid-market": 700, "smb": 500}[segment]}
            self.plan.append(acc)
            rec = {"type": "account", "id": acc["id"], "name": name, "domains": [acc["domain"]],
                   "owner": acc["owner"], "seats": seats, "segment": segment,
                   "onboarding_start": start.isoformat(),
                   "crm": {"system": "hubspot", "id": str(9_000_000 + i)}}
            if i % 25 == 3:
                rec["domains"].append(f"{slug}.io")
            yield rec

    def _contacts(self, acc: dict) -> Iterator[dict]:
        rng = self.rng
        n = rng.randint(3, 8)
        acc["users"] = []
        for j in range(n):
            first = rng.choice(FIRST)
            email = f"{first.lower()}.{j}@{acc['domain']}"
            champion = j == 0
            active = not (champion and acc["arche"] in ("at_risk", "declining")
                          and rng.random() < 0.4)
            yield {"type": "contact", "id": f"{acc['id']}-c{j}", "account_id": acc["id"],
                   "email": email, "name": f"{first} {acc['name'].split()[0]}",
                   "title": rng.choice(["VP Operations", "Head of Data", "Analyst", "CTO",
                                        "Director of Finance"]),
                   "champion": champion, "active": active}
            acc["users"].append(email)

    def _deal(self, acc: dict, n: int, kind: str, status: str, amount: int, day: date,
              **extra) -> dict:
        return {"type": "deal", "id": f"{acc['id']}-d{n}", "account_id": acc["id"], "kind": kind,
                "status": status, "amount": amount, "close_date": day.isoformat(),
                "name": f"{acc['name']} {kind}", "stage": {"won": "closedwon",
                                                           "lost": "closedlost"}.get(status,
                                                                                     "contractsent"),
                **extra}

    def _deals(self, acc: dict) -> Iterator[dict]:
        rng, today = self.rng, self.today
        arr = acc["seats"] * acc["price"]
        n = 0
        yield self._deal(acc, n, "new", "won", arr, acc["start"])
        day = acc["start"]
        arche = acc["arche"]
        if arche in ("expanding", "growing") and (today - day).days > 90:
            n += 1
            up = int(arr * rng.uniform(0.1, 0.4))
            yield self._deal(acc, n, "expansion", "won", up,
                             day + timedelta(days=rng.randint(60, (today - day).days - 10)),
                             expansion_type=rng.choice(["upsell", "cross_sell"]))
            arr += up
        renewal = day + timedelta(days=365)
        while renewal <= today:
            n += 1
            if arche == "churned":
                yield self._deal(acc, n, "renewal", "lost", arr, renewal)
                return
            if arche == "declining" and rng.random() < 0.6:
                arr = int(arr * 0.8)
            yield self._deal(acc, n, "renewal", "won", arr, renewal)
            renewal += timedelta(days=365)
        if arche == "at_risk" and rng.random() < 0.5:
            n += 1
            cut = int(arr * 0.25)
            yield self._deal(acc, n, "contraction", "won", cut,
                             today - timedelta(days=rng.randint(10, 60)))
            arr -= cut
        n += 1
        yield self._deal(acc, n, "renewal", "open", arr, renewal)
        if arche in ("growing", "expanding"):
            n += 1
            yield self._deal(acc, n, "expansion", "open", int(arr * 0.2),
                             today + timedelta(days=rng.randint(10, 80)), expansion_type="upsell")
        if arche == "churned" and rng.random() < 0.3:
            n += 1
            yield self._deal(acc, n, "churn", "won", 0, today - timedelta(days=5))

    def _tickets(self, acc: dict) -> Iterator[dict]:
        rng, today = self.rng, self.today
        rate = {"at_risk": 0.12, "declining": 0.08}.get(acc["arche"], 0.04)
        for k in range(int(rate * USAGE_DAYS * rng.uniform(0.5, 1.5))):
            created = datetime.combine(today - timedelta(days=rng.randint(0, USAGE_DAYS)),
                                       time(rng.randint(7, 18)), timezone.utc)
            priority = rng.choices(["low", "normal", "high", "urgent"], [3, 6, 2, 1])[0]
            age_h = (datetime.combine(today, time(12), timezone.utc) - created).total_seconds() / 3600
            first = created + timedelta(hours=rng.uniform(0.2, 30))
            solved = created + timedelta(hours=rng.uniform(4, 240))
            status = "solved" if solved.timestamp() < created.timestamp() + age_h * 3600 else (
                rng.choice(["open", "pending"]))
            rec = {"type": "ticket", "id": f"{acc['id']}-t{k}", "account_id": acc["id"],
                   "status": status, "priority": priority, "created_at": created.isoformat(),
                   "subject": rng.choice(["Export fails", "SSO login loop", "Billing question",
                                          "Dashboard slow", "API rate limit", "Invite bounced"])}
            if first.timestamp() < created.timestamp() + age_h * 3600:
                rec["first_response_at"] = first.isoformat()
            if status == "solved":
                rec["solved_at"] = solved.isoformat()
            yield rec

    def _relationship(self, acc: dict) -> Iterator[dict]:
        rng, today = self.rng, self.today
        gap = {"at_risk": 45, "churned": 60, "declining": 25}.get(acc["arche"], 12)
        day = max(acc["start"], today - timedelta(days=540))
        while day <= today:
            kind = rng.choices(["email", "call", "meeting", "qbr"], [6, 3, 2, 1])[0]
            yield {"type": "touchpoint", "account_id": acc["id"], "kind": kind,
                   "date": day.isoformat(), "owner": acc["owner"]}
            day += timedelta(days=max(1, int(rng.expovariate(1 / gap))))
        base = {"growing": 9, "expanding": 9, "steady": 8, "onboarding": 8, "declining": 6,
                "at_risk": 4, "churned": 3}[acc["arche"]]
        for email in acc["users"][:4]:
            if rng.random() < 0.6:
                yield {"type": "nps", "account_id": acc["id"], "contact_email": email,
                       "score": max(0, min(10, base + rng.randint(-2, 1))),
                       "date": (today - timedelta(days=rng.randint(0, 300))).isoformat()}
        if rng.random() < 0.7:
            yield {"type": "survey", "account_id": acc["id"], "kind": "ces", "scale": 7,
                   "score": rng.randint(3, 7),
                   "date": (today - timedelta(days=rng.randint(0, 200))).isoformat()}
        yield {"type": "survey", "account_id": acc["id"], "kind": "onboarding", "scale": 5,
               "score": rng.randint(2, 5),
               "date": min(today, acc["start"] + timedelta(days=30)).isoformat()}
        if acc["arche"] in ("growing", "expanding") and rng.random() < 0.6:
            yield {"type": "advocacy", "account_id": acc["id"],
                   "kind": rng.choice(["referral", "review", "case_study", "reference"]),
                   "date": (today - timedelta(days=rng.randint(0, 300))).isoformat()}

    def _tasks(self, acc: dict) -> Iterator[dict]:
        rng, today = self.rng, self.today
        for k in range(rng.randint(0, 3)):
            due = today + timedelta(days=rng.randint(-10, 30))
            yield {"type": "task", "id": f"{acc['id']}-k{k}", "account_id": acc["id"],
                   "subject": rng.choice(["Plan QBR", "Send renewal quote", "Check adoption of "
                                          "alerts", "Intro to new admin", "Follow up on ticket"]),
                   "status": "done" if due < today and rng.random() < 0.6 else "open",
                   "due_date": due.isoformat(), "owner": acc["owner"]}

    def _events(self) -> Iterator[dict]:
        """Events over the last 180 days, by archetype trend; each account's users are seats."""
        rng, today = self.rng, self.today
        names = [n for n, _ in EVENTS]
        weights = [w for _, w in EVENTS]
        live = [a for a in self.plan]
        total_weight = sum(a["seats"] for a in live)
        for acc in live:
            share = int(self.n_events * acc["seats"] / total_weight)
            _, lo, hi = ARCHETYPES[acc["arche"]]
            days_live = min(USAGE_DAYS, (today - acc["start"]).days)
            if days_live <= 0 or share == 0:
                continue
            users = [f"u{j}@{acc['domain']}" for j in range(acc["seats"])]
            # per-day intensity follows the archetype's trend across its active window
            curve = []
            for d in range(days_live):
                frac = d / max(1, days_live - 1)
                level = lo + (hi - lo) * frac
                if acc["arche"] == "churned" and d > days_live - 40:
                    level = 0
                curve.append(max(level, 0))
            total = sum(curve) or 1
            first_day = today - timedelta(days=days_live - 1)
            made = 0
            for d, level in enumerate(curve):
                count = int(round(share * level / total))
                if not count:
                    continue
                day = first_day + timedelta(days=d)
                active = users[: max(1, int(len(users) * min(1.0, level)))]
                for _ in range(count):
                    if made >= share:
                        break
                    user = rng.choice(active)
                    secs = rng.randint(8 * 3600, 18 * 3600)
                    made += 1
                    yield {"type": "event", "account_id": acc["id"], "user_id": user,
                           "name": rng.choices(names, weights)[0], "time": _iso(day, secs),
                           "session_id": f"{user}:{day.isoformat()}:{secs // 5400}"}


def write_demo(path: Path, accounts: int, events: int, seed: int, today: date,
               tick: Callable[[int], object] | None = None) -> int:
    """Write the demo workspace as JSON Lines; returns the number of records."""
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for rec in DemoBuilder(accounts, events, seed, today).records():
            fh.write(json.dumps(rec, separators=(",", ":")) + "\n")
            n += 1
            if tick is not None and n % 1000 == 0:
                tick(1000)
    return n


def build_demo(store: Store, accounts: int, events: int, seed: int, data_dir: Path,
               today: date | None = None, echo: Callable[[str], object] | None = None) -> str:
    """Generate and import the demo workspace; returns a one-line summary. `echo` gets a line
    per step, and progress bars show on a terminal (stderr)."""
    from tqdm import tqdm

    say = echo or (lambda _line: None)
    quiet = not sys.stderr.isatty()
    today = today or datetime.now(timezone.utc).date()
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"demo-{seed}.jsonl"
    say(f"demo 1/2: generating {accounts} accounts and about {events:,} usage events "
        f"into {path}")
    with tqdm(unit=" records", unit_scale=True, desc="generate", disable=quiet) as bar:
        n = write_demo(path, accounts, events, seed, today, tick=bar.update)
    say(f"demo 2/2: importing {n:,} records through the import path")
    with path.open("rb") as fh, tqdm(total=path.stat().st_size, unit="B", unit_scale=True,
                                     desc="import", disable=quiet) as bar:
        report = import_lines(store, fh, source="demo", progress=bar.update)
    if report.rejected:
        raise RuntimeError(f"demo import rejected {report.rejected} lines: {report.errors[:3]}")
    return (f"{report.by_type.get('account', 0)} accounts, {report.by_type.get('event', 0)} "
            f"events ({report.new_events} new), {report.loaded} records from {path}")
