from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        from identity import personal_data
        from identity.registry import register_personal_data

        register_personal_data("account", export=personal_data.export, erase=personal_data.erase)
