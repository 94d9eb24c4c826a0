"""The national catalogues shipped as CSV (regions GB/T 2260, industries GB/T 4754-2017, hazard
factors 2015) and the loader that migrations and `load_catalogues` use."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
HAZARD_CLASS_ORDER = ("dust", "chemical", "physical", "radiation", "biological", "other")


def _rows(name: str) -> list[dict[str, str]]:
    with (HERE / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_catalogues(apps: Any = None) -> dict[str, int]:
    """Insert what is missing and correct names; never delete (employers and workers point here)."""
    if apps is None:
        from django.apps import apps as django_apps

        apps = django_apps
    region_model = apps.get_model("orgs", "Region")
    industry_model = apps.get_model("orgs", "Industry")
    counts = {
        "regions": _load_tree(region_model, _rows("regions.csv")),
        "industries": _load_tree(industry_model, _rows("industries.csv")),
        "hazards": _load_hazards(apps.get_model("orgs", "HazardClass"), apps.get_model("orgs", "HazardFactor")),
    }
    return counts


def _load_tree(model: Any, rows: list[dict[str, str]]) -> int:
    existing = set(model.objects.values_list("code", flat=True))
    # Parents come before children in the files, so one ordered pass keeps foreign keys valid.
    rows.sort(key=lambda row: (int(row["level"]), row["code"]))
    model.objects.bulk_create([
        model(code=row["code"], name=row["name"], parent_id=row["parent_code"] or None, level=int(row["level"]))
        for row in rows if row["code"] not in existing
    ])
    changed = [model(code=row["code"], name=row["name"]) for row in rows if row["code"] in existing]
    model.objects.bulk_update(changed, ["name"], batch_size=500)
    return len(rows)


def _load_hazards(class_model: Any, factor_model: Any) -> int:
    rows = _rows("hazards.csv")
    for position, code in enumerate(HAZARD_CLASS_ORDER):
        name = next(row["class_name"] for row in rows if row["class_code"] == code)
        class_model.objects.update_or_create(code=code, defaults={"name": name, "position": position})
    known = {factor.name: factor for factor in factor_model.objects.all()}
    created = []
    for position, row in enumerate(rows):
        values = {"hazard_class_id": row["class_code"], "cas_no": row["cas_no"], "aliases": row["aliases"],
                  "position": position}
        factor = known.get(row["name"])
        if factor is None:
            created.append(factor_model(name=row["name"], **values))
        else:
            for field, value in values.items():
                setattr(factor, field, value)
            factor.save()
    factor_model.objects.bulk_create(created)
    return len(rows)
