"""The SCIM 2.0 server (RFC 7643/7644) at /scim/v2/: the IdM pushes persons here."""
