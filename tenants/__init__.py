"""Tenancy: brands (Tenant) and their domains in the public schema, provisioning, host routing."""
