"""The command line: composes the packages, holds no logic of its own."""
