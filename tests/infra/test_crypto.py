from __future__ import annotations

import pytest

from xinyidai.infra.crypto import FieldCipher


def test_values_round_trip_and_are_bound_to_their_row() -> None:
    cipher = FieldCipher(b"0" * 32)
    blob = cipher.encrypt("11010519491231002X", "enterprise:A:legal_rep_id")
    assert b"11010519491231002X" not in blob
    assert cipher.decrypt(blob, "enterprise:A:legal_rep_id") == "11010519491231002X"
    with pytest.raises(ValueError, match="verify"):
        cipher.decrypt(blob, "enterprise:B:legal_rep_id")
    with pytest.raises(ValueError, match="verify"):
        FieldCipher(b"1" * 32).decrypt(blob, "enterprise:A:legal_rep_id")
    assert cipher.encrypt("x", "a") != cipher.encrypt("x", "a")  # fresh nonce every time
