from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Learning access"

    def ready(self) -> None:
        from access import my_learning, personal_data, presenters
        from access.services.listeners import status_changed
        from enrollment import extensions

        extensions.status_listeners.register("access", status_changed)
        extensions.my_learning.register("access", presenters.my_learning)
        extensions.roster_extras.register("access", presenters.roster_extra)
        my_learning.register()
        personal_data.register()
