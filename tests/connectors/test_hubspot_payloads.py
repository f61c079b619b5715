"""The fake HubSpot answers exactly what the SDK's generated models (built from HubSpot's
OpenAPI specs) accept, and matches the shapes in shared/vendor-specs/hubspot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from tests.connectors.hubspot_portal import ACME, seed

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "vendor-specs" / "hubspot"


class _Raw:
    def __init__(self, body) -> None:
        self.data = json.dumps(body).encode()


def deserialize(package: str, body, model: str):
    """Deserialise with the SDK package's ApiClient, its spec validation switched on.

    (The SDK ships with client-side validation off; on, a missing required field or a
    value outside an enum raises ValueError.)
    """
    import importlib

    mod = importlib.import_module(f"hubspot.{package}")
    cfg = mod.Configuration()
    cfg.client_side_validation = True
    return mod.ApiClient(configuration=cfg).deserialize(_Raw(body), model)


@pytest.fixture
def portal(hubspot_fake):
    seed(hubspot_fake)
    s = requests.Session()
    s.headers["Authorization"] = "Bearer pat-test-token"
    return hubspot_fake, s


def test_every_fake_answer_deserialises_with_the_sdk_models(portal):
    fake, s = portal
    url = fake.url
    search = s.post(f"{url}/crm/v3/objects/deals/search", json={
        "filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE",
                                       "value": "0"}]}],
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "properties": ["dealname", "amount"], "limit": 2, "after": "0"}).json()
    out = deserialize("crm.objects", search, "CollectionResponseWithTotalSimplePublicObjectForwardPaging")
    assert out.total == 6 and out.paging.next.after == "2"
    fake.archive("deals", 24001122334, 1751900000000)
    archived = s.get(f"{url}/crm/v3/objects/deals", params={"archived": "true", "limit": 5}).json()
    out = deserialize("crm.objects", archived,
                      "CollectionResponseSimplePublicObjectWithAssociationsForwardPaging")
    assert out.results[0].archived is True and out.results[0].archived_at is not None
    assoc = s.post(f"{url}/crm/v4/associations/deals/companies/batch/read",
                   json={"inputs": [{"id": "24001122335"}, {"id": "24001122339"}]})
    assert assoc.status_code == 207
    out = deserialize("crm.associations.v4", assoc.json(),
                      "BatchResponsePublicAssociationMultiWithLabelWithErrors")
    assert str(out.results[0].to[0].to_object_id) == ACME and out.num_errors == 1
    owners = s.get(f"{url}/crm/v3/owners/", params={"limit": 10}).json()
    out = deserialize("crm.owners", owners, "CollectionResponsePublicOwnerForwardPaging")
    assert out.results[0].email == "dana@vendor.example"
    pipes = s.get(f"{url}/crm/v3/pipelines/deals").json()
    out = deserialize("crm.pipelines", pipes, "CollectionResponsePipelineNoPaging")
    assert out.results[0].stages[2].metadata == {"isClosed": "true", "probability": "1.0"}
    created = s.post(f"{url}/crm/v3/objects/tasks", json={
        "properties": {"hs_task_subject": "x", "hs_timestamp": "1754038800000"},
        "associations": [{"to": {"id": ACME}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 192}]}]})
    assert created.status_code == 201
    assert deserialize("crm.objects", created.json(), "SimplePublicObject").id
    token = s.post(f"{url}/oauth/v1/token", data={
        "grant_type": "refresh_token", "refresh_token": "refresh-1", "client_id": "client-id",
        "client_secret": "client-secret"}).json()
    assert deserialize("oauth", token, "TokenResponseIF").expires_in == 1800


def test_a_record_missing_required_fields_fails_sdk_validation():
    with pytest.raises(ValueError):
        deserialize("crm.objects", {"id": "1", "properties": {}}, "SimplePublicObject")


def test_fake_shapes_match_the_vendor_samples(portal):
    fake, s = portal
    sample = json.loads((SPECS / "deals_search_response.json").read_text())
    got = s.post(f"{fake.url}/crm/v3/objects/deals/search", json={
        "properties": list(sample["results"][0]["properties"]), "limit": 2}).json()
    assert set(got) == set(sample)
    assert set(got["results"][0]) == set(sample["results"][0])
    assert set(got["results"][0]["properties"]) == set(sample["results"][0]["properties"])
    assert set(got["paging"]["next"]) == set(sample["paging"]["next"])
    for name, model, package in (
            ("deals_search_response.json",
             "CollectionResponseWithTotalSimplePublicObjectForwardPaging", "crm.objects"),
            ("tickets_search_response.json",
             "CollectionResponseWithTotalSimplePublicObjectForwardPaging", "crm.objects"),
            ("tasks_search_response.json",
             "CollectionResponseWithTotalSimplePublicObjectForwardPaging", "crm.objects"),
            ("companies_get_page.json",
             "CollectionResponseSimplePublicObjectWithAssociationsForwardPaging", "crm.objects"),
            ("oauth_token_response.json", "TokenResponseIF", "oauth")):
        deserialize(package, json.loads((SPECS / name).read_text()), model)
    tasks = json.loads((SPECS / "tasks_search_response.json").read_text())
    fake.add("tasks", 1, tasks["results"][0]["properties"], modified=1751360700000)
    got = s.post(f"{fake.url}/crm/v3/objects/tasks/search", json={
        "properties": list(tasks["results"][0]["properties"]), "limit": 10}).json()
    assert set(got["results"][0]["properties"]) == set(tasks["results"][0]["properties"])
    err = json.loads((SPECS / "error_429_rate_limit.json").read_text())
    unauth = requests.get(f"{fake.url}/crm/v3/objects/deals").json()
    assert {"status", "message", "correlationId"} <= set(unauth) & set(err)
