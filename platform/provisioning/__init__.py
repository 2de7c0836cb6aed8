"""Setting brands up: onboarding a new brand and its first admin, the operator and brand
commands, the demo. It orchestrates every app, so it sits on top of them (README, Architecture);
``tenants`` below keeps the brand and domain models and their services."""
