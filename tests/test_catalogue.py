"""The feature catalogue: one entry per feature, read by explanations, reports and MLflow."""

from __future__ import annotations

from typing import get_args

from leadscore.features.behaviour import behaviour_features
from leadscore.features.catalogue import Feature, Group, Kind, catalogue_frame
from leadscore.features.settings import load_settings


def test_the_catalogue_table_keeps_the_order_and_gives_every_feature_a_family() -> None:
    features = [
        Feature("n_page_pricing_7d", "engagement", "Pricing visits, 7 days", family="pricing"),
        Feature("seniority", "fit", "Seniority from the job title", kind="categorical"),
        Feature("n_page_pricing_30d", "engagement", "Pricing visits, 30 days", family="pricing"),
    ]
    frame = catalogue_frame(features)
    assert frame.columns.tolist() == ["name", "group", "kind", "family", "description"]
    assert frame["name"].tolist() == ["n_page_pricing_7d", "seniority", "n_page_pricing_30d"]
    # A feature without a family is a family of its own: explanations need one for each.
    assert frame["family"].tolist() == ["pricing", "seniority", "pricing"]
    assert frame.loc[1, "kind"] == "categorical" and frame.loc[0, "kind"] == "numeric"


def test_the_behaviour_catalogue_uses_only_known_groups_and_kinds() -> None:
    features = behaviour_features(load_settings())
    frame = catalogue_frame(features)
    assert set(frame["group"]) == set(get_args(Group))  # every group is used, no other
    assert set(frame["kind"]) <= set(get_args(Kind))
    assert frame["name"].is_unique
    assert frame["description"].str.len().gt(10).all()
