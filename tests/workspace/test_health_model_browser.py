"""The health model page in Chromium on the served demo workspace: the backtest with its
churn-rate chart, then a pasted settings file previewed side by side (two datasets)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.workspace.browsing import LEAD, chart_points, sign_in

pytestmark = pytest.mark.browser
TIMEOUT = 120_000


def test_backtest_and_preview_in_the_browser(served, chromium, artifact_dir):
    url, _ = served
    page = sign_in(chromium, url, LEAD)
    page.set_viewport_size({"width": 1280, "height": 1400})
    page.get_by_role("link", name="Health model").click()
    expect(page.get_by_test_id("confusion")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_test_id("auc")).to_contain_text("ROC AUC of the score")
    expect(page.get_by_test_id("computed-at")).to_contain_text("no data changed since")
    page.reload()                    # read back from the stored result, the same figures
    expect(page.get_by_test_id("computed-at")).to_contain_text("no data changed since")
    rows = page.locator('[data-testid="confusion"] tbody tr')
    expect(rows).to_have_count(4)
    current = chart_points(page, "chart-churn-by-band")
    assert len(current) == 1 and len(current[0]) == 4
    page.screenshot(path=str(artifact_dir / "health-model.png"), full_page=True)
    page.get_by_label("Paste a settings file (TOML)").fill(
        "[health.weights]\nseat_utilization = 40\nusage_trend = 0\n")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_test_id("preview")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_test_id("diff")).to_contain_text("health.weights.usage_trend")
    expect(page.get_by_test_id("side-by-side")).to_contain_text("ROC AUC")
    expect(page.get_by_text("Only admins apply settings.")).to_be_visible()
    both = chart_points(page, "chart-churn-by-band")
    assert len(both) == 2 and both[0] == current[0]
    page.screenshot(path=str(artifact_dir / "health-model-preview.png"), full_page=True)
