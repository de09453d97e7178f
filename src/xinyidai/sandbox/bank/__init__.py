"""The sandbox bank: a stand-in for a bank's own servers, written from the bank's side of the
contract (it imports none of the platform's domain code but the applications' vocabulary).

One ASGI service (:func:`create_bank_app`), by responsibility:

* :mod:`.webhooks` — ``POST /webhooks``: the platform's signed webhooks, verified;
* :mod:`.oauth` — ``POST /oauth/token``: the bank's own token endpoint (client credentials,
  ``client_secret_basic`` / ``client_secret_post``, opaque bearer tokens) for the platform's
  relay;
* :mod:`.intake` — ``POST /intake/applications``: applications delivered by the relay, counted
  and deduplicated by ``Idempotency-Key``;
* :mod:`.deciding` — in the background: pull the profile, review, decide by :mod:`.policy`,
  post the decision, over ``/openapi/v1`` with a DPoP-bound token (:mod:`.platform`);
* :mod:`.lending` — after an approval: disbursement, repayments, overdue / default or
  settlement on a demo clock;
* :mod:`.controls` — faults per endpoint (``down``, ``slow``, ``error_500``/``503``,
  ``duplicate_sensitive``), ``POST /_sandbox/faults``; ``POST /_sandbox/reset``.

Test controls serve a sandbox only: never expose it beyond loopback. Run it alone with
``python -m xinyidai.sandbox bank --port 8102 --platform-url URL --client-id ID --key-file FILE
--intake-client-id ID --intake-client-secret SECRET`` (see ``sandbox/__main__.py``); the
platform then registers ``http://127.0.0.1:8102/intake/applications`` and
``http://127.0.0.1:8102/oauth/token`` as the bank's intake, and ``…/webhooks`` as its webhook.
"""

from xinyidai.sandbox.bank.app import (
    DEFAULT_INTAKE_CLIENT_ID,
    DEFAULT_INTAKE_CLIENT_SECRET,
    SandboxBank,
    create_bank_app,
    reset,
)
from xinyidai.sandbox.bank.controls import ENDPOINT_FAULT_KINDS, EndpointFaults
from xinyidai.sandbox.bank.webhooks import (
    BANK_FAULT_KINDS,
    DEFAULT_MAX_AGE,
    BankFaultPlan,
    SignatureRefused,
    verify_webhook,
)
from xinyidai.sandbox.receipts import PlatformKeys

__all__ = [
    "BANK_FAULT_KINDS",
    "DEFAULT_INTAKE_CLIENT_ID",
    "DEFAULT_INTAKE_CLIENT_SECRET",
    "DEFAULT_MAX_AGE",
    "ENDPOINT_FAULT_KINDS",
    "BankFaultPlan",
    "EndpointFaults",
    "PlatformKeys",
    "SandboxBank",
    "SignatureRefused",
    "create_bank_app",
    "reset",
    "verify_webhook",
]
