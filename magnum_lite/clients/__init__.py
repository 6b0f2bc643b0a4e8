"""Clients of the services around us: Keystone (identity, trusts,
application credentials), each cluster's Kubernetes API (mutual TLS) and
the key store (Barbican, or Fernet in the database). Third-party errors
become our exceptions here."""
