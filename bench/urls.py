"""Peluit's URL map plus the benchmark-only plaintext baseline (``/bench/baseline/...``)."""

from django.urls import path

from bench.baseline import views
from config.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

urlpatterns = [
    path("bench/baseline/wbs/", views.wbs_form, name="bench_baseline_wbs"),
    path("bench/baseline/api/wbs", views.wbs_api, name="bench_baseline_api_wbs"),
    *urlpatterns,
]
