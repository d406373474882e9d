from django.apps import AppConfig


class DemandConfig(AppConfig):
    name = "demand"
    verbose_name = "Demand"

    def ready(self) -> None:
        from demand import receivers

        receivers.register()
