from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class CatalogConfig(AppConfig):
    name = "catalog"

    def ready(self) -> None:
        from tenants.models import Tenant, Unit

        # Catalog pages show units' names and brands and the tenant's name; tenants cannot call
        # the catalog (it sits below it), so the catalog listens for their saves to drop its cache.
        for model in (Unit, Tenant):
            post_save.connect(_unit_or_tenant_changed, sender=model, dispatch_uid=f"catalog-{model.__name__}")
            post_delete.connect(
                _unit_or_tenant_changed, sender=model, dispatch_uid=f"catalog-del-{model.__name__}"
            )


def _unit_or_tenant_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    from catalog.cache import catalog_changed

    catalog_changed(instance.tenant_id if hasattr(instance, "tenant_id") else instance.pk)
