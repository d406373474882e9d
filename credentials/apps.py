from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    name = "credentials"
    verbose_name = "Credentials"

    def ready(self) -> None:
        from credentials import personal_data
        from credentials.services.listeners import completion_changed, completions_changed
        from enrollment import extensions

        extensions.completion_listeners.register("credentials", completion_changed)
        extensions.completion_batch_listeners.register("credentials", completions_changed)
        personal_data.register()
