from django.apps import AppConfig


class CareersConfig(AppConfig):
    name = "parley.careers"
    label = "careers"
    verbose_name = "Careers and job applications"
