"""SQLAlchemy models, one module per aggregate. Importing this package registers them all."""

from xinyidai.models.accounts import Role, User
from xinyidai.models.applications import (
    Application,
    ApplicationDelivery,
    ApplicationEvent,
    BankIntake,
    Loan,
    LoanEvent,
    LoanWarning,
)
from xinyidai.models.audit import ActorKind, AuditEntry
from xinyidai.models.banks import Bank
from xinyidai.models.base import Base, metadata
from xinyidai.models.consents import BankConsent, ConsentChannel, ConsentPurpose, DataAuthorization
from xinyidai.models.credit_data import (
    SERIES_MODELS,
    CreditImport,
    Dispute,
    DisputeStatus,
    ElectricityMonthly,
    GasMonthly,
    HousingFundMonthly,
    ImportStatus,
    PublicRecord,
    SocialInsuranceMonthly,
    TaxMonthly,
    WaterMonthly,
)
from xinyidai.models.enterprises import (
    AlertStatus,
    ClaimStatus,
    Enterprise,
    EnterpriseClaim,
    EnterpriseStatus,
    VerificationAlert,
)
from xinyidai.models.exports import (
    Export,
    ExportChunk,
    ExportFormat,
    ExportKind,
    ExportStatus,
)
from xinyidai.models.monitoring import StatDaily, StatResponse
from xinyidai.models.needs import Need, NeedClaim
from xinyidai.models.notifications import Notification, NotificationKind, Qualification
from xinyidai.models.oauth import ClientAuthMethod, OAuthClient, RefreshToken, SigningKey
from xinyidai.models.pool import (
    PoolClaim,
    PoolLedgerEntry,
    PoolLedgerLine,
    PoolPriorityFirm,
    PoolRegistration,
    PoolRuleSet,
    PoolShareBand,
    PoolYear,
)
from xinyidai.models.products import Product, ProductVersion
from xinyidai.models.profiles import AccessLogEntry, ProfileSnapshot, SyncRun, SyncStatus
from xinyidai.models.scoring import (
    CreditScore,
    ModelActivation,
    ModelVersion,
    ReviewResolution,
    ReviewStatus,
    ScoreReview,
)
from xinyidai.models.webhooks import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

__all__ = [
    "SERIES_MODELS",
    "AccessLogEntry",
    "ActorKind",
    "AlertStatus",
    "Application",
    "ApplicationDelivery",
    "ApplicationEvent",
    "AuditEntry",
    "Bank",
    "BankConsent",
    "BankIntake",
    "Base",
    "ClaimStatus",
    "ClientAuthMethod",
    "ConsentChannel",
    "ConsentPurpose",
    "CreditImport",
    "CreditScore",
    "DataAuthorization",
    "DeliveryStatus",
    "Dispute",
    "DisputeStatus",
    "ElectricityMonthly",
    "Enterprise",
    "EnterpriseClaim",
    "EnterpriseStatus",
    "Export",
    "ExportChunk",
    "ExportFormat",
    "ExportKind",
    "ExportStatus",
    "GasMonthly",
    "HousingFundMonthly",
    "ImportStatus",
    "Loan",
    "LoanEvent",
    "LoanWarning",
    "ModelActivation",
    "ModelVersion",
    "Need",
    "NeedClaim",
    "Notification",
    "NotificationKind",
    "OAuthClient",
    "PoolClaim",
    "PoolLedgerEntry",
    "PoolLedgerLine",
    "PoolPriorityFirm",
    "PoolRegistration",
    "PoolRuleSet",
    "PoolShareBand",
    "PoolYear",
    "Product",
    "ProductVersion",
    "ProfileSnapshot",
    "PublicRecord",
    "Qualification",
    "RefreshToken",
    "ReviewResolution",
    "ReviewStatus",
    "Role",
    "ScoreReview",
    "SigningKey",
    "SocialInsuranceMonthly",
    "StatDaily",
    "StatResponse",
    "SyncRun",
    "SyncStatus",
    "TaxMonthly",
    "User",
    "VerificationAlert",
    "WaterMonthly",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "metadata",
]
