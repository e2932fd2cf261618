class Conflict(Exception):
    """A request that clashes with the current state of an object (HTTP 409)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
