"""ARR timeline, movements, renewal and the revenue bundle (metrics.md section 1)."""

from datetime import date
from decimal import Decimal

from server.metrics import (
    AccountFacts,
    Deal,
    arr_at,
    arr_changes,
    had_arr,
    movements,
    renewal,
    revenue,
)

D = Decimal
T = date(2026, 3, 31)


def deal(id, kind, amount, day, status="won", **kw):
    return Deal(id=id, kind=kind, status=status, amount=D(amount),
                close_date=date.fromisoformat(day), **kw)


def steps(changes):
    return [(c.deal_id, c.before, c.after) for c in changes]


def test_timeline_applies_each_deal_kind():
    deals = [
        deal("n1", "new", "1000", "2025-01-10"),
        deal("e1", "expansion", "500", "2025-04-01", expansion_type="cross_sell"),
        deal("r1", "renewal", "1200", "2026-01-10"),
        deal("c1", "contraction", "200", "2026-02-01"),
        deal("o1", "expansion", "999", "2026-01-15", status="open"),
        deal("l1", "expansion", "999", "2026-01-16", status="lost"),
        deal("l2", "new", "999", "2026-01-17", status="lost"),
    ]
    # 0 +1000 -> 1000; +500 -> 1500; renewal := 1200; contraction 1200-200 = 1000
    assert steps(arr_changes(deals)) == [
        ("n1", D(0), D(1000)), ("e1", D(1000), D(1500)),
        ("r1", D(1500), D(1200)), ("c1", D(1200), D(1000)),
    ]
    assert arr_changes(deals)[1].expansion_type == "cross_sell"
    assert arr_changes(deals)[1].to_dict()["delta"] == D(500)
    assert arr_at(deals, date(2025, 1, 9)) == D(0)
    assert arr_at(deals, date(2025, 1, 10)) == D(1000)
    assert arr_at(deals, date(2025, 3, 31)) == D(1000)
    assert arr_at(deals, date(2025, 4, 1)) == D(1500)
    assert arr_at(deals, T) == D(1000)


def test_contraction_floors_at_zero():
    deals = [deal("n", "new", "300", "2025-01-01"), deal("c", "contraction", "500", "2025-02-01")]
    # max(0, 300 - 500) = 0
    assert steps(arr_changes(deals))[-1] == ("c", D(300), D(0))


def test_lost_renewal_and_won_churn_zero_the_arr():
    lost = [deal("n", "new", "1000", "2025-01-01"),
            deal("r", "renewal", "1000", "2026-01-01", status="lost")]
    assert arr_at(lost, T) == D(0)
    assert arr_changes(lost)[-1].status == "lost"
    churn = [deal("n", "new", "1000", "2025-01-01"), deal("x", "churn", "1", "2026-01-01")]
    assert arr_at(churn, T) == D(0)


def test_same_day_order_new_renewal_expansion_contraction_churn_then_id():
    base = deal("n", "new", "1000", "2025-01-01")
    # renewal sets 1100 first, then the expansion adds 200: 1300 (not 1100)
    same_day = [base, deal("a-exp", "expansion", "200", "2025-06-01"),
                deal("z-ren", "renewal", "1100", "2025-06-01")]
    assert steps(arr_changes(same_day)) == [
        ("n", D(0), D(1000)), ("z-ren", D(1000), D(1100)), ("a-exp", D(1100), D(1300))]
    # equal kinds on the same day: by id
    two = [base, deal("b", "expansion", "1", "2025-06-01"),
           deal("a", "expansion", "2", "2025-06-01")]
    assert [c.deal_id for c in arr_changes(two)] == ["n", "a", "b"]
    # churn and a lost renewal come last on their day, whatever the input order
    ends = [deal("x", "churn", "0", "2025-06-01"), base,
            deal("e", "expansion", "100", "2025-06-01"),
            deal("c", "contraction", "50", "2025-06-01")]
    assert steps(arr_changes(ends)) == [
        ("n", D(0), D(1000)), ("e", D(1000), D(1100)), ("c", D(1100), D(1050)),
        ("x", D(1050), D(0))]
    lost = [base, deal("r", "renewal", "900", "2025-06-01", status="lost"),
            deal("e", "expansion", "100", "2025-06-01")]
    assert arr_at(lost, date(2025, 6, 1)) == D(0)


def test_records_after_as_of_are_ignored():
    deals = [deal("n", "new", "1000", "2025-01-01"), deal("e", "expansion", "500", "2026-04-01")]
    assert [c.deal_id for c in arr_changes(deals, as_of=T)] == ["n"]
    assert arr_at(deals, T) == D(1000)
    assert had_arr(deals, date(2024, 12, 31)) is False
    assert had_arr(deals, date(2025, 1, 1)) is True


def test_movement_expansion_and_period_start_edge():
    deals = [deal("n", "new", "1000", "2025-01-10"), deal("e", "expansion", "500", "2025-04-01")]
    m = movements(deals, date(2025, 4, 1), T)
    # S = ARR(2025-03-31) = 1000 (the expansion on t0 is inside the period); E = 1500
    assert (m.start_arr, m.end_arr) == (D(1000), D(1500))
    assert (m.expansion, m.contraction, m.churn, m.new) == (D(500), D(0), D(0), D(0))
    assert m.nrr_contribution == D(500)
    assert (m.upsell, m.cross_sell) == (D(500), D(0))  # untyped expansion counts as upsell


def test_movement_new_account_has_no_nrr_contribution():
    m = movements([deal("n", "new", "1000", "2025-04-01")], date(2025, 4, 1), T)
    # S = 0, E = 1000 -> new = 1000, not part of retention
    assert (m.start_arr, m.end_arr, m.new, m.expansion) == (D(0), D(1000), D(1000), D(0))
    assert m.nrr_contribution is None


def test_renewal_that_lowers_arr_is_contraction():
    deals = [deal("n", "new", "1000", "2024-05-01"), deal("r", "renewal", "800", "2025-05-01")]
    m = movements(deals, date(2025, 4, 1), T)
    # S 1000, E 800 -> contraction 200, NRR contribution -200
    assert (m.contraction, m.churn, m.expansion) == (D(200), D(0), D(0))
    assert m.nrr_contribution == D(-200)


def test_lost_renewal_is_churn():
    deals = [deal("n", "new", "1000", "2024-05-01"),
             deal("r", "renewal", "1000", "2025-05-01", status="lost")]
    m = movements(deals, date(2025, 4, 1), T)
    # S 1000, E 0 -> churn = S = 1000, no contraction
    assert (m.churn, m.contraction, m.end_arr) == (D(1000), D(0), D(0))
    assert m.nrr_contribution == D(-1000)


def test_churn_then_reactivation():
    deals = [deal("n1", "new", "1000", "2024-01-01"), deal("x", "churn", "0", "2024-06-01"),
             deal("n2", "new", "600", "2025-06-01")]
    # churned before the period: S = 0 -> the comeback is new business
    m = movements(deals, date(2025, 4, 1), T)
    assert (m.start_arr, m.new, m.expansion) == (D(0), D(600), D(0))
    # the churn period itself: S 1000, E 0
    m = movements(deals, date(2024, 4, 1), date(2025, 3, 31))
    assert m.churn == D(1000)
    # churn and comeback inside one period: S 1000, E 600 -> contraction 400
    m = movements(deals, date(2024, 2, 1), T)
    assert (m.contraction, m.churn, m.new) == (D(400), D(0), D(0))
    # comeback above the old ARR: S 1000, E 1500 -> expansion 500
    bigger = deals[:2] + [deal("n2", "new", "1500", "2025-06-01")]
    m = movements(bigger, date(2024, 2, 1), T)
    assert (m.expansion, m.contraction, m.upsell) == (D(500), D(0), D(500))


def test_expansion_split_upsell_cross_sell_proportional():
    deals = [deal("n", "new", "1000", "2024-01-01"),
             deal("x1", "expansion", "300", "2025-06-01", expansion_type="cross_sell"),
             deal("u1", "expansion", "100", "2025-07-01", expansion_type="upsell"),
             deal("u2", "expansion", "100", "2025-08-01")]
    m = movements(deals, date(2025, 4, 1), T)
    # expansion 500; increases: cross 300 of 500 -> cross 300, upsell 200
    assert (m.expansion, m.cross_sell, m.upsell) == (D(500), D(300), D(200))
    mixed = [deal("n", "new", "1000", "2024-01-01"),
             deal("x1", "expansion", "400", "2025-06-01", expansion_type="Cross-sell"),
             deal("u1", "expansion", "200", "2025-07-01", expansion_type="upsell"),
             deal("c1", "contraction", "300", "2025-08-01")]
    m = movements(mixed, date(2025, 4, 1), T)
    # E = 1000 + 400 + 200 - 300 = 1300, expansion 300; cross share 400/600 -> 200, upsell 100
    assert (m.expansion, m.cross_sell, m.upsell) == (D(300), D(200), D(100))


def test_renewal_date_from_crm_or_derived():
    deals = [deal("n", "new", "1000", "2025-02-10"), deal("r", "renewal", "1000", "2026-02-10"),
             deal("o1", "renewal", "1100", "2027-02-10", status="open", name="Renewal 27",
                  stage="negotiation"),
             deal("o2", "expansion", "200", "2026-05-01", status="open"),
             deal("o3", "new", "50", "2026-05-01", status="open")]
    crm = renewal(AccountFacts(renewal_date=date(2026, 6, 29), deals=tuple(deals)), T)
    # 2026-03-31 -> 2026-06-29 = 90 days
    assert (crm.renewal_date, crm.days_to_renewal, crm.renewal_date_source) == (
        date(2026, 6, 29), 90, "crm")
    # open renewal/expansion deals, and the open new deal of this customer (ARR 1000 on T),
    # by close date then id
    assert [(p.id, p.kind, p.amount) for p in crm.pipeline] == [
        ("o2", "expansion", D(200)), ("o3", "new", D(50)), ("o1", "renewal", D(1100))]
    assert crm.pipeline[2].stage == "negotiation" and crm.pipeline[2].name == "Renewal 27"
    # a prospect (no ARR on T): its open new deal is not a customer's pipeline
    prospect = renewal(AccountFacts(deals=(deal("p", "new", "70", "2026-05-01",
                                                 status="open"),)), T)
    assert prospect.pipeline == ()
    # a prospect (no ARR on T): its open new deal is not a customer's pipeline
    prospect = renewal(AccountFacts(deals=(deal("p", "new", "70", "2026-05-01",
                                                 status="open"),)), T)
    assert prospect.pipeline == ()
    derived = renewal(AccountFacts(deals=tuple(deals)), T)
    # latest won new/renewal 2026-02-10 + 1 year = 2027-02-10; 316 days after 2026-03-31
    assert (derived.renewal_date, derived.days_to_renewal) == (date(2027, 2, 10), 316)
    assert derived.renewal_date_source == "derived"
    # as of 2026-01-01 the renewal deal is in the future: 2025-02-10 + 1y = 2026-02-10, 40 days
    past = renewal(AccountFacts(deals=tuple(deals)), date(2026, 1, 1))
    assert (past.renewal_date, past.days_to_renewal) == (date(2026, 2, 10), 40)


def test_renewal_leap_day_and_missing_data():
    leap = renewal(AccountFacts(deals=(deal("n", "new", "1", "2024-02-29"),)), date(2024, 3, 1))
    assert leap.renewal_date == date(2025, 2, 28)
    empty = renewal(AccountFacts(), T)
    assert (empty.renewal_date, empty.days_to_renewal, empty.onboarding_start) == (None, None, None)
    assert empty.renewal_date_source is None


def test_onboarding_start_crm_field_else_first_won_new_deal():
    deals = (deal("n2", "new", "1", "2025-03-01"), deal("n1", "new", "1", "2025-01-05"),
             deal("n0", "new", "1", "2024-12-01", status="lost"))
    assert renewal(AccountFacts(deals=deals), T).onboarding_start == date(2025, 1, 5)
    crm = AccountFacts(deals=deals, onboarding_start=date(2025, 1, 20))
    assert renewal(crm, T).onboarding_start == date(2025, 1, 20)


def test_revenue_bundle_mrr_and_trailing_year():
    facts = AccountFacts(deals=(deal("n", "new", "1200", "2025-01-01"),
                                deal("e", "expansion", "600", "2025-04-01")))
    rev = revenue(facts, T)
    # ARR 1800, MRR 1800 / 12 = 150; trailing year 2025-04-01..2026-03-31, S = 1200
    assert (rev.arr, rev.mrr) == (D(1800), D(150))
    assert (rev.movements.start, rev.movements.end) == (date(2025, 4, 1), T)
    assert (rev.movements.start_arr, rev.movements.expansion) == (D(1200), D(600))
    assert rev.had_arr_before is True
    # leap-day as_of: 2028-02-29 - 1 year = 2027-02-28, + 1 day = 2027-03-01
    assert revenue(facts, date(2028, 2, 29)).movements.start == date(2027, 3, 1)
    out = rev.to_dict()
    assert out["as_of"] == "2026-03-31" and out["arr"] == D(1800)
    assert out["movements"]["nrr_contribution"] == D(600)
    assert out["changes"][0]["date"] == "2025-01-01"


def test_revenue_without_deals_is_zero():
    rev = revenue(AccountFacts(), T)
    assert (rev.arr, rev.mrr, rev.had_arr_before) == (D(0), D(0), False)
    assert rev.movements.nrr_contribution is None
