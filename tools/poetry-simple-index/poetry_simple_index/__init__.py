"""Make Poetry's PyPI repository read release data from the simple index.

Some networks (this project's build machines among them) proxy PyPI's simple index and file host but
not the per-release JSON API (`/pypi/<name>/<version>/json`), which Poetry's default PyPI repository
needs for both locking and installing. The simple index carries everything Poetry needs: file links
with hashes, `requires-python`, yanked flags and, through PEP 658, each wheel's metadata. The lock file
is unchanged by this plugin: packages still come from the source named PyPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from poetry.inspection.info import PackageInfo
from poetry.plugins.application_plugin import ApplicationPlugin
from poetry.repositories.pypi_repository import PyPiRepository

if TYPE_CHECKING:
    from packaging.utils import NormalizedName
    from poetry.console.application import Application
    from poetry.core.constraints.version import Version
    from poetry.core.packages.package import Package
    from poetry.core.packages.utils.link import Link


def _release_info(self: PyPiRepository, name: NormalizedName, version: Version) -> dict[str, Any]:
    page = self._get_page(name)
    links = list(page.links_for_version(name, version))
    empty = PackageInfo(
        name=name,
        version=version.text,
        summary="",
        requires_dist=[],
        requires_python=None,
        files=[],
        yanked=page.yanked(name, version),
        cache_version=str(self.CACHE_VERSION),
    )
    return self._links_to_data(links, empty)


def _links(self: PyPiRepository, package: Package) -> list[Link]:
    return list(self._get_page(package.name).links_for_version(package.name, package.version))


class SimpleIndexPlugin(ApplicationPlugin):
    def activate(self, application: Application) -> None:
        PyPiRepository._get_release_info = _release_info  # type: ignore[method-assign]
        PyPiRepository.find_links_for_package = _links  # type: ignore[method-assign]
