"""The project's own errors: the command line prints them as one line that says what to change."""


class InputError(ValueError):
    """A file, column or checkpoint that cannot be used as given; raised before training starts."""


class NonFiniteLossError(FloatingPointError):
    """A training loss became NaN or infinite: the run stops instead of training on garbage."""


class ExportMismatchError(ArithmeticError):
    """An exported file does not compute what the checkpoint's model computes: export writes nothing then."""
