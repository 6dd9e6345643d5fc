"""Console URLs of the reports package, included under /console/reports/ (password + second factor)."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.reports_home, name="home"),
    path("request/<str:kind>/", views.export_request, name="export_request"),
    path("exports/<uuid:export_id>/", views.export_detail, name="export_detail"),
    path("exports/<uuid:export_id>/pdf/", views.export_download, name="export_download"),
    path("dossier/", views.dossier_export, name="dossier"),
    path("kpk-forwarding/", views.kpk_export, name="kpk_forwarding"),
    path("forwarding/", views.forwarding_start, name="forwarding_start"),
    path("forwarding/<str:number>/", views.forwarding, name="forwarding"),
    path("statistics/", views.statistics_page, name="statistics"),
    path("statistics.csv", views.statistics_csv, name="statistics_csv"),
]
