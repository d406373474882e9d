from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Learning access"

    def ready(self) -> None:
        from access import my_learning, personal_data

        my_learning.register()
        personal_data.register()
