"""RA Console: a Registration Authority for S/MIME user certificates.

The packages are layers; docs/architecture.md draws them. The web app is built by
ra_console.app.create_app(), the command line is ra_console.cli."""
