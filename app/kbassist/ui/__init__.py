"""The desktop window. The only package that imports Qt; it reaches the core through SearchEngine,
Settings and the usage recorder."""
