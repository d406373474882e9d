from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants and units"

    def ready(self) -> None:
        from identity.registry import register_personal_data
        from tenants import personal_data

        register_personal_data(
            "staff",
            export=personal_data.export,
            erase=personal_data.erase,
            blocker=personal_data.deletion_blocker,
        )
