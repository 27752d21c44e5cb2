"""The one exception type the engine raises for a bad specification or payload."""


class SpecError(ValueError):
    """A malformed network, dataset or training specification.

    ``field`` is a dotted path to the offending field (``"network.activations[1]"``), so that the
    server can turn the error into a 422 that names it.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
