from app import application  # noqa: F401
