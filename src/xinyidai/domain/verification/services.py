"""Claims and their verification.

A registration is a claim (``EnterpriseClaim``, status ``pending``): the account may read and
edit it and do nothing else. The legal representative verifies it through the identity service
(``identity.IdentityClient``); ``accept`` then, in one transaction and under a per-USCC lock,
makes the claim ``verified``, stamps the enterprise (creating it in the registry if it is not
there), links the account to it and closes every other open claim on the USCC (``superseded``).
A claim on a USCC that someone already verified is refused and queued for the credit office,
which can also revoke a verification: the enterprise then has no owner, its accounts act for
nobody and its live data authorizations are revoked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec
import structlog
from sqlalchemy import func, select, update

from xinyidai.dates import utc_now
from xinyidai.domain.accounts.guards import require_office
from xinyidai.domain.accounts.sessions import principals_changed
from xinyidai.domain.consents.bank_consents import BankConsentService
from xinyidai.domain.consents.services import AuthorizationService
from xinyidai.domain.enterprises.schemas import EnterpriseCreate
from xinyidai.domain.enterprises.services import EnterpriseService
from xinyidai.domain.profiles import snapshots
from xinyidai.domain.verification.identity import (
    LEEWAY,
    IdentityClient,
    IdentityRejected,
    PendingLogin,
    VerifiedIdentity,
)
from xinyidai.domain.verification.schemas import AlertOut, AlertPage, ClaimOut, VerificationStart
from xinyidai.infra.errors import (
    Conflict,
    DomainError,
    FieldError,
    NotFound,
    ServiceUnavailable,
)
from xinyidai.infra.text import clean_text
from xinyidai.models import (
    AlertStatus,
    ClaimStatus,
    Enterprise,
    EnterpriseClaim,
    Role,
    User,
    VerificationAlert,
)
from xinyidai.models.enterprises import EnterpriseDetails

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncSession

    from xinyidai.domain.accounts.guards import Principal
    from xinyidai.infra.crypto import FieldCipher

log = structlog.get_logger(__name__)

STATE_TTL = 600  # seconds a verification link stays valid
DETAIL_COLUMNS = tuple(name for name in vars(EnterpriseDetails) if not name.startswith("_"))
CLAIM_ON_VERIFIED = "claim_on_verified_uscc"


class _Pending(msgspec.Struct):
    user_id: str
    claim_id: str
    nonce: str
    code_verifier: str


class VerificationLinkInvalid(DomainError):
    status = 400
    title = "Verification link not valid"
    slug = "verification-link-invalid"


def _state_key(state: str) -> str:
    return "xyd:idv:state:" + hashlib.sha256(state.encode()).hexdigest()


def _token_key(identity: VerifiedIdentity) -> str:
    used = f"{identity.issuer}\x00{identity.token_id}"
    return "xyd:idv:jti:" + hashlib.sha256(used.encode()).hexdigest()


def _person(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


def claim_out(claim: EnterpriseClaim) -> ClaimOut:
    """The API's view of a claim."""
    status = ClaimStatus(claim.status)
    return ClaimOut(
        id=claim.id,
        status=status,
        uscc=claim.uscc,
        name=claim.name,
        legal_rep_name=claim.legal_rep_name,
        legal_rep_id_masked=claim.legal_rep_id_masked,
        registered_capital=claim.registered_capital,
        founded_on=claim.founded_on,
        industry_division=claim.industry_division,
        district_code=claim.district_code,
        enterprise_id=claim.enterprise_id if status is ClaimStatus.VERIFIED else None,
        verified_at=claim.verified_at,
        closed_at=claim.closed_at,
        closed_reason=claim.closed_reason,
        may_verify=status is ClaimStatus.PENDING,
        may_edit=status is not ClaimStatus.VERIFIED,
    )


def already_verified(uscc: str) -> Conflict:
    """The refusal of a claim on an enterprise someone else already verified."""
    return Conflict(
        f"the enterprise {uscc} is already verified by its legal representative on another "
        "account. If you are its legal representative, contact the credit office (信用办): "
        "this attempt has been reported to it.",
        errors=[
            FieldError(
                field="enterprise.uscc",
                message="this enterprise is already verified by another account",
                code="uscc_verified_elsewhere",
            )
        ],
    )


class ClaimService:
    def __init__(
        self,
        session: AsyncSession,
        redis: Redis | None = None,
        identity: IdentityClient | None = None,
        cipher: FieldCipher | None = None,
    ) -> None:
        self.session = session
        self.redis = redis
        self.identity = identity
        self.cipher = cipher

    # --- claims -------------------------------------------------------------------------------
    async def verified_elsewhere(
        self, uscc: str, *, email: str, details: dict[str, Any], address: str | None
    ) -> Conflict | None:
        """If ``uscc`` has a verified owner: queue an alert for the office and return the
        refusal to answer with (the caller commits the alert and answers the refusal)."""
        enterprise_id = await self.session.scalar(
            select(EnterpriseClaim.enterprise_id).where(
                EnterpriseClaim.uscc == uscc, EnterpriseClaim.status == ClaimStatus.VERIFIED
            )
        )
        if enterprise_id is None:
            return None
        self.session.add(
            VerificationAlert(
                uscc=uscc,
                enterprise_id=enterprise_id,
                kind=CLAIM_ON_VERIFIED,
                claimant_email=email,
                claimed_name=details["name"],
                claimed_legal_rep=details["legal_rep_name"],
                client_address=(address or "")[:64] or None,
            )
        )
        await self.session.flush()
        log.warning("claim_on_verified_uscc", uscc=uscc, enterprise_id=str(enterprise_id))
        return already_verified(uscc)

    async def open(self, user: User, details: dict[str, Any]) -> EnterpriseClaim:
        """The pending claim a new account makes (flushed)."""
        claim = EnterpriseClaim(user_id=user.id, status=ClaimStatus.PENDING, **details)
        self.session.add(claim)
        await self.session.flush()
        log.info("claim_opened", user_id=str(user.id), claim_id=str(claim.id))
        return claim

    async def own(self, principal: Principal, *, lock: bool = False) -> EnterpriseClaim:
        """The SME account's own claim (``lock``: for update); NotFound for other roles."""
        if principal.role is not Role.SME:
            raise NotFound("no such resource")
        stmt = select(EnterpriseClaim).where(EnterpriseClaim.user_id == principal.user_id)
        claim = await self.session.scalar(stmt.with_for_update() if lock else stmt)
        if claim is None:
            raise NotFound("this account has no claim")
        return claim

    async def restate(
        self, principal: Principal, data: EnterpriseCreate, *, address: str | None
    ) -> EnterpriseClaim | Conflict:
        """Validate the restated details as a registration is validated, then ``replace``."""
        assert self.cipher is not None, "restating a claim seals an ID number"
        details = EnterpriseService(self.session, self.cipher).details(data)
        return await self.replace(principal, details, address=address)

    async def replace(
        self, principal: Principal, details: dict[str, Any], *, address: str | None
    ) -> EnterpriseClaim | Conflict:
        """Restate the claim (any status but verified); a closed claim opens again."""
        claim = await self.own(principal, lock=True)
        if claim.status == ClaimStatus.VERIFIED:
            raise Conflict(
                "a verified claim cannot be edited; edit the enterprise's registration instead"
            )
        refusal = await self.verified_elsewhere(
            details["uscc"], email=principal.email, details=details, address=address
        )
        if refusal is not None:
            return refusal
        for name, value in details.items():
            setattr(claim, name, value)
        claim.status, claim.closed_at, claim.closed_reason = ClaimStatus.PENDING, None, None
        await self.session.flush()
        log.info("claim_restated", claim_id=str(claim.id), user_id=str(principal.user_id))
        return claim

    # --- verification -------------------------------------------------------------------------
    def _client(self) -> IdentityClient:
        if self.identity is None:
            raise ServiceUnavailable(
                "enterprise verification is not available: no identity service is configured",
                retry_after=60,
            )
        return self.identity

    def _redis(self) -> Redis:
        assert self.redis is not None, "verification needs Redis"
        return self.redis

    async def start(self, principal: Principal) -> VerificationStart:
        """A link to the identity service for the legal representative to verify the claim."""
        claim = await self.own(principal)
        if claim.status != ClaimStatus.PENDING:
            raise Conflict(f"this claim is {claim.status}; only a pending claim can be verified")
        client = self._client()
        pending = PendingLogin.new()
        url = await client.authorization_url(pending, login_hint=claim.uscc)
        saved = _Pending(
            user_id=str(principal.user_id),
            claim_id=str(claim.id),
            nonce=pending.nonce,
            code_verifier=pending.code_verifier,
        )
        await self._redis().set(
            _state_key(pending.state), msgspec.msgpack.encode(saved), ex=STATE_TTL
        )
        log.info("verification_started", claim_id=str(claim.id))
        return VerificationStart(authorization_url=url, expires_in=STATE_TTL)

    async def complete(
        self,
        principal: Principal,
        *,
        state: str,
        code: str | None,
        error: str | None,
        issuer: str | None = None,
        now: dt.datetime | None = None,
    ) -> EnterpriseClaim:
        """The identity service sent the browser back: redeem the code and accept the claim.
        A link works once, for the account that started it, within ``STATE_TTL``."""
        redis, key = self._redis(), _state_key(state)
        raw = await redis.get(key)
        saved = None
        if raw is not None:
            try:
                payload = raw.encode() if isinstance(raw, str) else raw
                saved = msgspec.msgpack.decode(payload, type=_Pending)
            except msgspec.DecodeError:
                saved = None
        # Another account's link is refused without being used up; the first use wins.
        if saved is None or saved.user_id != str(principal.user_id) or await redis.delete(key) != 1:
            raise VerificationLinkInvalid(
                "this verification link is unknown, expired or already used; start again"
            )
        if issuer is not None and issuer.rstrip("/") != self._client().issuer:
            raise IdentityRejected(
                "the answer names another identity service (RFC 9207 mix-up)", "issuer_mismatch"
            )
        if error is not None:
            raise IdentityRejected(
                "the identity service did not confirm the enterprise "
                f"({error[:64]}); start the verification again",
                "declined",
            )
        if not code:
            raise VerificationLinkInvalid("the identity service sent no code; start again")
        pending = PendingLogin(state=state, nonce=saved.nonce, code_verifier=saved.code_verifier)
        identity = await self._client().redeem(code, pending)
        await self.remember_token(identity)
        return await self.accept(UUID(saved.claim_id), identity, now=now)

    async def remember_token(self, identity: VerifiedIdentity) -> None:
        """Refuse an ID token seen before (kept until it expires)."""
        ttl = max(identity.expires_at + LEEWAY - int(utc_now().timestamp()), 60)
        first = await self._redis().set(_token_key(identity), b"1", ex=ttl, nx=True)
        if not first:
            raise IdentityRejected("this ID token has been used already", "token_replayed")

    async def accept(
        self, claim_id: UUID, identity: VerifiedIdentity, *, now: dt.datetime | None = None
    ) -> EnterpriseClaim:
        """Verify the claim with what the identity service confirmed (flushed)."""
        now = now or utc_now()
        claim = await self.session.scalar(
            select(EnterpriseClaim).where(EnterpriseClaim.id == claim_id).with_for_update()
        )
        if claim is None or claim.status != ClaimStatus.PENDING:
            raise Conflict("this claim is no longer open for verification")
        if identity.uscc != claim.uscc:
            log.warning("verification_other_enterprise", claim_id=str(claim.id))
            raise IdentityRejected(
                f"the licence confirmed is for another enterprise ({identity.uscc}), not "
                f"{claim.uscc}",
                "identity_other_enterprise",
            )
        if (
            _person(identity.legal_rep_name) != _person(claim.legal_rep_name)
            or identity.legal_rep_id_masked != claim.legal_rep_id_masked
        ):
            log.warning("verification_other_person", claim_id=str(claim.id))
            raise IdentityRejected(
                "the licence names another legal representative than the claim; correct the "
                "claim or ask the enterprise's legal representative to confirm",
                "identity_other_person",
            )
        # One verification of a USCC at a time; the partial unique index is the backstop.
        await self.session.execute(
            select(func.pg_advisory_xact_lock(func.hashtextextended("claim:" + claim.uscc, 0)))
        )
        taken = await self.session.scalar(
            select(EnterpriseClaim.id).where(
                EnterpriseClaim.uscc == claim.uscc, EnterpriseClaim.status == ClaimStatus.VERIFIED
            )
        )
        if taken is not None:
            raise already_verified(claim.uscc)
        enterprise = await self._stamp_enterprise(claim, identity, now)
        claim.status, claim.enterprise_id, claim.verified_at = (
            ClaimStatus.VERIFIED,
            enterprise.id,
            now,
        )
        claim.identity_issuer, claim.identity_subject = identity.issuer, identity.subject
        user = await self.session.get_one(User, claim.user_id, with_for_update=True)
        user.enterprise_id = enterprise.id
        principals_changed(self.session, self._redis(), [user.id])
        await self.session.execute(
            update(EnterpriseClaim)
            .where(
                EnterpriseClaim.uscc == claim.uscc,
                EnterpriseClaim.status == ClaimStatus.PENDING,
                EnterpriseClaim.id != claim.id,
            )
            .values(
                status=ClaimStatus.SUPERSEDED,
                closed_at=now,
                closed_reason="the enterprise's legal representative verified it on another "
                "account",
                updated_at=now,
            )
        )
        await self.session.flush()
        await snapshots.rebuild(self.session, enterprise.id, "verified", now)
        log.info(
            "claim_verified",
            claim_id=str(claim.id),
            enterprise_id=str(enterprise.id),
            user_id=str(claim.user_id),
        )
        return claim

    async def _stamp_enterprise(
        self, claim: EnterpriseClaim, identity: VerifiedIdentity, now: dt.datetime
    ) -> Enterprise:
        """The registry row of the claim's USCC, marked verified. The licence is authoritative
        for the name and the legal representative; a USCC new to the registry takes the rest
        from the claim, a known one keeps the registry's."""
        enterprise = await self.session.scalar(
            select(Enterprise).where(Enterprise.uscc == claim.uscc).with_for_update()
        )
        name = clean_text("enterprise_name", identity.enterprise_name, min_length=2)
        if enterprise is None:
            details = {column: getattr(claim, column) for column in DETAIL_COLUMNS}
            enterprise = Enterprise(uscc=claim.uscc, **details)
            self.session.add(enterprise)
        for column in ("legal_rep_name", "legal_rep_id_cipher", "legal_rep_id_masked"):
            setattr(enterprise, column, getattr(claim, column))
        enterprise.name, enterprise.verified_at = name, now
        await self.session.flush()
        return enterprise

    # --- the credit office ------------------------------------------------------------------
    async def revoke(
        self,
        enterprise_id: UUID,
        reason: str,
        principal: Principal,
        *,
        now: dt.datetime | None = None,
    ) -> EnterpriseClaim:
        """Revoke a verification: the enterprise has no owner again, its accounts act for
        nobody, and its live data authorizations end now."""
        require_office(principal)
        now = now or utc_now()
        reason = clean_text("reason", reason, min_length=2, kind="text")
        enterprise = await self.session.scalar(
            select(Enterprise).where(Enterprise.id == enterprise_id).with_for_update()
        )
        if enterprise is None:
            raise NotFound("no such enterprise")
        claim = await self.session.scalar(
            select(EnterpriseClaim)
            .where(
                EnterpriseClaim.enterprise_id == enterprise_id,
                EnterpriseClaim.status == ClaimStatus.VERIFIED,
            )
            .with_for_update()
        )
        if claim is None or enterprise.verified_at is None:
            raise Conflict("this enterprise is not verified")
        claim.status, claim.closed_at, claim.closed_reason = ClaimStatus.REVOKED, now, reason
        enterprise.verified_at = None
        users = await self.session.scalars(
            update(User)
            .where(User.enterprise_id == enterprise_id, User.role == Role.SME)
            .values(enterprise_id=None, updated_at=now)
            .returning(User.id)
        )
        principals_changed(self.session, self._redis(), users.all())
        revoked = await AuthorizationService(self.session).revoke_all(
            enterprise_id, principal, now=now
        )
        consents_ended = await BankConsentService(self.session).revoke_all(
            enterprise_id, principal, now=now
        )
        await self.session.flush()
        await snapshots.rebuild(self.session, enterprise_id, "verification_revoked", now)
        log.warning(
            "verification_revoked",
            enterprise_id=str(enterprise_id),
            claim_id=str(claim.id),
            by=str(principal.user_id),
            authorizations_revoked=revoked,
            bank_consents_revoked=consents_ended,
        )
        return claim

    async def alerts(
        self, principal: Principal, *, status: AlertStatus | None, limit: int, offset: int
    ) -> AlertPage:
        """The office's alerts about claims on verified enterprises, newest first."""
        require_office(principal)
        stmt = select(VerificationAlert)
        if status is not None:
            stmt = stmt.where(VerificationAlert.status == status)
        total = await self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        rows = await self.session.scalars(
            stmt.order_by(VerificationAlert.created_at.desc(), VerificationAlert.id)
            .limit(limit)
            .offset(offset)
        )
        return AlertPage(
            items=[alert_out(a) for a in rows], total=int(total or 0), limit=limit, offset=offset
        )

    async def close_alert(
        self, alert_id: UUID, note: str, principal: Principal, *, now: dt.datetime | None = None
    ) -> VerificationAlert:
        """The office closes an alert with a note."""
        require_office(principal)
        alert = await self.session.scalar(
            select(VerificationAlert).where(VerificationAlert.id == alert_id).with_for_update()
        )
        if alert is None:
            raise NotFound("no such alert")
        if alert.status == AlertStatus.CLOSED:
            raise Conflict("this alert is already closed")
        alert.status, alert.closed_at, alert.closed_by = (
            AlertStatus.CLOSED,
            now or utc_now(),
            principal.user_id,
        )
        alert.note = clean_text("note", note, kind="text")
        await self.session.flush()
        return alert


def alert_out(alert: VerificationAlert) -> AlertOut:
    """The API's view of a verification alert."""
    return AlertOut(
        id=alert.id,
        kind=alert.kind,
        uscc=alert.uscc,
        enterprise_id=alert.enterprise_id,
        claimant_email=alert.claimant_email,
        claimed_name=alert.claimed_name,
        claimed_legal_rep=alert.claimed_legal_rep,
        client_address=alert.client_address,
        status=AlertStatus(alert.status),
        created_at=alert.created_at,
        closed_at=alert.closed_at,
        note=alert.note,
    )
