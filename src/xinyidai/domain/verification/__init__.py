"""Enterprise identity verification: a registration is a claim until the enterprise's legal
representative proves it through the identity service (the electronic business licence)."""
