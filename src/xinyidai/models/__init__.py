"""SQLAlchemy models, one module per aggregate. Importing this package registers them all."""

from xinyidai.models.accounts import Role, User
from xinyidai.models.banks import Bank
from xinyidai.models.base import Base, metadata
from xinyidai.models.enterprises import Enterprise, EnterpriseStatus

__all__ = ["Bank", "Base", "Enterprise", "EnterpriseStatus", "Role", "User", "metadata"]
