"""The one family of errors a user can fix; each message says how."""


class NewsragError(Exception):
    """A mistake or missing piece the user can act on; the message says what to do."""


class SourceError(NewsragError):
    """The source folder is missing or holds nothing usable."""


class StoreError(NewsragError):
    """The store is missing, unreachable, or holds something else."""


class StoreMismatch(StoreError):
    """The store was built from another folder or with other settings."""


class IndexBusy(StoreError):
    """Another `newsrag index` holds the writer lock."""
