# The seeds' commands, each a thin wrapper over the harness. Target: $DATABASE_URL (or .env).
# ENV=staging|production selects the profile (profiles.yaml).
ENV ?= staging
PYTHON ?= python

.PHONY: supabase-test-connection supabase-apply-schema supabase-validate supabase-harden \
	supabase-remediate

## Server version, TLS protocol and cipher, latency of one round trip (read-only).
supabase-test-connection:
	$(PYTHON) -m supabase_acceptance.cli test-connection --env $(ENV)

## Apply schema/schema.sql in one transaction; log under reports/. Refuses production
## unless ALLOW_PRODUCTION=1.
supabase-apply-schema:
	$(PYTHON) -m supabase_acceptance.cli apply-schema --env $(ENV) $(if $(ALLOW_PRODUCTION),--allow-production)

## Apply schema/hardening.sql (RLS, privileges revoked from the Data API roles, fixed
## search_path) in one transaction; log under reports/. Refuses production unless
## ALLOW_PRODUCTION=1.
supabase-harden:
	$(PYTHON) -m supabase_acceptance.cli harden --env $(ENV) $(if $(ALLOW_PRODUCTION),--allow-production)

## The structural checks only (no check that writes), with the evidence report.
supabase-validate:
	$(PYTHON) -m pytest -m "supabase and not writes" --env $(ENV)

## Apply the latest remediation plan of the profile (reports/latest-$(ENV)-remediation.sql) in
## one transaction, log under reports/; refuses a plan made for another catalog state, and
## production unless ALLOW_PRODUCTION=1. DECISION statements stay commented out.
supabase-remediate:
	$(PYTHON) -m supabase_acceptance.cli remediate --env $(ENV) $(if $(ALLOW_PRODUCTION),--allow-production)
