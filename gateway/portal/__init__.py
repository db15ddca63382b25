"""The developer portal: OpenAPI documents, the HTML reference with try-it, the guides and
one page per problem code (CONTRACT section 8). See docs/portal.md."""

from gateway.portal.app import PortalApp

__all__ = ["PortalApp"]
