"""The one GraphQL API (strawberry), split per domain. Resolvers are thin: they parse input,
check permission, call one service or selector of the Django apps and shape the result."""
