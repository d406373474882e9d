from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = "Enrollment"

    def ready(self) -> None:
        from enrollment import overview, personal_data, receivers

        personal_data.register()
        receivers.register()
        overview.register()
