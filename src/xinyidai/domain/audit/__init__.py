"""The audit log: append-only, hash-chained, and never in the way of a request.

Every bank API call (and whatever else the platform chooses to audit) becomes one row of
``audit_entries`` (``models/audit.py``). The log must make tampering evident to anyone who can
run ``xinyidai audit verify``, yet a request must never wait for another to write its row.
So writing and chaining are two steps:

1. **Append** (:class:`~xinyidai.domain.audit.services.AuditLog`): a request inserts its row
   with its content and no hash. The ``seq`` is an identity drawn by PostgreSQL: no lock, no
   read of other rows, and concurrent requests never wait on each other. The row commits with
   the request's transaction; after the commit the chainer job is queued.
2. **Link** (:mod:`~xinyidai.domain.audit.chainer`, the ``chain_audit`` job, queued after each
   append and run every minute by cron as a backstop): one chainer at a time (a PostgreSQL
   advisory lock) links the committed rows in ``seq`` order, each with
   ``hash = SHA-256(prev_hash ‖ canonical content)`` (:mod:`~xinyidai.domain.audit.content`
   defines the serialisation; the first link's ``prev_hash`` is 64 zeros). It crosses a hole
   in ``seq`` only once the hole is final (the insert rolled back), never while the insert
   that holds it may still commit: no row is ever left behind the chain's head.
3. **Verify** (:func:`~xinyidai.domain.audit.verify.verify_chain`, ``xinyidai audit verify``)
   walks the chain in ``seq`` order, recomputes every hash and names the first broken link:
   an *edited* row (its hash no longer matches its content), a *missing* one (the next row's
   ``prev_hash`` matches no row), or a *reordered* one (a row's ``prev_hash`` names a row that
   stands elsewhere). It also reports rows left unlinked longer than a threshold, and any
   unlinked row below the head.

**What the database guarantees.** A trigger (``ENABLE ALWAYS``, so a replication role does not
switch it off) refuses DELETE, TRUNCATE, an INSERT of a row already linked, and every UPDATE
except the chainer's: ``prev_hash``, ``hash`` and ``linked_at`` from NULL to values, every
other column unchanged. CHECK constraints keep the three link columns all set or all NULL and
the hashes lowercase hex. The table has no foreign keys: an audit row outlives what it names.

**What the chain guarantees, and what it does not.** Once a row is linked, changing any of its
columns, deleting it, or moving it is detected by ``verify``, even by someone who can switch
the trigger off (the table's owner), unless they recompute every later link too; comparing
the head ``verify`` prints (``head_seq``, ``head_hash``) with one recorded earlier elsewhere
catches that, and catches rows cut from the end of the chain, which a hash chain alone cannot
see. A row not yet linked (normally for moments) is protected only by the trigger.
"""
