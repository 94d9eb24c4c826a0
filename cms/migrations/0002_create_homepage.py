from django.db import migrations


def create_homepage(apps, schema_editor):
    """Replace Wagtail's welcome page with our HomePage as the default site's root."""
    content_type_model = apps.get_model("contenttypes.ContentType")
    page_model = apps.get_model("wagtailcore.Page")
    site_model = apps.get_model("wagtailcore.Site")
    home_model = apps.get_model("cms.HomePage")
    locale = apps.get_model("wagtailcore.Locale").objects.order_by("pk").first()

    page_model.objects.filter(depth=2, slug="home").delete()
    home_type, _ = content_type_model.objects.get_or_create(model="homepage", app_label="cms")
    home = home_model.objects.create(
        title="职业健康达人", draft_title="职业健康达人", slug="home", content_type=home_type,
        path="00010001", depth=2, numchild=0, url_path="/home/", live=True, locale=locale,
        intro="面向劳动者、用人单位和疾控机构的职业健康培训、考试与知识普及平台。",
    )
    site_model.objects.update_or_create(is_default_site=True, defaults={
        "hostname": "localhost", "port": 80, "root_page_id": home.id, "site_name": "职业健康达人",
    })


def remove_homepage(apps, schema_editor):
    apps.get_model("cms.HomePage").objects.filter(slug="home", depth=2).delete()


class Migration(migrations.Migration):
    dependencies = [("cms", "0001_initial")]

    operations = [migrations.RunPython(create_homepage, remove_homepage)]
