# The plugin under test comes from the installed ecs-ledger package (its
# pytest11 entry point), not from this tree. pytester runs pytest inside
# tests to check the fixture's scopes.
pytest_plugins = ["pytester"]
