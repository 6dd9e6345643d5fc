"""Reference data: the Kota Semarang organisations of DOMAIN.md §6 (verify before production)."""

from django.db import migrations
from django.utils.text import slugify

KECAMATAN = [
    "Banyumanik", "Candisari", "Gajahmungkur", "Gayamsari", "Genuk", "Gunungpati", "Mijen", "Ngaliyan",
    "Pedurungan", "Semarang Barat", "Semarang Selatan", "Semarang Tengah", "Semarang Timur",
    "Semarang Utara", "Tembalang", "Tugu",
]
BADAN = ["Inspektorat", "Bappeda", "BRIDA", "BKPP", "BPKAD", "Bapenda", "Kesbangpol", "BPBD"]
LAINNYA = ["Satpol PP", "RSD K.R.M.T. Wongsonegoro", "Sekretariat DPRD", "Sekretariat Daerah"]
DINAS = [
    "Pendidikan", "Kesehatan", "Pekerjaan Umum", "Penataan Ruang", "Perumahan dan Kawasan Permukiman",
    "Ketahanan Pangan", "Lingkungan Hidup", "Kependudukan dan Pencatatan Sipil",
    "Pengendalian Penduduk dan KB", "Perhubungan", "Arsip dan Perpustakaan", "Perikanan", "Pertanian",
    "Perdagangan", "Perindustrian", "Koperasi dan Usaha Mikro", "Penanaman Modal dan PTSP",
    "Kepemudaan dan Olah Raga", "Kebudayaan dan Pariwisata", "Pemadam Kebakaran", "Sosial", "Tenaga Kerja",
    "Pemberdayaan Perempuan dan Perlindungan Anak", "Komunikasi Informatika Statistik dan Persandian",
]


def organisations():
    yield from (("kecamatan", f"Kecamatan {name}") for name in KECAMATAN)
    yield from (("badan", name) for name in BADAN)
    yield from (("lainnya", name) for name in LAINNYA)
    yield from (("dinas", f"Dinas {name}") for name in DINAS)


def add(apps, schema_editor):
    Organisation = apps.get_model("casework", "Organisation")
    for kind, name in organisations():
        Organisation.objects.update_or_create(code=slugify(name), defaults={"name": name, "kind": kind})


def remove(apps, schema_editor):
    Organisation = apps.get_model("casework", "Organisation")
    Organisation.objects.filter(code__in=[slugify(name) for _kind, name in organisations()]).delete()


class Migration(migrations.Migration):
    dependencies = [("casework", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
