from django.db import models
from django.test.utils import isolate_apps

from parley.crypto.fields import EncryptedTextField
from parley.privacy.checks import check_model, privacy_registry_check
from parley.privacy.registry import CONTRACT, PersonalField, Retention, declare


def test_p30_the_installed_models_pass_the_registry_check():
    assert privacy_registry_check() == []


@isolate_apps("parley.privacy")
def test_p30_an_undeclared_model_fails_the_check():
    class Note(models.Model):
        body = models.TextField()

        class Meta:
            app_label = "privacy"

    assert [e.id for e in check_model(Note)] == ["parley.E001"]


@isolate_apps("parley.privacy")
def test_p13_an_undeclared_personal_field_fails_the_check():
    class Contact(models.Model):
        phone = models.CharField(max_length=30)

        class Meta:
            app_label = "privacy"

    declare(Contact, {})
    errors = check_model(Contact)
    assert [e.id for e in errors] == ["parley.E003"]
    assert "Contact.phone" in errors[0].msg


@isolate_apps("parley.privacy")
def test_p07_a_declared_personal_field_that_is_not_encrypted_fails_the_check():
    class Applicant(models.Model):
        email = models.CharField(max_length=200)

        class Meta:
            app_label = "privacy"

    declare(Applicant, {"email": PersonalField("contact", "Applying", CONTRACT, Retention.ACCOUNT)})
    assert [e.id for e in check_model(Applicant)] == ["parley.E004"]


@isolate_apps("parley.privacy")
def test_an_undeclared_encrypted_field_fails_the_check_too():
    import uuid

    class Secret(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        payload = EncryptedTextField()

        class Meta:
            app_label = "privacy"

        def crypto_scope(self):  # pragma: no cover - not called
            raise NotImplementedError

    declare(Secret, {})
    assert [e.id for e in check_model(Secret)] == ["parley.E003"]


def test_p30_every_declared_field_has_category_purpose_legal_basis_and_retention():
    from parley.privacy import declarations_loaded
    from parley.privacy.registry import RETENTION_TEXT, declarations

    declarations_loaded()
    for declaration in declarations():
        for name, field in declaration.fields.items():
            assert field.category and field.purpose and field.legal_basis, (declaration.model, name)
            assert field.retention in RETENTION_TEXT
