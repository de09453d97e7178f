"""Xinyidai (信易贷): credit-first SME financing platform."""
