"""Public pages without sign-in: CA certificates, CRLs and OCSP, health, the demo mail catcher."""
