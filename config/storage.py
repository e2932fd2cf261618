"""Static files storage of the built static files (settings.STATIC_BUILT)."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class BuiltStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed, manifest-hashed storage, with hashed URLs under DEBUG too.

    Django's manifest storage hands out unhashed URLs when DEBUG is on, which would leave
    `make run` (DEBUG=1) without cache-busting; the built files are there either way.
    """

    def url(self, name, force=False):
        return super().url(name, force=True)
