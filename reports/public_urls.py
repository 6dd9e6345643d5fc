"""Public URLs of the reports package (inside ``i18n_patterns``: Indonesian unprefixed, English under /en/).

The data URLs are stable: ``/transparansi/data/datapackage.json`` (the latest year),
``/transparansi/data/<year>/datapackage.json`` and ``/transparansi/data/<year>/<table>.csv`` or ``.json``.
"""

from django.urls import path, re_path

from reports import public_views

urlpatterns = [
    path("transparansi/", public_views.transparency_page, name="transparency"),
    path("transparansi/data/datapackage.json", public_views.data_package, name="transparency_package_latest"),
    re_path(
        r"^transparansi/data/(?P<year>[^/]{1,12})/datapackage\.json$",
        public_views.data_package,
        name="transparency_package",
    ),
    re_path(
        r"^transparansi/data/(?P<year>[^/]{1,12})/(?P<name>[a-z_]{1,32})\.(?P<fmt>[a-z]{1,8})$",
        public_views.data_resource,
        name="transparency_data",
    ),
    re_path(r"^transparansi/(?P<year>[^/]{1,12})/$", public_views.transparency_page, name="transparency_year"),
    path("standar-layanan/", public_views.service_standard_page, name="service_standard"),
    path("standar-layanan/pdf/", public_views.service_standard_download, name="service_standard_pdf"),
]
