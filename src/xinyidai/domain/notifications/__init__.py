"""In-app notifications to SMEs: "you now qualify" for a product (``qualify.py``), listed and
marked read under ``/api/v1/me/notifications``."""
