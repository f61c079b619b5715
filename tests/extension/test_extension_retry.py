"""A task or note sent from the extension is created once even when the answer is lost: the
service worker sends every creating POST with an Idempotency-Key and, after a network error,
sends it again with the same key; the server answers the first result."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

# Runs inside the real extension service worker: the first POST reaches the server and does
# its work, then its answer is thrown away as a network failure would.
LOSE_FIRST_ANSWER = """async ([cfg, msg]) => {
  const realFetch = globalThis.fetch;
  const keys = [];
  let lost = false;
  globalThis.fetch = async (url, init) => {
    if (init && init.method === "POST") keys.push(init.headers["Idempotency-Key"] || null);
    const res = await realFetch(url, init);
    if (init && init.method === "POST" && !lost) {
      lost = true;
      throw new TypeError("Failed to fetch");
    }
    return res;
  };
  try {
    const result = await A360Api.route(msg, cfg);
    return { result, keys };
  } finally {
    globalThis.fetch = realFetch;
  }
}"""


@pytest.mark.parametrize("kind", ["addTask", "addNote"])
def test_lost_answer_is_retried_with_the_same_key_and_creates_once(
        service_worker, configured, api, kind):
    text = f"Retry-safe {kind} after a lost answer"
    msg = ({"type": "addTask", "accountId": "globex", "subject": text} if kind == "addTask"
           else {"type": "addNote", "accountId": "globex", "body": text})
    out = service_worker.evaluate(LOSE_FIRST_ANSWER, [configured, msg])
    assert out["result"]["ok"] is True, out
    keys = out["keys"]
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0].startswith("a360-ext-"), keys
    if kind == "addTask":
        items = api.get("/api/v1/accounts/globex/tasks")["items"]
        assert [t["subject"] for t in items].count(text) == 1
        assert out["result"]["data"]["id"] in [t["id"] for t in items]
    else:
        notes = api.get("/api/v1/accounts/globex/360")["notes"]
        assert [n["body"] for n in notes].count(text) == 1


def test_each_new_task_gets_its_own_key(service_worker, configured, api):
    keys = service_worker.evaluate("""async (cfg) => {
      const realFetch = globalThis.fetch, keys = [];
      globalThis.fetch = (url, init) => {
        keys.push(init.headers["Idempotency-Key"]);
        return realFetch(url, init);
      };
      try {
        for (const s of ["First of two", "Second of two"])
          await A360Api.route({ type: "addTask", accountId: "globex", subject: s }, cfg);
      } finally { globalThis.fetch = realFetch; }
      return keys;
    }""", configured)
    assert len(keys) == 2 and keys[0] != keys[1]
    subjects = [t["subject"] for t in api.get("/api/v1/accounts/globex/tasks")["items"]]
    assert subjects.count("First of two") == 1 and subjects.count("Second of two") == 1
