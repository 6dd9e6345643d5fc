"""The nine elements of the satisfaction survey and the quality categories of Permenpan RB 14/2017.

The questions follow the regulation's model questionnaire, worded for reporting to the Inspektorat; the
inspectorate may reword them in the tables (``casework.SurveyElement``, ``casework.SatisfactionCategory``).
"""

from decimal import Decimal

from django.db import migrations

# (code, name id, name en, question id, question en, answers 1-4 id, answers 1-4 en)
ELEMENTS = [
    ("U1", "Persyaratan", "Requirements",
     "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelaporan dengan jenis layanannya?",
     "How well did the requirements for making a report suit the service?",
     "Tidak sesuai|Kurang sesuai|Sesuai|Sangat sesuai",
     "Not suitable|Not very suitable|Suitable|Very suitable"),
    ("U2", "Sistem, mekanisme, dan prosedur", "System, mechanism and procedure",
     "Bagaimana pemahaman Saudara tentang kemudahan prosedur pelaporan dan tindak lanjutnya?",
     "How easy was the procedure for reporting and following up?",
     "Tidak mudah|Kurang mudah|Mudah|Sangat mudah",
     "Not easy|Not very easy|Easy|Very easy"),
    ("U3", "Waktu penyelesaian", "Time to completion",
     "Bagaimana pendapat Saudara tentang kecepatan waktu penanganan laporan Saudara?",
     "How fast was your report handled?",
     "Tidak cepat|Kurang cepat|Cepat|Sangat cepat",
     "Not fast|Not very fast|Fast|Very fast"),
    ("U4", "Biaya/tarif", "Cost or fee",
     "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam layanan ini?",
     "What do you think of the cost or fee of this service?",
     "Sangat mahal|Cukup mahal|Murah|Gratis",
     "Very expensive|Rather expensive|Cheap|Free"),
    ("U5", "Produk spesifikasi jenis pelayanan", "Product of the service",
     "Bagaimana pendapat Saudara tentang kesesuaian hasil layanan dengan yang tercantum dalam standar pelayanan?",
     "How well did the result of the service match what the service standard promises?",
     "Tidak sesuai|Kurang sesuai|Sesuai|Sangat sesuai",
     "Not matching|Not very matching|Matching|Fully matching"),
    ("U6", "Kompetensi pelaksana", "Competence of the staff",
     "Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam menangani laporan?",
     "How competent were the staff who handled the report?",
     "Tidak kompeten|Kurang kompeten|Kompeten|Sangat kompeten",
     "Not competent|Not very competent|Competent|Very competent"),
    ("U7", "Perilaku pelaksana", "Conduct of the staff",
     "Bagaimana pendapat Saudara tentang perilaku petugas terkait kesopanan dan keramahan?",
     "How courteous and friendly were the staff?",
     "Tidak sopan dan ramah|Kurang sopan dan ramah|Sopan dan ramah|Sangat sopan dan ramah",
     "Not courteous|Not very courteous|Courteous and friendly|Very courteous and friendly"),
    ("U8", "Penanganan pengaduan, saran dan masukan", "Handling of complaints and suggestions",
     "Bagaimana pendapat Saudara tentang penanganan pengaduan, saran dan masukan atas layanan ini?",
     "How are complaints and suggestions about this service handled?",
     "Tidak ada|Ada tetapi tidak berfungsi|Berfungsi kurang maksimal|Dikelola dengan baik",
     "There is no way|There is one but it does not work|It works but not fully|Well handled"),
    ("U9", "Sarana dan prasarana", "Facilities",
     "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana pelaporan (laman, formulir, kotak masuk)?",
     "What do you think of the facilities for reporting (the website, forms and inbox)?",
     "Buruk|Cukup|Baik|Sangat baik",
     "Poor|Fair|Good|Very good"),
]

# (lower, upper, grade, performance id, performance en): Permenpan RB 14/2017, nilai interval konversi.
CATEGORIES = [
    ("25.00", "64.99", "D", "Tidak baik", "Poor"),
    ("65.00", "76.60", "C", "Kurang baik", "Fair"),
    ("76.61", "88.30", "B", "Baik", "Good"),
    ("88.31", "100.00", "A", "Sangat baik", "Very good"),
]


def add(apps, schema_editor):
    """Fill the survey's tables (also called by the tests after a flush)."""
    SurveyElement = apps.get_model("casework", "SurveyElement")
    SatisfactionCategory = apps.get_model("casework", "SatisfactionCategory")
    for position, (code, name_id, name_en, question_id, question_en, answers_id, answers_en) in enumerate(ELEMENTS):
        SurveyElement.objects.create(
            code=code, position=position, name_id=name_id, name_en=name_en, question_id=question_id,
            question_en=question_en, answers_id=answers_id, answers_en=answers_en,
        )
    for lower, upper, grade, label_id, label_en in CATEGORIES:
        SatisfactionCategory.objects.create(
            lower=Decimal(lower), upper=Decimal(upper), grade=grade, label_id=label_id, label_en=label_en
        )


def remove(apps, schema_editor):
    apps.get_model("casework", "SurveyElement").objects.all().delete()
    apps.get_model("casework", "SatisfactionCategory").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("casework", "0010_survey")]

    operations = [migrations.RunPython(add, remove)]
