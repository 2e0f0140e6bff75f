"""One task per module, each with ``run(request, ctx) -> Result``."""
