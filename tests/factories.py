"""factory_boy factories for variations; personas (tests/conftest.py) are built from these."""

from __future__ import annotations

import datetime as dt
import itertools

import factory

from orgs.idnumbers import id_number_make, uscc_make
from orgs.models import Employer, Industry, PostRole, Region, User, Worker

_sequence = itertools.count(1)


def unique_id_number(region: str = "320303") -> str:
    number = next(_sequence)
    birth = dt.date(1970, 1, 1) + dt.timedelta(days=number * 37 % 12000)
    return id_number_make(region, birth, number % 1000)


def unique_phone() -> str:
    return f"137{next(_sequence):08d}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="zh_CN")
    password = factory.django.Password("pass-Word-123")


class EmployerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employer

    name = factory.Sequence(lambda n: f"测试单位{n}有限公司")
    credit_code = factory.Sequence(lambda n: uscc_make("91", "320303", f"MA{n + 9000000:07d}"))
    region = factory.LazyFunction(lambda: Region.objects.get(code="320303"))
    industry = factory.LazyFunction(lambda: Industry.objects.get(code="06"))
    size_class = Employer.Size.MEDIUM


class WorkerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Worker

    employer = factory.SubFactory(EmployerFactory)
    name = factory.Faker("name", locale="zh_CN")
    id_number = factory.LazyFunction(unique_id_number)
    phone = factory.LazyFunction(unique_phone)
    user = factory.LazyAttribute(lambda o: UserFactory(username=o.phone, full_name=o.name))
    post = "操作工"
    post_role = PostRole.EXPOSED
