"""Closed-set API parameters are typed from their one definition: OpenAPI lists exactly the contract's values, and a
value outside the set is a 422 naming the parameter, the allowed values and the value given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import pytest

from api.main import create_app
from api.services.analytics.accuracy import SLICE_DIMENSIONS, SLICE_SORTS
from api.services.analytics.clusters import MEMBER_SORTS
from api.services.analytics.common import LAG_CHOICES
from api.services.analytics.exceptions_topn import RANKINGS
from contracts.app import RUN_STATUSES, OverrideStatus
from contracts.forecast import DERIVED_MODEL_IDS, MODEL_IDS
from lakecast.dfu_classes import ABC_BOUNDS, ABC_LAST, XYZ_BOUNDS, XYZ_LAST
from lakecast.lag import MAX_LAG
from lakecast.settings import CompetitionMetric, Settings

SCORED_MODELS = {*MODEL_IDS, *DERIVED_MODEL_IDS}
#: (path, parameter) -> the values its one definition allows
EXPECTED: dict[tuple[str, str], set[str]] = {
    **{(p, "lag"): set(LAG_CHOICES) for p in ("/kpis", "/trends", "/accuracy/slice", "/exceptions",
                                             "/dfus/{dfu_id}")},
    **{(p, "model_id"): SCORED_MODELS for p in ("/kpis", "/trends", "/accuracy/slice", "/accuracy/lag-curve",
                                               "/exceptions", "/competition/detail")},
    ("/exceptions", "fva_vs"): SCORED_MODELS,
    ("/exceptions", "rank_by"): set(RANKINGS),
    ("/accuracy/slice", "by"): set(SLICE_DIMENSIONS),
    ("/accuracy/slice", "sort"): set(SLICE_SORTS),
    ("/accuracy/slice", "order"): {"asc", "desc"},
    **{(p, "abc_class"): {*(c for c, _ in ABC_BOUNDS), ABC_LAST} for p in ("/kpis", "/exceptions")},
    **{(p, "xyz_class"): {*(c for c, _ in XYZ_BOUNDS), XYZ_LAST} for p in ("/kpis", "/exceptions")},
    ("/clusters/{cluster_id}/members", "sort"): set(MEMBER_SORTS),
    ("/runs", "status"): set(RUN_STATUSES),
    ("/overrides", "status"): set(get_args(OverrideStatus)),
}


def _enum(schema: dict[str, Any]) -> set[str]:
    """The enum of a (possibly optional, possibly repeated) parameter schema."""
    for option in schema.get("anyOf", [schema]):
        if "enum" in option:
            return set(option["enum"])
        if "enum" in option.get("items", {}):
            return set(option["items"]["enum"])
    raise AssertionError(f"no enum in {schema}")


@pytest.fixture(scope="module")
def openapi(tmp_path_factory) -> dict[str, Any]:
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("enums"))).openapi()


def test_the_lag_choices_are_the_lags_of_lakecast_lag():
    assert (*(str(k) for k in range(MAX_LAG + 1)), "execution", "all") == LAG_CHOICES


def test_the_model_ids_are_the_model_registry():
    from lakecast.forecast.models import MODELS

    assert set(MODELS) == set(MODEL_IDS) and not set(MODELS) & set(DERIVED_MODEL_IDS)


@pytest.mark.parametrize(("path", "name"), sorted(EXPECTED))
def test_openapi_lists_exactly_the_values_of_the_one_definition(openapi, path, name):
    params = {p["name"]: p for p in openapi["paths"][path]["get"]["parameters"]}
    assert _enum(params[name]["schema"]) == EXPECTED[(path, name)]


def test_the_competition_config_body_lists_the_model_ids_and_metrics(openapi):
    body = openapi["components"]["schemas"]["CompetitionConfigBody"]["properties"]
    assert _enum(body["models"]) == set(MODEL_IDS) and _enum(body["combo_members"]) == set(MODEL_IDS)
    assert set(body["fallback_model"]["enum"]) == set(body["baseline_model"]["enum"]) == set(MODEL_IDS)
    assert set(body["metric"]["enum"]) == set(get_args(CompetitionMetric))
    assert {"type": "integer", "minimum": 0, "maximum": MAX_LAG} in body["lag"]["anyOf"]


def test_the_committed_openapi_has_the_enums():
    committed = json.loads((Path(__file__).resolve().parents[2] / "ui" / "openapi.json").read_text())
    params = {p["name"]: p for p in committed["paths"]["/kpis"]["get"]["parameters"]}
    assert _enum(params["lag"]["schema"]) == set(LAG_CHOICES)


@pytest.mark.integration
@pytest.mark.parametrize(("path", "params", "name", "allowed"), [
    ("/kpis", {"window": 3, "lag": "7"}, "lag", "'0', '1', '2', '3', '4', 'execution' or 'all'"),
    ("/kpis", {"window": 3, "lag": "Execution"}, "lag", "'execution' or 'all'"),
    ("/kpis", {"window": 3, "model_id": "nope"}, "model_id", "'adida', 'auto_arima'"),
    ("/trends", {"window": 3, "model_id": ["theta", "nope"]}, "model_id.1", "'champion', 'ceiling', 'external'"),
    ("/accuracy/slice", {"window": 3, "by": "color"}, "by", "'model' or 'timeframe'"),
    ("/accuracy/slice", {"window": 3, "by": "region", "sort": "size"}, "sort", "'abs_bias' or 'key'"),
    ("/accuracy/slice", {"window": 3, "by": "region", "order": "up"}, "order", "'asc' or 'desc'"),
    ("/exceptions", {"window": 3, "rank_by": "size"}, "rank_by", "'error', 'bias' or 'fva'"),
    ("/exceptions", {"window": 3, "fva_vs": "naive"}, "fva_vs", "'seasonal_naive'"),
    ("/kpis", {"window": 3, "abc_class": "D"}, "abc_class.0", "'A', 'B' or 'C'"),
    ("/kpis", {"window": 3, "xyz_class": "x"}, "xyz_class.0", "'X', 'Y' or 'Z'"),
    ("/clusters/1/members", {"sort": "size"}, "sort", "'dfu_id' or 'qty_12m'"),
    ("/runs", {"status": "blocked"}, "status", "'running', 'succeeded', 'failed' or 'skipped'"),
    ("/overrides", {"status": "open"}, "status", "'draft', 'submitted', 'approved', 'rejected' or 'withdrawn'"),
    ("/competition/detail", {"model_id": "no_such_model"}, "model_id.0", "'xgb_tweedie_global'"),
])
def test_a_value_outside_the_set_is_a_422_naming_it(client, headers, path, params, name, allowed):
    r = client.get(path, params=params, headers=headers["viewer"])
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    given = params[name.split(".")[0]]
    given = given[int(name.split(".")[1])] if isinstance(given, list) else given
    assert f"query.{name}: Input should be " in detail and allowed in detail, detail
    assert f"(got {given!r})" in detail, detail
