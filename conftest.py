pytest_plugins = ["supabase_acceptance.plugin", "supabase_acceptance.fixtures", "pytester"]
