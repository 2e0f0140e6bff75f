"""Bundled icons, styles and model weights; installed as the package ``genart_resources``
(genart_core.paths.resources_dir finds it). Everything here is made by a script in scripts/."""
