"""Cases: reference data (organisations, gratification thresholds), cases, their numbers, messages and files."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit import clock
from casework.rules import gratification as gift_rules
from casework.staff.models import StaffUser

# The queue's "soonest deadline first" order, shared by its indexes and casework.cases.queue.
DUE_ORDER_EXPRESSIONS = (
    models.ExpressionWrapper(models.Q(due_on__isnull=True), output_field=models.BooleanField()),
    F("due_on"),
    F("received_at"),
    F("number"),
)


class Organisation(models.Model):
    """A unit of the city government (OPD, kecamatan, badan ...) that a report or gift may concern."""

    class Kind(models.TextChoices):
        KECAMATAN = "kecamatan", _("District (kecamatan)")
        BADAN = "badan", _("Agency (badan)")
        DINAS = "dinas", _("Department (dinas)")
        LAINNYA = "lainnya", _("Other unit")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


# --- Cases ------------------------------------------------------------------------------------------------


class CaseKind(models.TextChoices):
    """The two kinds of report Peluit receives."""

    WBS = "wbs", _("Whistleblowing report")
    GRATIFICATION = "gratification", _("Gratification report")


# Human-readable case number prefixes: WBS-2026-000123, GRT-2026-000045.
CASE_NUMBER_PREFIX = {CaseKind.WBS: "WBS", CaseKind.GRATIFICATION: "GRT"}


class CaseStatus(models.TextChoices):
    """Every status a case can have (DOMAIN.md §2-3). The transitions between them are data (``Transition``)."""

    # WBS
    DITERIMA = "diterima", _("Received")
    VERIFIKASI = "verifikasi", _("Administrative check")
    PERLU_DILENGKAPI = "perlu_dilengkapi", _("Needs completion")
    TIDAK_MEMENUHI_SYARAT = "tidak_memenuhi_syarat", _("Not processable")
    BUKAN_WEWENANG = "bukan_wewenang", _("Outside remit, forwarded")
    TELAAH = "telaah", _("Analysis")
    BERKADAR_PENGAWASAN = "berkadar_pengawasan", _("Needs an examination")
    TIDAK_BERKADAR_PENGAWASAN = "tidak_berkadar_pengawasan", _("No examination needed")
    PEMERIKSAAN = "pemeriksaan", _("Investigative audit")
    REKOMENDASI = "rekomendasi", _("Recommendation")
    DITERUSKAN_APH = "diteruskan_aph", _("Forwarded to law enforcement")
    TINDAK_LANJUT_KEPEGAWAIAN = "tindak_lanjut_kepegawaian", _("Disciplinary follow-up")
    SELESAI = "selesai", _("Closed")
    DIARSIPKAN = "diarsipkan", _("Archived")
    # Gratification
    DITERIMA_UPG = "diterima_upg", _("Received by the UPG")
    DIVERIFIKASI = "diverifikasi", _("Verified")
    DITERUSKAN_KPK = "diteruskan_kpk", _("Forwarded to the KPK")
    SK_TERBIT = "sk_terbit", _("KPK decision issued")
    TIDAK_DAPAT_DITINDAKLANJUTI = "tidak_dapat_ditindaklanjuti", _("Cannot be followed up")
    DITOLAK_DIKEMBALIKAN = "ditolak_dikembalikan", _("Refused and returned")
    DISALURKAN_SOSIAL = "disalurkan_sosial", _("Given to a social institution")


INITIAL_STATUS = {CaseKind.WBS: CaseStatus.DITERIMA, CaseKind.GRATIFICATION: CaseStatus.DITERIMA_UPG}


class PublicStatus(models.TextChoices):
    """The coarse status a reporter sees; internal steps stay internal."""

    RECEIVED = "received", _("Received")
    NEEDS_INFO = "needs_info", _("More information needed")
    IN_PROGRESS = "in_progress", _("Being handled")
    FORWARDED = "forwarded", _("Forwarded to the competent authority")
    CLOSED = "closed", _("Closed")


class Outcome(models.TextChoices):
    """How a closed case ended (recorded when it is closed; statistics)."""

    TERBUKTI = "terbukti", _("Proven")
    TIDAK_TERBUKTI = "tidak_terbukti", _("Not proven")
    TIDAK_DAPAT_DITINDAKLANJUTI = "tidak_dapat_ditindaklanjuti", _("Cannot be followed up")
    DITERUSKAN = "diteruskan", _("Forwarded to another authority")
    DITETAPKAN_KPK = "ditetapkan_kpk", _("Decided by the KPK")
    DISALURKAN_SOSIAL = "disalurkan_sosial", _("Given to a social institution")
    DIKEMBALIKAN = "dikembalikan", _("Refused and returned")


class ForwardedTo(models.TextChoices):
    """Authorities a case can be forwarded to."""

    KPK = "kpk", _("KPK")
    KEJAKSAAN = "kejaksaan", _("Public prosecutor (Kejaksaan)")
    POLRI = "polri", _("Police (Polri)")
    APIP = "apip", _("Another internal auditor (APIP)")
    LAPOR = "lapor", _("LAPOR!/SP4N")


class Channel(models.TextChoices):
    """How a report reached the inspectorate: the web form and the API, or another channel an officer records."""

    WEB = "web", _("Web form")
    API = "api", _("JSON API")
    PHONE = "phone", _("Telephone")
    FAX = "fax", _("Fax")
    SMS_WHATSAPP = "sms_whatsapp", _("SMS/WhatsApp 1708")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")
    IN_PERSON = "in_person", _("In person")
    LAPOR = "lapor", _("LAPOR!/SP4N")
    KPK_REFERRAL = "kpk_referral", _("Referral from the KPK")


# The channels an officer records a report from (the web form and the API file their own).
RECORDED_CHANNELS = [choice for choice in Channel if choice not in (Channel.WEB, Channel.API)]


class GiftValueBand(models.TextChoices):
    """Coarse value of a gift, for statistics (the exact value stays in the sealed report)."""

    UNDER_1M = "lt_1m", _("Under Rp1,000,000")
    FROM_1M = "1m_10m", _("Rp1,000,000 to under Rp10,000,000")
    FROM_10M = "ge_10m", _("Rp10,000,000 or more (burden of proof on the recipient)")
    OTHER_CURRENCY = "other_currency", _("Other currency")


def gift_value_band(value: object, currency: str) -> str:
    """Return the band of a gift's value (``GiftValueBand``), or "" when the value is unknown."""
    if currency and currency != "IDR":
        return GiftValueBand.OTHER_CURRENCY
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    if amount < 1_000_000:
        return GiftValueBand.UNDER_1M
    if amount < 10_000_000:
        return GiftValueBand.FROM_1M
    return GiftValueBand.FROM_10M


class ViolationType(models.TextChoices):
    """WBS violation types (DOMAIN.md §2)."""

    KORUPSI = "korupsi", _("Corruption")
    SUAP = "suap", _("Bribery")
    GRATIFIKASI = "gratifikasi", _("Gratification")
    PEMERASAN = "pemerasan", _("Extortion")
    PUNGLI = "pungli", _("Illegal levy")
    PENGGELAPAN = "penggelapan", _("Embezzlement")
    BENTURAN_KEPENTINGAN = "benturan_kepentingan", _("Conflict of interest")
    PENYALAHGUNAAN_WEWENANG = "penyalahgunaan_wewenang", _("Abuse of power")
    PENGADAAN = "pengadaan", _("Procurement fraud")
    LAINNYA = "lainnya", _("Other")


class GiftType(models.TextChoices):
    """Gift types of the KPK gratification form (DOMAIN.md §3)."""

    UANG = "uang", _("Cash")
    VOUCHER = "voucher", _("Voucher or cash equivalent")
    LOGAM_MULIA = "logam_mulia", _("Gold or precious metal")
    BARANG = "barang", _("Goods")
    PARSEL = "parsel", _("Hamper")
    HIDANGAN = "hidangan", _("Meal")
    CENDERAMATA = "cenderamata", _("Souvenir")
    TIKET = "tiket", _("Ticket")
    PENGINAPAN = "penginapan", _("Lodging")
    SPONSORSHIP = "sponsorship", _("Sponsorship")
    KARANGAN_BUNGA = "karangan_bunga", _("Flower arrangement")
    DISKON = "diskon", _("Discount or rebate")
    PINJAMAN = "pinjaman", _("Interest-free loan")
    FASILITAS_LAINNYA = "fasilitas_lainnya", _("Other facility")


class GiftOccasion(models.TextChoices):
    """Occasions (peristiwa) of the KPK gratification form."""

    PERNIKAHAN = gift_rules.OCCASION_CEREMONY, _("Wedding, birth or religious/customary ceremony")
    MUSIBAH = gift_rules.OCCASION_CALAMITY, _("Calamity or bereavement")
    HARI_RAYA = "hari_raya", _("Religious holiday")
    PISAH_SAMBUT = gift_rules.OCCASION_COLLEAGUE_EVENT, _("Farewell, retirement, promotion or birthday")
    KUNJUNGAN_DINAS = "kunjungan_dinas", _("Official visit")
    SEMINAR = "seminar", _("Seminar or meeting")
    PELAYANAN = "pelayanan", _("Public service")
    PENGADAAN = "pengadaan", _("Procurement")
    AUDIT = "audit", _("Audit or inspection")
    KEPEGAWAIAN = "kepegawaian", _("Recruitment, promotion or transfer")
    LAINNYA = "lainnya", _("Other")


class GiverRelationship(models.TextChoices):
    """How the giver relates to the recipient."""

    KELUARGA = gift_rules.RELATIONSHIP_FAMILY, _("Family")
    REKAN_KERJA = gift_rules.RELATIONSHIP_COLLEAGUE, _("Colleague")
    ATASAN_BAWAHAN = "atasan_bawahan", _("Superior or subordinate")
    REKANAN = "rekanan", _("Contractor, supplier or business partner")
    PENGGUNA_LAYANAN = "pengguna_layanan", _("Member of the public using a service")
    LAINNYA = "lainnya", _("Other")


class CaseNumberSequence(models.Model):
    """How many case numbers were handed out per kind and year; its row is locked while a number is allocated.

    The number a case gets is this count passed through a keyed permutation (``vault/case_numbers.py``), so
    numbers do not tell how many reports came in between two of them.
    """

    kind = models.CharField(max_length=16, choices=CaseKind.choices)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)
    # Numbers up to this one were handed out as the sequence itself, before numbers were permuted
    # (vault/case_numbers.py); the permutation covers the numbers after it, so it never repeats one of them.
    sequential_upto = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="case_number_sequence_kind_year")]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last_value}"


class Case(models.Model):
    """A report received by the inspectorate: numbering and statistics metadata in clear, content sealed.

    The primary key is the vault's report id, bound into every ciphertext of the case.
    """

    # Purposes bound as associated data into the case's ciphertexts (see vault.services.seal).
    CONTENT_PURPOSE = "report"

    id = models.UUIDField(primary_key=True)
    number = models.CharField(_("case number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CaseKind.choices)
    status = models.CharField(_("status"), max_length=32, choices=CaseStatus.choices)
    # Coarse (audit.clock): rounded down to PELUIT_REPORTER_TIME_GRANULARITY, keeping the local date.
    received_at = models.DateTimeField(_("received at"))
    # Statistics only; nothing here identifies the reporter.
    violation_type = models.CharField(_("violation type"), max_length=32, choices=ViolationType.choices, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    gift_type = models.CharField(_("gift type"), max_length=32, choices=GiftType.choices, blank=True)
    is_refusal = models.BooleanField(_("refusal report"), default=False)
    identity_given = models.BooleanField(_("reporter identity given"), default=False)
    excluded_recipients = models.ManyToManyField(
        StaffUser,
        verbose_name=_("excluded recipients"),
        blank=True,
        related_name="excluded_from_cases",
        help_text=_("Staff the reporter asked to keep away from this case; their keys were not used."),
    )
    content = models.BinaryField(_("sealed content"))
    # Lifecycle (casework.workflow): the coarse status comes from the transition table; ``version`` refuses
    # stale forms; ``due_on`` is the earliest running clock's due date (queryable: overdue, due this week).
    version = models.PositiveIntegerField(_("version"), default=0)
    public_status = models.CharField(
        _("public status"), max_length=16, choices=PublicStatus.choices, default=PublicStatus.RECEIVED, db_index=True
    )
    due_on = models.DateField(_("due on"), null=True, blank=True, db_index=True)
    # Triage metadata in clear, for statistics; the reporter's own words stay sealed.
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.WEB)
    gift_value_band = models.CharField(_("gift value band"), max_length=16, choices=GiftValueBand.choices, blank=True)
    gift_received_on = models.DateField(_("gift received on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=32, choices=Outcome.choices, blank=True)
    forwarded_to = models.CharField(_("forwarded to"), max_length=16, choices=ForwardedTo.choices, blank=True)
    forward_reference = models.CharField(_("forwarding reference number"), max_length=100, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Retention: a legal hold stops crypto-shredding; ``shredded_at`` marks a case whose keys are gone.
    legal_hold = models.BooleanField(_("legal hold"), default=False)
    shredded_at = models.DateTimeField(_("shredded at"), null=True, blank=True)
    # Who handles the case (casework.cases.assignment): assigning someone grants them the case's key. The lead
    # officer is one of the team. Staff who declared a conflict of interest lost their key and get no other.
    lead_officer = models.ForeignKey(
        StaffUser,
        verbose_name=_("lead officer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_cases",
    )
    team = models.ManyToManyField(StaffUser, verbose_name=_("team"), blank=True, related_name="team_cases")
    conflicted_staff = models.ManyToManyField(
        StaffUser,
        verbose_name=_("staff with a declared conflict of interest"),
        blank=True,
        related_name="conflicted_cases",
    )
    # The reporter answered the satisfaction survey (once per case). The answer itself is not linked to the
    # case (casework.survey.models.SurveyResponse); this flag is all the case knows.
    survey_answered = models.BooleanField(_("survey answered"), default=False)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        # The queue's orders and most used filters (casework.cases.queue): a page is read along an index.
        indexes = [
            models.Index(fields=["received_at", "number"], name="case_queue_received"),
            models.Index(fields=["status", "received_at"], name="case_queue_status"),
            models.Index(fields=["kind", "received_at"], name="case_queue_kind"),
            # Soonest deadline first, undated cases last (casework.cases.queue.DUE_ORDER): "due_on IS NULL" leads
            # because SQLite cannot read an index in NULLS LAST order; with and without the kind filter.
            models.Index(*DUE_ORDER_EXPRESSIONS, name="case_queue_due"),
            models.Index(F("kind"), *DUE_ORDER_EXPRESSIONS, name="case_queue_kind_due"),
        ]
        # casework.staff.roles.SUPERVISE_CASES
        permissions = [("supervise_cases", _("Can see every case and take access away"))]

    def __str__(self) -> str:
        return self.number

    @property
    def public_status_label(self) -> str:
        """Return the coarse status the reporter sees, in words."""
        return str(PublicStatus(self.public_status).label)

    @property
    def is_closed(self) -> bool:
        """True once a closing transition ran (the retention period counts from then)."""
        return self.closed_at is not None

    @property
    def reporter_identity(self) -> str:
        """Return how the reporter is identified: ``named`` in the report itself (gratification: the law
        requires it), ``sealed`` apart (a WBS reporter who gave an identity) or ``anonymous``."""
        if self.kind == CaseKind.GRATIFICATION:
            return "named"
        return "sealed" if self.identity_given else "anonymous"


class CaseMessage(models.Model):
    """A message on a case between the reporter and the inspectorate; the body is sealed."""

    class Sender(models.TextChoices):
        REPORTER = "reporter", _("Reporter")
        INSPECTORATE = "inspectorate", _("Inspektorat")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(max_length=16, choices=Sender.choices)
    # The staff member who wrote an inspectorate message (never shown to the reporter); empty when automatic.
    author = models.ForeignKey(StaffUser, on_delete=models.PROTECT, null=True, blank=True, related_name="case_messages")
    # Coarse for a reporter's message (audit.clock.now), never before the case's previous message.
    created_at = models.DateTimeField(default=clock.now)
    body = models.BinaryField()
    read_by_reporter = models.BooleanField(default=False)
    read_by_staff = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.sender} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def purpose(self) -> str:
        """Return the associated-data purpose that binds the sealed body to this message."""
        return f"message:{self.id}"


class CaseAttachment(models.Model):
    """An encrypted file on a case: the blob lives in storage; its name, content type and size are sealed together.

    ``original_name`` holds the sealed metadata (``casework.cases.sealed.AttachmentMeta``). Rows written before that
    sealed the name alone and kept ``size`` and ``content_type`` in clear; ``size`` is set only on those rows.
    What stays in clear is what statistics need: the case, the message, whether metadata was removed, the date.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        CaseMessage, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    storage_name = models.CharField(max_length=255, unique=True)
    # Legacy rows only (see the docstring); new rows seal both with the name.
    size = models.PositiveBigIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=127, blank=True, default="")
    metadata_removed = models.BooleanField(
        default=False, help_text=_("False means the file may still carry metadata (author, location, device).")
    )
    original_name = models.BinaryField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.id}"

    @property
    def name_purpose(self) -> str:
        """Return the associated-data purpose that binds the sealed file name to this attachment."""
        return f"attachment-name:{self.id}"


class GratificationThreshold(models.Model):
    """An exemption threshold of the gratification rules, effective-dated by the date the gift was received.

    Filled by a data migration from DOMAIN.md §3 (Peraturan KPK 2/2019, amended by 1/2026 from 2026-01-20).
    """

    class Category(models.TextChoices):
        CEREMONY = gift_rules.CEREMONY, _("Wedding, engagement, birth or religious/customary ceremony")
        COLLEAGUE = gift_rules.COLLEAGUE, _("Non-cash gift between colleagues")
        COLLEAGUE_OCCASION = (
            gift_rules.COLLEAGUE_OCCASION,
            _("Colleague gift for farewell, retirement, promotion or birthday"),
        )
        CALAMITY = gift_rules.CALAMITY, _("Calamity")

    category = models.CharField(max_length=32, choices=Category.choices)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    per_giver_limit = models.PositiveBigIntegerField(help_text=_("Rupiah, per giver per event."))
    yearly_limit = models.PositiveBigIntegerField(null=True, blank=True, help_text=_("Rupiah, same giver per year."))
    non_cash_only = models.BooleanField(default=False)
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["category", "valid_from"]

    def __str__(self) -> str:
        return f"{self.category} {self.valid_from}..{self.valid_until}: {self.per_giver_limit}"


class SavedQueueView(models.Model):
    """A staff member's saved queue filters (today one: "my work"), as the query string of the list page."""

    MY_WORK = "my-work"

    user = models.ForeignKey(StaffUser, on_delete=models.CASCADE, related_name="saved_queue_views")
    name = models.SlugField(max_length=32)
    query = models.CharField(max_length=1000, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_queue_view_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.name}"
