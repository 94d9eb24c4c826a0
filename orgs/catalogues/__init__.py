"""The national catalogues shipped as CSV and the loader that migrations and `load_catalogues` use.

Where each file's facts come from is in SOURCES.md beside them. Loading never deletes an item that
something may point at, and is idempotent: a second run finds nothing to change.

Items of the two numbered catalogues (hazard factors, occupational diseases) are matched to the rows
already stored by their number within their class first, then by name, then by a former spelling
(hazard_renames.csv), so a correction of a name keeps every worker, question, article and course that
points at the item; the old spelling is kept as a former name, which imports still recognise."""

from __future__ import annotations

import csv
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.text import fold

HERE = Path(__file__).resolve().parent
HAZARD_CLASS_ORDER = ("dust", "chemical", "physical", "radiation", "biological", "other")
PARTS = ("regions", "industries", "hazards", "diseases")


@dataclass
class Changes:
    """What one catalogue's load did. ``retired`` items are kept but no longer listed."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    renamed: list[tuple[str, str]] = field(default_factory=list)
    merged: list[tuple[str, str]] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.retired or self.merged)

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "created": self.created, "updated": self.updated, "renamed": self.renamed,
                "merged": self.merged, "retired": self.retired}


def rows(name: str) -> list[dict[str, str]]:
    with (HERE / name).open(encoding="utf-8", newline="") as handle:
        return [{key: (value or "").strip() for key, value in row.items()} for row in csv.DictReader(handle)]


def load_catalogues(apps: Any = None, parts: tuple[str, ...] = PARTS) -> dict[str, Changes]:
    """Insert what is missing, correct what differs, retire what the files no longer list."""
    if apps is None:
        from django.apps import apps as django_apps

        apps = django_apps
    report: dict[str, Changes] = {}
    if "regions" in parts:
        report["regions"] = _load_tree(apps.get_model("orgs", "Region"), rows("regions.csv"))
    if "industries" in parts:
        report["industries"] = _load_tree(apps.get_model("orgs", "Industry"), rows("industries.csv"))
    if "hazards" in parts:
        report["hazards"] = _load_hazards(apps)
    if "diseases" in parts:
        report["diseases"] = _load_diseases(apps)
    return report


def _load_tree(model: Any, tree_rows: list[dict[str, str]]) -> Changes:
    changes = Changes(rows=len(tree_rows))
    existing = dict(model.objects.values_list("code", "name"))
    # Parents come before children in the files, so one ordered pass keeps foreign keys valid.
    tree_rows.sort(key=lambda row: (int(row["level"]), row["code"]))
    created = [model(code=row["code"], name=row["name"], parent_id=row["parent_code"] or None, level=int(row["level"]))
               for row in tree_rows if row["code"] not in existing]
    model.objects.bulk_create(created)
    changed = [model(code=row["code"], name=row["name"]) for row in tree_rows
               if row["code"] in existing and existing[row["code"]] != row["name"]]
    model.objects.bulk_update(changed, ["name"], batch_size=500)
    changes.created, changes.updated = len(created), len(changed)
    return changes


def _words(*values: str) -> list[str]:
    """The distinct words of |-separated values, first spelling of each folded word kept."""
    seen: set[str] = set()
    words = []
    for value in values:
        for word in value.split("|"):
            word = word.strip()
            if word and fold(word) not in seen:
                seen.add(fold(word))
                words.append(word)
    return words


def _set(instance: Any, values: dict[str, Any]) -> bool:
    """Assign ``values``; whether anything differed."""
    differs = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            differs = True
    return differs


def move_references(model: Any, source: Any, target: Any) -> None:
    """Point everything that points at ``source`` at ``target`` instead (foreign keys and
    many-to-many rows of every app), so ``source`` can go without losing a link."""
    # Hidden relations (related_name="+") point here too: a question's factor is one of them.
    # The many-to-many tables' own keys are handled with their relation, never on their own.
    relations = [field for field in model._meta.get_fields(include_hidden=True)
                 if field.auto_created and not field.concrete
                 and (field.many_to_many or ((field.one_to_many or field.one_to_one)
                                             and not field.related_model._meta.auto_created))]
    for relation in relations:
        related = relation.related_model
        if relation.many_to_many:
            m2m = relation.field
            through = m2m.remote_field.through
            ours, theirs = m2m.m2m_reverse_field_name(), m2m.m2m_field_name()
            linked = set(through.objects.filter(**{ours: target}).values_list(theirs, flat=True))
            through.objects.filter(**{ours: source, f"{theirs}__in": linked}).delete()
            through.objects.filter(**{ours: source}).update(**{ours: target})
        else:
            related._base_manager.filter(**{relation.field.name: source}).update(**{relation.field.name: target})


@dataclass
class _Wanted:
    """A row of a numbered catalogue. ``place`` is its parent (class) and, for diseases, the group;
    ``number`` is None where the row's number could not be traced."""

    place: dict[str, Any]
    number: int | None
    name: str
    values: dict[str, Any]
    old_names: list[str] = field(default_factory=list)


def _match(model: Any, stored: list[Any], wanted: list[_Wanted], changes: Changes) -> None:
    """Bring ``stored`` (every row of ``model``) in line with ``wanted``: match, rename keeping the old
    spelling, merge duplicates, create, and retire what no row wants."""
    place_fields = list(wanted[0].place) if wanted else []
    parent_field = place_fields[0] if place_fields else ""

    def place_of(item: Any) -> tuple[Any, ...]:
        return tuple(getattr(item, name) for name in place_fields)

    by_number = {(place_of(item), item.number): item for item in stored if item.number is not None}
    by_name: dict[tuple[Any, str], list[Any]] = defaultdict(list)
    for item in stored:
        by_name[(getattr(item, parent_field), fold(item.name))].append(item)
    claimed: set[int] = set()
    found: list[list[Any]] = []
    # A name is the surest identity, so every row claims by name (or a former spelling) within its
    # class first; the number then finds an item whose name was corrected without a rename entry.
    for row in wanted:
        free = []
        for spelling in (row.name, *row.old_names):
            for item in by_name.get((row.place[parent_field], fold(spelling)), []):
                if item.pk not in claimed and item not in free:
                    free.append(item)
        claimed.update(item.pk for item in free)
        found.append(free)
    for row, free in zip(wanted, found, strict=True):
        numbered = by_number.get((tuple(row.place.values()), row.number)) if row.number is not None else None
        if not free and numbered is not None and numbered.pk not in claimed:
            free.append(numbered)
            claimed.add(numbered.pk)
    plan: list[tuple[_Wanted, Any, list[Any]]] = [
        (row, free[0] if free else None, free[1:]) for row, free in zip(wanted, found, strict=True)]

    retiring = [item for item in stored if item.pk not in claimed and (item.in_catalogue or item.number is not None)]
    # Names and numbers are unique: park the ones that change where nothing else is, then set them.
    moving = [item for row, item, _dups in plan if item is not None
              and (place_of(item), item.number) != (tuple(row.place.values()), row.number)]
    model._base_manager.filter(pk__in=[item.pk for item in moving + retiring]).update(number=None)
    renaming = [item for row, item, _dups in plan if item is not None and item.name != row.name]
    for item in renaming:
        model._base_manager.filter(pk=item.pk).update(name=f"\x1f{item.pk}")
    for row, item, duplicates in plan:
        if item is None:
            continue
        former = [item.name] if item.name != row.name else []
        for duplicate in duplicates:
            move_references(model, duplicate, item)
            former.extend([duplicate.name, *_words(duplicate.former_names)])
            changes.merged.append((duplicate.name, row.name))
            model._base_manager.filter(pk=duplicate.pk).delete()
        if item.name != row.name:
            changes.renamed.append((item.name, row.name))
        formers = [word for word in _words(item.former_names, *former) if fold(word) != fold(row.name)]
        values = {**row.values, **row.place, "number": row.number, "name": row.name,
                  "former_names": "|".join(formers), "in_catalogue": True}
        if _set(item, values) or duplicates:
            item.save()
            changes.updated += 1
    created = [model(**{**row.values, **row.place, "number": row.number, "name": row.name,
                        "in_catalogue": True}) for row, item, _dups in plan if item is None]
    model.objects.bulk_create(created)
    changes.created += len(created)
    for item in retiring:
        model._base_manager.filter(pk=item.pk).update(in_catalogue=False, number=None)
        changes.retired.append(item.name)


def _load_hazards(apps: Any) -> Changes:
    class_model, factor_model = apps.get_model("orgs", "HazardClass"), apps.get_model("orgs", "HazardFactor")
    hazard_rows = rows("hazards.csv")
    changes = Changes(rows=len(hazard_rows))
    for position, code in enumerate(HAZARD_CLASS_ORDER):
        name = next(row["class_name"] for row in hazard_rows if row["class_code"] == code)
        hazard_class = class_model.objects.filter(code=code).first()
        if hazard_class is None:
            class_model.objects.create(code=code, name=name, position=position)
        elif _set(hazard_class, {"name": name, "position": position}):
            hazard_class.save()
    old_names: dict[str, list[str]] = defaultdict(list)
    for rename in rows("hazard_renames.csv"):
        if rename["new_name"]:
            old_names[rename["new_name"]].append(rename["old_name"])
    wanted = [
        _Wanted(place={"hazard_class_id": row["class_code"]}, number=int(row["number"]) if row["number"] else None,
                name=row["name"], old_names=old_names[row["name"]],
                values={"cas_no": row["cas_no"], "remark": row["remark"], "aliases": "|".join(_words(row["aliases"])),
                        "verified": bool(row["sources"]), "position": position})
        for position, row in enumerate(hazard_rows)
    ]
    _match(factor_model, list(factor_model._base_manager.all()), wanted, changes)
    return changes


def _date(value: str) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _load_diseases(apps: Any) -> Changes:
    catalogue_model = apps.get_model("orgs", "DiseaseCatalogue")
    class_model = apps.get_model("orgs", "DiseaseClass")
    disease_model = apps.get_model("orgs", "OccupationalDisease")
    disease_rows = rows("diseases.csv")
    changes = Changes(rows=len(disease_rows))
    for edition in rows("disease_catalogues.csv"):
        values = {"title": edition["title"], "document": edition["document"], "issued_on": _date(edition["issued_on"]),
                  "in_force_from": _date(edition["in_force_from"]), "in_force_until": _date(edition["in_force_until"])}
        catalogue = catalogue_model.objects.filter(code=edition["code"]).first()
        if catalogue is None:
            catalogue_model.objects.create(code=edition["code"], **values)
        elif _set(catalogue, values):
            catalogue.save()
    classes = {(item.catalogue_id, item.number): item for item in class_model.objects.all()}
    for row in disease_rows:
        key = (row["edition"], int(row["class_number"]))
        disease_class = classes.get(key)
        if disease_class is None:
            classes[key] = class_model.objects.create(catalogue_id=key[0], number=key[1], name=row["class_name"])
        elif _set(disease_class, {"name": row["class_name"]}):
            disease_class.save()
    wanted = [
        _Wanted(place={"disease_class_id": classes[(row["edition"], int(row["class_number"]))].pk, "group": row["group"]},
                number=int(row["number"]), name=row["name"],
                values={"aliases": "|".join(_words(row["aliases"])), "verified": bool(row["sources"]),
                        "position": position})
        for position, row in enumerate(disease_rows)
    ]
    # Names repeat between editions, so each edition's classes are matched on their own.
    by_edition: dict[str, list[_Wanted]] = defaultdict(list)
    class_edition = {item.pk: catalogue for (catalogue, _number), item in classes.items()}
    for row in wanted:
        by_edition[class_edition[row.place["disease_class_id"]]].append(row)
    for edition, edition_rows in by_edition.items():
        stored = list(disease_model._base_manager.filter(disease_class__catalogue_id=edition))
        _match(disease_model, stored, edition_rows, changes)
    return changes
