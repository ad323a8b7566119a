"""The web page: static HTML, CSS and JavaScript served by the app (no CDN, no build)."""
