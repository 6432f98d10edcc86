"""Sign-in and sign-out pages: dev, header (reverse proxy) and OpenID Connect."""
