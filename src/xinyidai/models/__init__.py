"""SQLAlchemy models, one module per aggregate. Importing this package registers them all."""

from xinyidai.models.accounts import Role, User
from xinyidai.models.banks import Bank
from xinyidai.models.base import Base, metadata
from xinyidai.models.consents import DataAuthorization
from xinyidai.models.credit_data import (
    SERIES_MODELS,
    CreditImport,
    Dispute,
    DisputeStatus,
    ElectricityMonthly,
    Family,
    GasMonthly,
    HousingFundMonthly,
    ImportStatus,
    PublicRecord,
    RecordStatus,
    RecordType,
    Severity,
    SocialInsuranceMonthly,
    TaxMonthly,
    WaterMonthly,
)
from xinyidai.models.enterprises import Enterprise, EnterpriseStatus
from xinyidai.models.profiles import AccessLogEntry, ProfileSnapshot, SyncRun, SyncStatus

__all__ = [
    "SERIES_MODELS",
    "AccessLogEntry",
    "Bank",
    "Base",
    "CreditImport",
    "DataAuthorization",
    "Dispute",
    "DisputeStatus",
    "ElectricityMonthly",
    "Enterprise",
    "EnterpriseStatus",
    "Family",
    "GasMonthly",
    "HousingFundMonthly",
    "ImportStatus",
    "ProfileSnapshot",
    "PublicRecord",
    "RecordStatus",
    "RecordType",
    "Role",
    "Severity",
    "SocialInsuranceMonthly",
    "SyncRun",
    "SyncStatus",
    "TaxMonthly",
    "User",
    "WaterMonthly",
    "metadata",
]
