pytest_plugins = ["fixtures.plugin", "fixtures.fixtures", "pytester"]
