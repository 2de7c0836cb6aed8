"""Categories of the marketplace as brand admins edit them: a tree at most
``MAX_CATEGORY_DEPTH`` deep, with unique slugs. Field checks are the catalog's."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from accounts.models import User
from core.audit import audit_log
from core.errors import field_error
from marketplace.error_codes import CatalogErrorCode as Code
from marketplace.models import Category
from marketplace.services.catalog import _text, _unique_slug, _whole

MAX_CATEGORY_DEPTH = 5


def _category_values(name: Any, slug: Any, position: Any) -> dict[str, Any]:
    errors: dict[str, ValidationError] = {}
    cleaned: dict[str, Any] = {}
    if name is not None:
        cleaned["name"] = _text(name, "name", 80, errors)
        if not cleaned["name"] and "name" not in errors:
            errors["name"] = ValidationError("Name the category.", code=Code.REQUIRED)
    if slug is not None:
        cleaned["slug"] = slugify(str(slug))
        if not cleaned["slug"] or len(cleaned["slug"]) > 80:
            errors["slug"] = ValidationError(
                "Use letters, digits and dashes (at most 80).", code=Code.INVALID
            )
    if position is not None:
        cleaned["position"] = _whole(position, "position", 0, 10_000, errors)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_parent(category_id: int | None, parent: Category | None) -> None:
    """Refuse a parent under the category itself, and trees deeper than MAX_CATEGORY_DEPTH.
    The whole (small) tree is locked, so two concurrent moves cannot build a cycle together."""
    parent_of = dict(Category.objects.select_for_update().values_list("id", "parent_id"))
    if parent is None:
        return
    depth = 1
    current_id: int | None = parent.pk
    while current_id is not None:
        if current_id == category_id:
            raise field_error("parentId", "A category cannot move under itself.", Code.CATEGORY_CYCLE)
        depth += 1
        current_id = parent_of.get(current_id)
    subtree_depth = 0
    if category_id is not None:
        children: dict[int, list[int]] = {}
        for pk, parent_id in parent_of.items():
            if parent_id is not None:
                children.setdefault(parent_id, []).append(pk)
        level = [category_id]
        while level:
            subtree_depth += 1
            level = [child for pk in level for child in children.get(pk, [])]
        subtree_depth -= 1
    if depth + subtree_depth > MAX_CATEGORY_DEPTH:
        raise field_error(
            "parentId", f"Categories nest at most {MAX_CATEGORY_DEPTH} levels.", Code.CATEGORY_TOO_DEEP
        )


def category_create(
    *, actor: User | None, name: str, slug: str = "", parent: Category | None = None, position: int = 0
) -> Category:
    cleaned = _category_values(name, slug or None, position)
    try:
        with transaction.atomic():
            _check_parent(None, parent)
            if "slug" not in cleaned:
                cleaned["slug"] = _unique_slug(Category, slugify(cleaned["name"]) or "category", 80)
            category = Category.objects.create(parent=parent, **cleaned)
            audit_log(actor=actor, action="category.created", target=category)
    except IntegrityError as error:
        raise field_error("slug", "Another category uses this slug.", Code.SLUG_TAKEN) from error
    return category


def category_update(
    *,
    actor: User | None,
    category: Category,
    name: str | None = None,
    slug: str | None = None,
    position: int | None = None,
    move: bool = False,
    parent: Category | None = None,
) -> Category:
    """Rename or reorder a category, and with ``move`` put it under ``parent`` (None: a root)."""
    cleaned = _category_values(name, slug, position)
    try:
        with transaction.atomic():
            if move:
                _check_parent(category.pk, parent)
                cleaned["parent"] = parent
            locked = Category.objects.select_for_update().get(pk=category.pk)
            for field, value in cleaned.items():
                setattr(locked, field, value)
            locked.save()
            audit_log(
                actor=actor,
                action="category.updated",
                target=locked,
                fields=sorted(cleaned),
                parent=locked.parent_id,
            )
    except IntegrityError as error:
        raise field_error("slug", "Another category uses this slug.", Code.SLUG_TAKEN) from error
    return locked


def category_delete(*, actor: User | None, category: Category) -> None:
    """Only a leaf goes; its products stay, without it."""
    with transaction.atomic():
        if Category.objects.filter(parent=category).exists():
            raise field_error("id", "Move or delete its subcategories first.", Code.CATEGORY_NOT_EMPTY)
        audit_log(actor=actor, action="category.deleted", target=category, slug=category.slug)
        category.delete()
