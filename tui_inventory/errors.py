"""Typed errors a user can cause or meet; each carries one clear sentence for the screen."""

from __future__ import annotations


class InventoryError(Exception):
    """An expected failure: shown as its message, never as a traceback."""

    title = "Error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(InventoryError):
    title = "Configuration"


class SecretsError(InventoryError):
    title = "Passwords"


class StoreError(InventoryError):
    title = "Store"


class LeaseHeld(StoreError):
    """Another sync holds the database's lease."""

    title = "Sync already running"


class UpstreamError(InventoryError):
    """A failure talking to one API (`tmf638` or `tmf639`)."""

    title = "Upstream"

    def __init__(self, api: str, message: str) -> None:
        super().__init__(message)
        self.api = api


class AuthFailed(UpstreamError):
    """401/403: stop this API at once, no retries."""


class TypeFailed(UpstreamError):
    """502 and other errors: give up this entity type for this run."""


class PageFailed(UpstreamError):
    """A page that could not be fetched or decoded after its retries: a gap."""

    def __init__(self, api: str, message: str, *, page: int) -> None:
        super().__init__(api, message)
        self.page = page


class Cancelled(InventoryError):
    """The operator cancelled the run."""

    def __init__(self) -> None:
        super().__init__("cancelled by the operator")
