import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.models import PilotRole
from portfolio.models import Pilot


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for name in extracted or ():
            self.groups.add(Group.objects.get(name=name))


class PilotFactory(factory.django.DjangoModelFactory):
    """A pilot row; pass `owner=user` to make that user its business owner."""

    class Meta:
        model = Pilot
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Pilot {n}")
    business_unit = "Finance"
    summary = "A pilot made by a test."

    @factory.post_generation
    def owner(self, create, extracted, **kwargs):
        if extracted is not None:
            PilotRole.objects.create(pilot=self, role="business_owner", user=extracted)
