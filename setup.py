"""Packages for setuptools (the rest of the metadata is in pyproject.toml).

resources/ ships as the package ``genart_resources``, so an installed copy is found with
importlib.resources wherever pip puts packages (a venv, --user, --target), not under sys.prefix.
A setup.py because pyproject.toml cannot both discover packages and map one to another folder.
"""

from setuptools import find_packages, setup

# Its data folders are listed as (namespace) packages too: setuptools warns about folders that
# Python could import but the build does not name.
RESOURCE_FOLDERS = {"icons": ["*"], "styles": ["*"], "styles.learned": ["*"], "models": ["*/*"]}

setup(
    packages=find_packages(include=["genart_core*", "desktop_app*"])
    + ["genart_resources"]
    + [f"genart_resources.{folder}" for folder in RESOURCE_FOLDERS],
    package_dir={"genart_resources": "resources"},
    package_data={
        "genart_core": ["py.typed"],
        "genart_resources": ["*.desktop"],
        **{f"genart_resources.{folder}": files for folder, files in RESOURCE_FOLDERS.items()},
    },
)
